"""``vadkit eval``: score files of any method against a benchmark's ground truth, under a named protocol."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vadkit.cli.options import parse_key_values
from vadkit.cli.tables import metrics_table
from vadkit.eval import evaluate_score_dir, list_protocols


def eval_scores(
    protocol: Annotated[
        str, typer.Option("--protocol", "-p", help=f"One of: {', '.join(list_protocols())}.")
    ],
    scores: Annotated[
        Path, typer.Option("--scores", help="Folder of <video>.npy files (per snippet or frame).")
    ],
    gt: Annotated[Path, typer.Option("--gt", help="The benchmark's annotation file or folder.")],
    gt_option: Annotated[
        list[str] | None,
        typer.Option("--gt-option", help="Ground-truth option KEY=VALUE (repeatable), e.g. list_file=PATH."),
    ] = None,
    compat: Annotated[
        str | None, typer.Option("--compat", help="Reproduce a reference quirk: ano_pred.")
    ] = None,
    score_level: Annotated[str, typer.Option("--score-level", help="auto, snippet or frame.")] = "auto",
    out: Annotated[Path, typer.Option("--out", help="Folder for metrics.json.")] = Path("."),
) -> None:
    """Evaluate per-video score files against a benchmark's ground truth and write metrics.json."""
    result = evaluate_score_dir(
        protocol,
        scores,
        gt,
        gt_options=parse_key_values(gt_option, "--gt-option"),
        compat=compat,
        score_level=score_level,
        out_dir=out,
    )
    console = Console()
    console.print(metrics_table(result.report))
    extra = result.report.settings.get("extra_score_videos") or []
    if extra:
        console.print(f"[yellow]note:[/yellow] {len(extra)} score files name no ground-truth video (ignored)")
    console.print(f"metrics: {result.metrics_path}")
