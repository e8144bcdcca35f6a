"""``vadkit eval``: score files of any method against a benchmark's ground truth, under a named protocol; or
every seed's scores of a ``vadkit train`` run folder against its dataset; or class-wise score files
(``--class-scores``) for the temporal detection ``map@iou``. With ``--events`` and ``--descriptions`` it also
scores the explanations of predicted events against reference descriptions (alone, or after detection)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vadkit.cli.options import parse_key_values
from vadkit.cli.tables import SELECT_ON_TEST_NOTE, experiment_title, metrics_table, results_table
from vadkit.data.descriptions import read_descriptions
from vadkit.errors import VadkitError
from vadkit.eval import evaluate_score_dir, list_protocols
from vadkit.eval.class_score_dir import evaluate_class_score_dir
from vadkit.eval.explanations import (
    DEFAULT_EXPLANATION_IOU,
    ExplanationReport,
    evaluate_explanations,
    read_predicted_events,
)
from vadkit.train.run_eval import evaluate_run

_SCORE_OPTIONS = ("--protocol", "--scores", "--gt")


def _evaluate_run(run_dir: Path, out: Path, console: Console) -> None:
    """The RUN_DIR mode: every seed's last and selected scores, mean ± std."""
    try:
        result = evaluate_run(run_dir, out_dir=out)
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    title = experiment_title(result.config, len(result.reports))
    console.print(results_table(title, result.metric_names, result.aggregate))
    if result.selection.get("test_set_used_for_selection"):
        console.print(SELECT_ON_TEST_NOTE)
    console.print(f"metrics: {result.metrics_path}")


def _evaluate_class_scores(
    protocol: str,
    scores: Path,
    gt: Path,
    options: dict[str, str],
    compat: str | None,
    out: Path,
    console: Console,
) -> None:
    """The ``--class-scores`` mode: ``map@iou`` of ``(T, C)`` snippet scores, printed in percent."""
    try:
        result, metrics_path = evaluate_class_score_dir(
            protocol, scores, gt, gt_options=options, compat=compat, out_dir=out
        )
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    for name, value in result.metrics().items():
        console.print(f"{name}: {100 * value:.2f}%")
    console.print(f"metrics: {metrics_path}")


EXPLANATIONS_FILE = "explanations.json"
"""Where ``--events`` writes its report inside ``--out``."""


def explanation_table(report: ExplanationReport) -> Table:
    """The explanation metrics as a two-column table (counts as integers, BLEU on its 0-100 scale)."""
    table = Table(title=f"explanations: matched at temporal IoU >= {report.settings['iou_threshold']}")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in report.metrics.items():
        digits = 0 if name.startswith("num_") else 2 if name == "bleu_corpus" else 4
        table.add_row(name, "undefined" if math.isnan(value) else f"{value:.{digits}f}")
    return table


def _evaluate_explanations(
    events: Path,
    descriptions: Path,
    split: str | None,
    iou: float,
    text: bool,
    embedding_model: str | None,
    out: Path,
    console: Console,
) -> None:
    """The ``--events`` mode: explanations of predicted events against reference descriptions."""
    try:
        references = read_descriptions(descriptions, split=split)
        report = evaluate_explanations(
            read_predicted_events(events), references, iou_threshold=iou, text=text, embedder=embedding_model
        )
        out.mkdir(parents=True, exist_ok=True)
        path = report.save(out / EXPLANATIONS_FILE)
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    console.print(explanation_table(report))
    for note in report.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    unreferenced = report.settings["unreferenced_videos"]
    if unreferenced:
        console.print(
            f"[yellow]note:[/yellow] {len(unreferenced)} videos with events have no reference (ignored)"
        )
    console.print(f"explanations: {path}")


def eval_scores(
    run_dir: Annotated[
        Path | None,
        typer.Argument(
            help="A `vadkit train` run folder: re-evaluate all its seeds (no other option needed)."
        ),
    ] = None,
    protocol: Annotated[
        str | None, typer.Option("--protocol", "-p", help=f"One of: {', '.join(list_protocols())}.")
    ] = None,
    scores: Annotated[
        Path | None, typer.Option("--scores", help="Folder of <video>.npy files (per snippet or frame).")
    ] = None,
    class_scores: Annotated[
        Path | None,
        typer.Option(
            "--class-scores",
            help="Folder of <video>.npy class scores (T snippets, C classes): map@iou instead of --scores.",
        ),
    ] = None,
    gt: Annotated[
        Path | None, typer.Option("--gt", help="The benchmark's annotation file or folder.")
    ] = None,
    gt_option: Annotated[
        list[str] | None,
        typer.Option("--gt-option", help="Ground-truth option KEY=VALUE (repeatable), e.g. list_file=PATH."),
    ] = None,
    compat: Annotated[
        str | None,
        typer.Option(
            "--compat", help="Reproduce a reference quirk: ano_pred (--scores), vadclip (--class-scores)."
        ),
    ] = None,
    score_level: Annotated[str, typer.Option("--score-level", help="auto, snippet or frame.")] = "auto",
    events: Annotated[
        Path | None,
        typer.Option("--events", help="JSON of predicted events (Event.to_dict): score their explanations."),
    ] = None,
    descriptions: Annotated[
        Path | None,
        typer.Option(
            "--descriptions",
            help="Reference descriptions: a synthetic dataset (or descriptions.json), a UCA JSON.",
        ),
    ] = None,
    descriptions_split: Annotated[
        str | None, typer.Option("--descriptions-split", help="Synthetic descriptions: keep this split.")
    ] = None,
    explain_iou: Annotated[
        float, typer.Option("--explain-iou", help="Temporal IoU an event needs with a reference event.")
    ] = DEFAULT_EXPLANATION_IOU,
    text: Annotated[
        bool, typer.Option("--text/--no-text", help="Text metrics (embedding cosine, BLEU, ROUGE-L).")
    ] = True,
    embedding_model: Annotated[
        str | None,
        typer.Option(
            "--embedding-model", help="Sentence-transformers folder or cached repo id (default: MiniLM)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for metrics.json.")] = Path("."),
) -> None:
    """Evaluate per-video score files (--protocol, --scores, --gt) or a run folder (RUN_DIR) against a
    benchmark's ground truth, and write metrics.json; with --events and --descriptions, also (or only) score
    the events' explanations and write explanations.json."""
    console = Console()
    if (events is None) != (descriptions is None):
        raise typer.BadParameter("--events and --descriptions go together")
    detection = (run_dir, protocol, scores, class_scores, gt)
    if events is None or any(value is not None for value in detection):
        _evaluate_detection(
            run_dir, protocol, scores, class_scores, gt, gt_option, compat, score_level, out, console
        )
    if events is not None and descriptions is not None:
        _evaluate_explanations(
            events, descriptions, descriptions_split, explain_iou, text, embedding_model, out, console
        )


def _evaluate_detection(
    run_dir: Path | None,
    protocol: str | None,
    scores: Path | None,
    class_scores: Path | None,
    gt: Path | None,
    gt_option: list[str] | None,
    compat: str | None,
    score_level: str,
    out: Path,
    console: Console,
) -> None:
    """The detection modes: RUN_DIR, --scores or --class-scores."""
    if class_scores is not None:
        if run_dir is not None or scores is not None or protocol is None or gt is None:
            raise typer.BadParameter(
                "--class-scores takes --protocol and --gt, and neither RUN_DIR nor --scores"
            )
        options = parse_key_values(gt_option, "--gt-option")
        _evaluate_class_scores(protocol, class_scores, gt, options, compat, out, console)
        return
    given = {"--protocol": protocol, "--scores": scores, "--gt": gt}
    if run_dir is not None:
        extra = [name for name, value in given.items() if value is not None]
        if extra or gt_option or compat is not None or score_level != "auto":
            raise typer.BadParameter(
                "RUN_DIR takes the dataset and protocol from the run's config.json; drop "
                + ", ".join(extra or ["the score-file options"])
            )
        _evaluate_run(run_dir, out, console)
        return
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise typer.BadParameter(
            f"give a RUN_DIR, or all of {', '.join(_SCORE_OPTIONS)} (missing: {', '.join(missing)})"
        )
    assert protocol is not None and scores is not None and gt is not None
    try:
        result = evaluate_score_dir(
            protocol,
            scores,
            gt,
            gt_options=parse_key_values(gt_option, "--gt-option"),
            compat=compat,
            score_level=score_level,
            out_dir=out,
        )
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    console.print(metrics_table(result.report))
    extra_videos = result.report.settings.get("extra_score_videos") or []
    if extra_videos:
        console.print(
            f"[yellow]note:[/yellow] {len(extra_videos)} score files name no ground-truth video (ignored)"
        )
    console.print(f"metrics: {result.metrics_path}")
