"""The results of a benchmark as tables: one summary per experiment, Markdown per dataset, a long CSV.

Values are the experiments' own aggregates (``metrics.json``): the mean and sample std (ddof=1) over seeds of
each test metric, for the ``last`` and the validation-``selected`` checkpoint (:mod:`vadkit.train.results`).
A std undefined with one seed is left out of a table cell (``0.5123``) and empty in the CSV; an undefined
mean reads ``undefined`` (empty in the CSV); a metric an experiment does not report reads ``n/a``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from vadkit.report.bench_plot import BarPanel
from vadkit.train.experiment import CHECKPOINT_KINDS, ExperimentResult, selection_record
from vadkit.train.results import csv_number, format_mean_std

CSV_COLUMNS: tuple[str, ...] = ("dataset", "method", "checkpoint", "metric", "mean", "std", "n_seeds")
"""Columns of ``results.csv``, one row per dataset, method, checkpoint kind and metric."""


@dataclass(frozen=True)
class ExperimentSummary:
    """One benchmark cell: a method on a dataset, aggregated over seeds.

    Attributes:
        dataset, method: the bench names.
        protocol: the evaluation protocol.
        headline: the protocol's headline metric name.
        metric_names: every metric reported, in protocol order.
        seeds: the seeds aggregated.
        aggregate: ``{kind: {metric: {"mean": m, "std": s}}}`` for kinds ``last`` and ``selected``.
        selection_criterion: the criterion that chose the ``selected`` checkpoint.
        selected_on_test: whether that criterion was computed on the test split (``select_on_test``).
    """

    dataset: str
    method: str
    protocol: str
    headline: str
    metric_names: tuple[str, ...]
    seeds: tuple[int, ...]
    aggregate: Mapping[str, Mapping[str, Mapping[str, float]]]
    selection_criterion: str
    selected_on_test: bool


def summarise_experiment(dataset: str, method: str, result: ExperimentResult) -> ExperimentSummary:
    """The summary of ``result``: protocol and headline from its configuration, the selection as its
    ``metrics.json`` records it (:func:`~vadkit.train.experiment.selection_record`)."""
    protocol = result.config.evaluation_protocol()
    selection = selection_record(result.config, {})
    return ExperimentSummary(
        dataset=dataset,
        method=method,
        protocol=protocol.name,
        headline=protocol.headline_name,
        metric_names=tuple(result.metric_names),
        seeds=tuple(s.seed for s in result.seeds),
        aggregate=result.aggregate,
        selection_criterion=selection["criterion"],
        selected_on_test=selection["test_set_used_for_selection"],
    )


def by_dataset(summaries: Sequence[ExperimentSummary]) -> dict[str, list[ExperimentSummary]]:
    """``summaries`` grouped by dataset, in first-appearance order."""
    groups: dict[str, list[ExperimentSummary]] = {}
    for summary in summaries:
        groups.setdefault(summary.dataset, []).append(summary)
    return groups


def table_metrics(summaries: Sequence[ExperimentSummary]) -> list[str]:
    """Metric columns of one dataset's table: the first summary's headline, then every other metric in
    first-appearance order."""
    names = [summaries[0].headline]
    for summary in summaries:
        names.extend(n for n in summary.metric_names if n not in names)
    return names


def dataset_table(summaries: Sequence[ExperimentSummary]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one dataset's table: columns ``method``, ``checkpoint``, ``n`` (seeds), then every
    metric of :func:`table_metrics`; per method one row for each kind of
    :data:`~vadkit.train.experiment.CHECKPOINT_KINDS` (``last``, then ``selected``)."""
    metrics = table_metrics(summaries)
    rows = [
        [
            s.method,
            kind,
            str(len(s.seeds)),
            *(format_mean_std(s.aggregate[kind].get(name)) for name in metrics),
        ]
        for s in summaries
        for kind in CHECKPOINT_KINDS
    ]
    return ["method", "checkpoint", "n", *metrics], rows


def _selection_sentence(criterion: str, on_test: bool) -> str:
    if on_test:
        return (
            f"selection (`{criterion}`) on the **test split** (`select_on_test` was set): the `selected` "
            "figures are not held-out estimates"
        )
    return (
        f"selection (`{criterion}`) on a validation split carved from the training videos; the test split "
        "was not used for selection"
    )


def selection_statement(summaries: Sequence[ExperimentSummary]) -> str:
    """How the ``selected`` checkpoints of one dataset's methods were chosen, one sentence per distinct way
    (prefixed by its methods when they differ)."""
    ways: dict[tuple[str, bool], list[str]] = {}
    for s in summaries:
        ways.setdefault((s.selection_criterion, s.selected_on_test), []).append(s.method)
    if len(ways) == 1:
        sentence = _selection_sentence(*next(iter(ways)))
        return sentence[0].upper() + sentence[1:] + "."
    return " ".join(f"{', '.join(methods)}: {_selection_sentence(*way)}." for way, methods in ways.items())


def _unique(values: Sequence[object]) -> str:
    return ", ".join(dict.fromkeys(str(v) for v in values))


def write_markdown(
    path: str | Path, summaries: Sequence[ExperimentSummary], *, config_name: str = "bench.yaml"
) -> Path:
    """Write ``results.md``: a preamble, then per dataset its protocol, headline, seeds, selection statement
    and :func:`dataset_table` as a Markdown table."""
    lines = [
        "# Benchmark results",
        "",
        f"Made by `vadkit bench` from `{config_name}` (in this folder). Test-split metrics as mean ± sample "
        "std (ddof=1) over n seeds; `last`: the checkpoint after the final step, `selected`: the checkpoint "
        "chosen by the selection criterion below.",
    ]
    for dataset, group in by_dataset(summaries).items():
        header, rows = dataset_table(group)
        lines += [
            "",
            f"## {dataset}",
            "",
            f"Protocol `{_unique([s.protocol for s in group])}`, headline metric `{group[0].headline}`; "
            f"seeds {_unique([', '.join(map(str, s.seeds)) for s in group])}.",
            selection_statement(group),
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---", "---", *["---:"] * (len(header) - 2)]) + "|",
            *("| " + " | ".join(row) + " |" for row in rows),
        ]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_long_csv(path: str | Path, summaries: Sequence[ExperimentSummary]) -> Path:
    """Write ``results.csv`` in long format (:data:`CSV_COLUMNS`): numbers in full precision, undefined values
    as empty cells."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for s in summaries:
            for kind in CHECKPOINT_KINDS:
                for name in s.metric_names:
                    values = s.aggregate[kind][name]
                    writer.writerow(
                        [
                            s.dataset,
                            s.method,
                            kind,
                            name,
                            csv_number(values["mean"]),
                            csv_number(values["std"]),
                            len(s.seeds),
                        ]
                    )
    return path


def headline_panels(summaries: Sequence[ExperimentSummary]) -> list[BarPanel]:
    """One bar panel per dataset: its headline metric per method, ``last`` and ``selected`` side by side,
    with the std over seeds as error bars (NaN where undefined or not reported)."""
    panels = []
    for dataset, group in by_dataset(summaries).items():
        headline = group[0].headline
        nan = {"mean": math.nan, "std": math.nan}
        means = {
            kind: [s.aggregate[kind].get(headline, nan)["mean"] for s in group] for kind in CHECKPOINT_KINDS
        }
        errors = {
            kind: [s.aggregate[kind].get(headline, nan)["std"] for s in group] for kind in CHECKPOINT_KINDS
        }
        seeds = _unique([len(s.seeds) for s in group])
        panels.append(
            BarPanel(
                title=f"{dataset} ({_unique([s.protocol for s in group])}), n = {seeds} seeds",
                categories=tuple(s.method for s in group),
                means=means,
                errors=errors,
                ylabel=f"{headline} (test), mean ± std",
            )
        )
    return panels
