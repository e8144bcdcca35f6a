"""Rich tables shared by the CLI verbs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.table import Table

from vadkit.train.experiment import ExperimentConfig
from vadkit.train.results import format_mean_std
from vadkit.types import EvalReport


def metrics_table(report: EvalReport) -> Table:
    """The metrics of ``report`` as a two-column table; the headline metric is marked."""
    headline = report.settings.get("headline_metric")
    table = Table(title=f"{report.protocol}: {report.num_videos} videos, {report.num_frames} frames")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in report.metrics.items():
        label = f"{name} (headline)" if name == headline else name
        table.add_row(label, "undefined" if math.isnan(value) else f"{value:.4f}")
    return table


SELECT_ON_TEST_NOTE = (
    "[yellow]checkpoints selected on the TEST set[/yellow] (select_on_test): the 'selected' column is "
    "optimistic, not an estimate on unseen videos; metrics.json records it"
)
"""Printed under the results of a run that selected its checkpoints on the test set."""


def results_table(
    title: str,
    metric_names: Sequence[str],
    aggregate: Mapping[str, Mapping[str, Mapping[str, float | None]]],
) -> Table:
    """Mean ± std over seeds of every metric (rows), one column per checkpoint kind of ``aggregate``
    (``{kind: {metric: {"mean": m, "std": s}}}``, NaN or ``None`` when undefined); a single seed (std
    undefined) shows the mean alone."""
    table = Table(title=title)
    table.add_column("metric")
    for kind in aggregate:
        table.add_column(kind, justify="right")
    for name in metric_names:
        table.add_row(name, *(format_mean_std(aggregate[kind][name]) for kind in aggregate))
    return table


def experiment_title(config: ExperimentConfig, seeds: int) -> str:
    """Title of an experiment's results table: method, protocol, seeds, and test-set selection if used."""
    title = f"{config.method} on {config.protocol}: test, {seeds} seed(s)"
    return title + (", checkpoints selected on the TEST set" if config.select_on_test else "")
