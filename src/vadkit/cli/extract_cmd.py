"""``vadkit extract``: snippet features of a folder or list of videos; resumable, sharded, local or Ray."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vadkit.cli.options import parse_key_values
from vadkit.errors import ValidationError
from vadkit.features.runner import ExtractionSummary, resolve_extractor, run_extraction

_REASONS_SHOWN = 10


def summary_table(summary: ExtractionSummary) -> Table:
    """Counts, frames and time of a run as a table."""
    shard = "" if summary.shard.count == 1 else f", shard {summary.shard}"
    table = Table(title=f"extraction into {summary.out_dir}{shard}")
    table.add_column("videos")
    table.add_column("count", justify="right")
    rows = [
        ("extracted ok", summary.count("ok")),
        ("partial (kept)", summary.count("partial")),
        ("failed", summary.count("failed")),
        ("already complete (skipped)", len(summary.skipped)),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    rate = summary.frames / summary.seconds if summary.seconds > 0 else 0.0
    table.add_row("frames decoded", f"{summary.frames} ({rate:,.0f}/s)")
    table.add_row("seconds", f"{summary.seconds:.1f}")
    return table


def extract(
    inputs: Annotated[
        list[Path], typer.Argument(help="Folders of videos or frame folders, video files, or list files.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for <video>.npy, .json, manifest.")],
    extractor: Annotated[str, typer.Option("--extractor", "-e", help="Registered extractor name.")],
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Extractor setting KEY=VALUE, YAML value (repeatable), e.g. grid=[4,4]."),
    ] = None,
    workers: Annotated[int, typer.Option("--workers", "-j", help="Local worker processes.")] = 1,
    shard: Annotated[
        str | None, typer.Option("--shard", help="Extract shard i/N only (0-based), for job arrays.")
    ] = None,
    backend: Annotated[str, typer.Option("--backend", help="local or ray (the ray extra).")] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster address (default: a local instance).")
    ] = None,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error",
            help="raise: failures exit 1; partial: keep partial decodes; skip: record failures, exit 0.",
        ),
    ] = "raise",
    root: Annotated[
        Path | None, typer.Option("--root", help="Base of video ids and of relative list entries.")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Glob on video ids to leave out (repeatable).")
    ] = None,
    worker_threads: Annotated[
        int, typer.Option("--worker-threads", help="OpenCV/torch/decoder threads per worker.")
    ] = 1,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Extract snippet features, one .npy per video plus a manifest; complete outputs are skipped."""
    try:
        chosen = resolve_extractor(extractor, parse_key_values(set_, "--set", as_yaml=True))
    except KeyError as error:
        raise typer.BadParameter(str(error.args[0]), param_hint="--extractor") from None
    except (TypeError, ValidationError) as error:
        raise typer.BadParameter(f"{extractor}: {error}", param_hint="--set") from None
    try:
        summary = run_extraction(
            inputs,
            out,
            chosen,
            workers=workers,
            shard=shard,
            backend=backend,  # type: ignore[arg-type]
            on_error=on_error,
            ray_address=ray_address,
            root=root,
            exclude=exclude or (),
            worker_threads=worker_threads,
            progress=progress,
        )
    except ValidationError as error:
        raise typer.BadParameter(str(error)) from None
    except ImportError as error:  # the Ray backend without the ray extra
        raise typer.BadParameter(str(error), param_hint="--backend") from None
    console = Console()
    console.print(summary_table(summary))
    for record in summary.failures[:_REASONS_SHOWN]:
        console.print(f"[red]failed[/red] {record.video}: {record.reason}")
    if len(summary.failures) > _REASONS_SHOWN:
        console.print(f"... {len(summary.failures) - _REASONS_SHOWN} more failures in the manifest")
    console.print(f"manifest: {summary.manifest_path}")
    if summary.exit_code:
        console.print("[red]some videos failed[/red] (--on-error skip accepts failures)")
    raise typer.Exit(summary.exit_code)
