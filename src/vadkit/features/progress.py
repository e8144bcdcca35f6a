"""The progress bar of a pass over videos (extraction, prediction): videos done of the total, videos/s,
frames/s, failures and ETA (rich)."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from vadkit.features.manifest import VideoRecord


class _RateColumn(ProgressColumn):
    """Videos per second (completed / elapsed) or frames per second (the ``frames`` field / elapsed)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        done = task.completed if self.unit == "videos" else task.fields.get("frames", 0)
        rate = done / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:,.1f} {self.unit}/s", style="progress.data.speed")


class ExtractionProgress:
    """A context manager showing extraction progress on stderr; inert when ``enabled`` is false.

    Args:
        total: videos to extract in this run (those already complete are not counted).
        already_complete: videos skipped because their outputs exist (shown in the description).
        enabled: draw the bar (rich draws nothing live when stderr is not a terminal).
        label: what the bar says it is doing.
    """

    def __init__(
        self, total: int, already_complete: int = 0, *, enabled: bool = True, label: str = "extracting"
    ) -> None:
        self._label = label
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._total = total
        self._skipped = already_complete
        self._frames = 0
        self._failed = 0
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn("videos"),
                _RateColumn("frames"),
                TextColumn("{task.fields[failed]} failed"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )

    def __enter__(self) -> ExtractionProgress:
        if self._progress is not None:
            self._progress.start()
            description = self._label + (f" ({self._skipped} already done)" if self._skipped else "")
            self._task = self._progress.add_task(description, total=self._total, frames=0, failed=0)
        return self

    def advance(self, record: VideoRecord) -> None:
        """Count one finished video from its extraction record."""
        self.count(record.frames_decoded, failed=record.status == "failed")

    def count(self, frames: int, *, failed: bool) -> None:
        """Count one finished video: its decoded frames, and whether it failed."""
        if self._progress is None or self._task is None:
            return
        self._frames += frames
        self._failed += failed
        self._progress.update(self._task, advance=1, frames=self._frames, failed=self._failed)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
