"""``vadkit train``: train a weakly-supervised method on the synthetic benchmark over seeds, select on a
validation split carved from the training videos, and report test metrics as mean ± std."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vadkit.cli.options import parse_key_values
from vadkit.errors import VadkitError, ValidationError
from vadkit.train.experiment import CHECKPOINT_KINDS, ExperimentConfig, ExperimentResult, run_experiment


def _seeds(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise typer.BadParameter(
            f"expected comma-separated integers, got {text!r}", param_hint="--seeds"
        ) from None


def _mean_std(values: dict[str, float]) -> str:
    mean, std = values["mean"], values["std"]
    if math.isnan(mean):
        return "undefined"
    return f"{mean:.4f}" if math.isnan(std) else f"{mean:.4f} ± {std:.4f}"


def results_table(result: ExperimentResult) -> Table:
    """Mean ± std over seeds of every protocol metric, for the last and the selected checkpoint."""
    seeds = len(result.seeds)
    table = Table(title=f"{result.config.method} on {result.config.protocol}: test, {seeds} seed(s)")
    table.add_column("metric")
    for kind in CHECKPOINT_KINDS:
        table.add_column(kind, justify="right")
    for name in result.metric_names:
        table.add_row(name, *(_mean_std(result.aggregate[kind][name]) for kind in CHECKPOINT_KINDS))
    return table


def train(
    method: Annotated[str, typer.Argument(help="Registered method: mil, rtfm, urdmu, hlnet.")],
    data: Annotated[Path, typer.Option("--data", help="A `vadkit synth` dataset folder.")],
    features: Annotated[Path, typer.Option("--features", help="Its `vadkit extract` output folder.")],
    out: Annotated[Path, typer.Option("--out", help="The run folder (finished seeds in it are reused).")],
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="Method config KEY=VALUE (repeatable; YAML values), e.g. dropout=0.6."),
    ] = None,
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated seeds, e.g. 0,1,2.")] = "0",
    steps: Annotated[int, typer.Option("--steps", help="Optimiser steps per seed.")] = 1000,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Videos of each class per step.")] = 32,
    eval_every: Annotated[int, typer.Option("--eval-every", help="Validate every N steps.")] = 100,
    val_fraction: Annotated[
        float, typer.Option("--val-fraction", help="Share of training videos held out for validation.")
    ] = 0.2,
    abnormal_videos: Annotated[
        int | None, typer.Option("--abnormal-videos", help="Label budget: abnormal training videos kept.")
    ] = None,
    selection: Annotated[
        str, typer.Option("--selection", help="Validation criterion: video-auc-max or video-auc-topk.")
    ] = "video-auc-max",
) -> None:
    """Train METHOD over seeds, select checkpoints on validation, and evaluate on the test split."""
    try:
        config = ExperimentConfig(
            method,
            str(data),
            str(features),
            method_config=parse_key_values(settings, "--set", as_yaml=True),
            seeds=_seeds(seeds),
            val_fraction=val_fraction,
            abnormal_videos=abnormal_videos,
            steps=steps,
            batch_size=batch_size,
            eval_every=eval_every,
            selection=selection,  # type: ignore[arg-type]
        )
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from None
    console = Console()
    try:
        result = run_experiment(config, out)
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    console.print(results_table(result))
    console.print(f"metrics: {result.metrics_path}")
