"""The rendering progress bar of :func:`~vadkit.synth.generate`: videos done of the total, time elapsed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vadkit.synth.manifest import VideoRecord
from vadkit.synth.presets import SPLITS, Preset


@contextmanager
def rendering_progress(
    preset: Preset, console: Console | None = None, enabled: bool = True
) -> Iterator[Callable[[VideoRecord], None] | None]:
    """A progress bar over the videos of ``preset``; yields the ``progress`` callback of
    :func:`~vadkit.synth.generate` (``None`` when not ``enabled``). The bar disappears when done."""
    if not enabled:
        yield None
        return
    total = sum(sum(preset.counts(split)) for split in SPLITS)
    columns = (TextColumn("rendering videos"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("videos", total=total)
        yield lambda record: progress.advance(task)
