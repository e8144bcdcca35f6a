"""What a training run shows and logs while it runs: a rich progress bar and optional TensorBoard scalars."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn


def _shown(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


class TrainingProgress:
    """Steps done of the total, the last loss and the last selection value, on stderr; inert when disabled.

    Args:
        total: steps of the whole run.
        done: steps already done (a resumed run starts there).
        criterion: what the selection value is (shown as its label).
        enabled: draw the bar (rich draws nothing live when stderr is not a terminal).
    """

    def __init__(self, total: int, done: int, criterion: str, *, enabled: bool = True) -> None:
        self._total = total
        self._done = done
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            self._progress = Progress(
                TextColumn("[bold]training"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"),
                TextColumn(f"{criterion} {{task.fields[criterion]}}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )

    def __enter__(self) -> TrainingProgress:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task(
                "training", total=self._total, completed=self._done, loss="-", criterion="-"
            )
        return self

    def update(self, step: int, loss: float, criterion: float | None) -> None:
        """Show ``step`` steps done, the loss of the last step and the latest selection value."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=step, loss=_shown(loss), criterion=_shown(criterion))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()


class ScalarLog:
    """TensorBoard scalars under ``log_dir`` when enabled and TensorBoard is installed; otherwise nothing.

    Args:
        log_dir: where the event files go.
        enabled: whether to log at all.
        purge_step: a resumed run's first new step: events the interrupted run wrote from this step on are
            discarded (``SummaryWriter(purge_step=...)``), so replayed steps are not logged twice.
    """

    def __init__(self, log_dir: Path, *, enabled: bool, purge_step: int | None = None) -> None:
        self._writer: Any = None
        if not enabled:
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:  # TensorBoard is optional: without it there is nothing to log to
            return
        self._writer = SummaryWriter(log_dir=str(log_dir), purge_step=purge_step)

    @property
    def active(self) -> bool:
        """Whether scalars are written."""
        return self._writer is not None

    def add(self, group: str, values: Mapping[str, float | None], step: int) -> None:
        """Write ``group/name`` for every value that is not ``None``, at ``step``."""
        if self._writer is None:
            return
        for name, value in values.items():
            if value is not None:
                self._writer.add_scalar(f"{group}/{name}", value, step)

    def __enter__(self) -> ScalarLog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._writer is not None:
            self._writer.close()
