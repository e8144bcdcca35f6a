"""``vadkit demo``: the main job on vadkit's own embedded data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from vadkit.cli.tables import metrics_table
from vadkit.demo import DEMO_CLIPS, run_demo


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for videos, scores, metrics and report.")] = Path(
        "vadkit-demo"
    ),
) -> None:
    """Render clips, decode them, score them with a weight-free baseline, evaluate, and write a report."""
    console = Console()
    with console.status("rendering, encoding, decoding and scoring the demo clips"):
        result = run_demo(out)
    abnormal = sum(clip.anomaly is not None for clip in DEMO_CLIPS)
    console.print(
        f"[bold]vadkit demo[/bold]: rendered {len(DEMO_CLIPS)} clips ({abnormal} with a running pedestrian), "
        "wrote them as H.264, decoded them with vadkit's reader, scored each 16-frame snippet by motion "
        "energy (a weight-free baseline, not a learned method) and evaluated against the drawn ground truth."
    )
    console.print(metrics_table(result.report))
    console.print(f"metrics: {result.metrics_path}")
    console.print(f"report:  [bold]{result.report_path}[/bold]")
