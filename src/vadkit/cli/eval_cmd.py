"""``vadkit eval``: score files of any method against a benchmark's ground truth, under a named protocol."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from vadkit.cli.tables import metrics_table
from vadkit.evaluation_run import evaluate_score_dir


def _parse_options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--gt-option")
        options[key.strip()] = value.strip()
    return options


def eval_scores(
    protocol: str = typer.Option(..., "--protocol", "-p", help="ucf-crime, xd-violence, shanghaitech-weak, "
                                 "shanghaitech, ped2 or avenue (vadkit.eval.list_protocols())."),
    scores: Path = typer.Option(..., "--scores", help="Folder of <video>.npy score files (per snippet or frame)."),
    gt: Path = typer.Option(..., "--gt", help="The benchmark's annotation file or folder."),
    gt_option: list[str] = typer.Option(
        [], "--gt-option", help="Ground-truth builder option KEY=VALUE (repeatable), e.g. list_file=..."
    ),
    compat: str | None = typer.Option(None, "--compat", help="Reproduce a reference quirk, e.g. ano_pred."),
    score_level: str = typer.Option("auto", "--score-level", help="auto, snippet or frame."),
    out: Path = typer.Option(Path("."), "--out", help="Folder for metrics.json."),
) -> None:
    """Evaluate per-video score files against ground truth and write metrics.json."""
    result = evaluate_score_dir(
        protocol,
        scores,
        gt,
        gt_options=_parse_options(gt_option),
        compat=compat,
        score_level=score_level,
        out_dir=out,
    )
    console = Console()
    console.print(metrics_table(result.report))
    for warning in result.warnings:
        console.print(f"[yellow]note:[/yellow] {warning}")
    console.print(f"metrics: {result.metrics_path}")
