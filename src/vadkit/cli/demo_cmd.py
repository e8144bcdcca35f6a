"""``vadkit demo``: the main job on vadkit's own embedded data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vadkit.cli.tables import metrics_table
from vadkit.demo import DemoSettings, run_demo
from vadkit.errors import VadkitError


def demo(
    out: Annotated[Path, typer.Option("--out", help="Folder for data, features, run and report.")] = Path(
        "vadkit-demo"
    ),
    workers: Annotated[int, typer.Option("--workers", help="Processes for rendering and extraction.")] = 2,
    preset: Annotated[str, typer.Option("--preset", help="Synthetic preset: tiny, small, standard.")] = (
        DemoSettings.preset
    ),
    method: Annotated[str, typer.Option("--method", help="Weakly-supervised method to train.")] = (
        DemoSettings.method
    ),
    steps: Annotated[int, typer.Option("--steps", help="Optimiser steps.")] = DemoSettings.steps,
) -> None:
    """Generate the small synthetic benchmark, extract motion features, train the default method with
    validation, evaluate on the test split, detect and explain events, and write an HTML report."""
    console = Console()
    settings = DemoSettings(preset=preset, method=method, steps=steps, workers=workers)
    console.print(
        f"[bold]vadkit demo[/bold]: synthetic benchmark (preset {settings.preset}) -> motion features -> "
        f"{settings.method} ({settings.steps} steps, selected on validation) -> test evaluation -> events "
        "and explanations -> report"
    )
    try:
        result = run_demo(out, settings)
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    console.print(metrics_table(result.report))
    classes = Table(title="AUC per anomaly class (selected checkpoint)")
    classes.add_column("class")
    classes.add_column("AUC", justify="right")
    for name, value in result.per_class.items():
        classes.add_row(name, f"{value:.4f}")
    console.print(classes)
    events = sum(len(p.events) for p in result.predictions.predictions)
    console.print(
        f"{events} events detected in {len(result.predictions.predictions)} test videos "
        f"(threshold {result.predictions.threshold.value:.3f}, calibrated for a false-alarm rate of "
        f"{settings.far}), with their explanations: {result.predictions.report_path}"
    )
    matched = result.explanations.metrics
    console.print(
        f"explanations: {matched['num_matched']:.0f} of {matched['num_predicted']:.0f} events match one of "
        f"the {matched['num_reference']:.0f} reference events (temporal IoU >= 0.5); metrics in the report"
    )
    console.print(f"metrics: {result.metrics_path}")
    console.print(f"report:  [bold]{result.report_path}[/bold]")
