"""Rich tables shared by the CLI verbs."""

from __future__ import annotations

import math

from rich.table import Table

from vadkit.types import EvalReport


def metrics_table(report: EvalReport) -> Table:
    """The metrics of ``report`` as a two-column table; the headline metric is marked."""
    headline = report.settings.get("headline_metric")
    table = Table(title=f"{report.protocol}: {report.num_videos} videos, {report.num_frames} frames")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in report.metrics.items():
        label = f"{name} (headline)" if name == headline else name
        table.add_row(label, "undefined" if math.isnan(value) else f"{value:.4f}")
    return table
