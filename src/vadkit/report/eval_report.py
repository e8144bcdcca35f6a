"""A self-contained HTML report of one evaluation: metrics, settings and score curves (the PNG is inlined)."""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vadkit.eval import frame_level_scores
from vadkit.report.plots import plot_score_curves
from vadkit.types import EvalReport, GroundTruth

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.7rem; text-align: left; }
th { background: #f3f3f3; }
img { max-width: 100%; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
.note { color: #555; }
"""


def _metric_cell(value: float) -> str:
    return "undefined" if math.isnan(value) else f"{value:.4f}"


@dataclass(frozen=True)
class ReportTable:
    """An extra table of a report: a title, column names and rows of cells (text, escaped when written)."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]

    def to_html(self) -> str:
        """The ``<h2>`` title and the ``<table>``."""
        head = "".join(f"<th>{html.escape(column)}</th>" for column in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in self.rows
        )
        return f"<h2>{html.escape(self.title)}</h2>\n<table><tr>{head}</tr>{body}</table>\n"


def write_eval_report(
    out_dir: str | Path,
    report: EvalReport,
    ground_truth: Mapping[str, GroundTruth],
    scores: Mapping[str, np.ndarray],
    snippet_length: int,
    fps: float,
    *,
    score_level: str = "auto",
    title: str = "vadkit evaluation",
    note: str = "",
    tables: Sequence[ReportTable] = (),
) -> Path:
    """Write ``scores.png`` and ``report.html`` into ``out_dir``; returns the HTML path.

    Scores are brought to frames by :func:`vadkit.eval.frame_level_scores`, as the metrics were. ``tables``
    are shown after the metrics.
    """
    out = Path(out_dir)
    frame_scores = {
        video: frame_level_scores(video, scores[video], gt.num_frames, score_level, snippet_length)[0]
        for video, gt in ground_truth.items()
    }
    png = plot_score_curves(out / "scores.png", frame_scores, ground_truth, fps)
    image = base64.b64encode(png.read_bytes()).decode("ascii")
    metric_rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_metric_cell(value)}</td></tr>"
        for name, value in report.metrics.items()
    )
    video_rows = "".join(
        f"<tr><td>{html.escape(video)}</td><td>{html.escape(str(ground_truth[video].label))}</td>"
        f"<td>{ground_truth[video].num_frames}</td>"
        f"<td>{_metric_cell(report.per_video.get(video, {}).get('auc', math.nan))}</td></tr>"
        for video in ground_truth
    )
    settings = html.escape(json.dumps(report.to_dict()["settings"], indent=2))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="note">{html.escape(note)}</p>
<h2>Metrics ({html.escape(report.protocol)}: {report.num_videos} videos, {report.num_frames} frames)</h2>
<table><tr><th>metric</th><th>value</th></tr>{metric_rows}</table>
{"".join(table.to_html() for table in tables)}<h2>Videos</h2>
<table><tr><th>video</th><th>class</th><th>frames</th><th>per-video AUC</th></tr>{video_rows}</table>
<h2>Score curves</h2>
<img alt="frame scores per video, ground-truth anomalies shaded" src="data:image/png;base64,{image}">
<h2>Settings</h2>
<pre>{settings}</pre>
</body></html>
"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
