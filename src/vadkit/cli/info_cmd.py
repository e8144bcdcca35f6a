"""``vadkit info``: versions, threads and installed extras."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vadkit.environment import environment_info


def info() -> None:
    """Print the versions of vadkit, Python, torch, PyAV/FFmpeg and OpenCV, threads, and installed extras."""
    table = Table(title="vadkit environment", show_header=False)
    table.add_column("component", style="bold")
    table.add_column("version")
    for name, value in environment_info().as_rows():
        table.add_row(name, value)
    Console().print(table)
