"""``vadkit synth``: generate vadkit's synthetic benchmark into a folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vadkit.cli.options import parse_key_values
from vadkit.errors import VadkitError
from vadkit.synth import (
    NORMAL_LABEL,
    PRESETS,
    SPLITS,
    SyntheticManifest,
    generate,
    resolve_preset,
)
from vadkit.synth.progress import rendering_progress


def _counts_table(manifest: SyntheticManifest) -> Table:
    table = Table(title=f"synthetic benchmark: preset {manifest.preset.name}, seed {manifest.seed}")
    for column in ("split", "normal", "abnormal", "frames"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split in SPLITS:
        videos = [v for v in manifest.videos if v.split == split]
        if videos:
            normal = sum(v.label == NORMAL_LABEL for v in videos)
            frames = sum(v.num_frames for v in videos)
            table.add_row(split, str(normal), str(len(videos) - normal), str(frames))
    return table


def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the dataset into (created if missing).")],
    preset: Annotated[
        str, typer.Option("--preset", "-p", help=f"Dataset size: {', '.join(PRESETS)}.")
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Master seed; the same seed gives the same bytes.")] = 0,
    workers: Annotated[int, typer.Option("--workers", "-w", help="Processes rendering videos.")] = 1,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite", help="Replace a generation's files in a folder that holds something else."
        ),
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Preset field KEY=VALUE, YAML value (repeatable), e.g. classes=[Running]."
        ),
    ] = None,
) -> None:
    """Render the synthetic benchmark (videos, annotations, masks, tracks, descriptions, dataset card)."""
    overrides = parse_key_values(set_, "--set", as_yaml=True)
    console = Console()
    try:
        with rendering_progress(resolve_preset(preset, **overrides), console) as advance:
            manifest = generate(
                out, preset, seed, workers, overwrite=overwrite, progress=advance, **overrides
            )
    except VadkitError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(1) from None
    console.print(_counts_table(manifest))
    held = ", ".join(scene.scene_id for scene in manifest.scenes if scene.held_out) or "none"
    console.print(f"{len(manifest.videos)} videos, {manifest.num_frames} frames; held-out scenes: {held}")
    console.print(f"dataset card: [bold]{manifest.card}[/bold]")
