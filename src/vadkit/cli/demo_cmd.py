"""``vadkit demo``: the main job on vadkit's own embedded data."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from vadkit.cli.tables import metrics_table
from vadkit.demo import run_demo


def demo(
    out: Path = typer.Option(Path("vadkit-demo"), "--out", help="Folder for videos, scores, metrics and report."),
) -> None:
    """Render clips, decode them, score them with a weight-free baseline, evaluate, and write a report."""
    console = Console()
    with console.status("rendering, encoding, decoding and scoring the demo clips"):
        result = run_demo(out)
    console.print(
        "[bold]vadkit demo[/bold]: rendered 4 clips (2 with a running pedestrian), wrote them as H.264, decoded "
        "them with vadkit's reader, scored each 16-frame snippet by motion energy (a weight-free baseline, not "
        "a learned method) and evaluated against the drawn ground truth."
    )
    console.print(metrics_table(result.report))
    console.print(f"metrics: {result.metrics_path}")
    console.print(f"report:  [bold]{result.report_path}[/bold]")
