"""The self-contained HTML report of a prediction run: per video the score curve with the threshold and the
events, and an events table (time, class, description, evidence) with key-frame thumbnails.

Everything is inlined (CSS, PNG images as data URIs): the file opens offline in any browser and can be sent
on its own.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from vadkit.report.plots import plot_prediction_curve
from vadkit.types import Event, GroundTruth

_STYLE = """
:root { --ink: #1d2433; --muted: #5b6475; --line: #dde2ea; --accent: #d9730d; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--ink);
       background: var(--bg); }
header { background: #1d2433; color: #fff; padding: 1.4rem 2rem; }
header h1 { margin: 0 0 0.3rem 0; font-size: 1.4rem; }
header p { margin: 0.2rem 0; color: #c9cfdb; font-size: 0.9rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 2rem 3rem; }
section.video { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.3rem;
                margin: 1.2rem 0; }
h2 { font-size: 1.1rem; margin: 0.2rem 0 0.6rem; }
.badge { display: inline-block; padding: 0.1rem 0.5rem; border-radius: 999px; font-size: 0.75rem;
         background: #fde7d3; color: #8a4200; margin-left: 0.4rem; }
.badge.ok { background: #e3f3e6; color: #1e6b33; }
table { border-collapse: collapse; width: 100%; margin: 0.6rem 0; font-size: 0.88rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.4rem 0.5rem; text-align: left;
         vertical-align: top; }
th { background: #f0f2f6; font-weight: 600; }
img.curve { width: 100%; max-width: 60rem; }
.thumbs { display: flex; gap: 0.3rem; flex-wrap: nowrap; }
img.thumb { height: 72px; border-radius: 4px; border: 1px solid var(--line); }
.muted { color: var(--muted); }
.summary td:first-child { font-weight: 600; }
"""


@dataclass(frozen=True)
class ReportVideo:
    """One video of a prediction report.

    Attributes:
        video: its name.
        fps: frames per second.
        frame_scores: ``(n,)`` anomaly score per frame.
        events: the detected events (with explanations).
        thumbnails: per event, key frames as uint8 RGB images (boxes already drawn), in event order.
        ground_truth: the video's ground truth when known (shown under the curve).
    """

    video: str
    fps: float
    frame_scores: np.ndarray
    events: Sequence[Event]
    thumbnails: Sequence[Sequence[np.ndarray]] = ()
    ground_truth: GroundTruth | None = None


@dataclass(frozen=True)
class ReportHeader:
    """What the report's header says: the title and lines about the model, threshold and run."""

    title: str
    lines: Sequence[str] = ()
    failures: Mapping[str, str] = field(default_factory=dict)


def _png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _image_uri(image: np.ndarray) -> str:
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError("a thumbnail could not be encoded as PNG")
    return _png_uri(encoded.tobytes())


def _curve_uri(video: ReportVideo, threshold: float) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = plot_prediction_curve(
            Path(folder) / "curve.png",
            video.video,
            video.frame_scores,
            video.fps,
            threshold,
            video.events,
            video.ground_truth,
        )
        return _png_uri(path.read_bytes())


def _evidence_text(event: Event) -> str:
    summary = event.evidence.get("summary") if event.evidence else None
    return str(summary) if summary else "—"


def _event_rows(video: ReportVideo) -> str:
    rows = []
    for number, event in enumerate(video.events, start=1):
        thumbs = video.thumbnails[number - 1] if number - 1 < len(video.thumbnails) else ()
        images = "".join(
            f'<img class="thumb" alt="key frame {i + 1} of event {number}" src="{_image_uri(image)}">'
            for i, image in enumerate(thumbs)
        )
        label = "—"
        if event.class_name:
            confidence = "" if event.class_score is None else f" ({event.class_score:.2f})"
            label = html.escape(event.class_name + confidence)
        rows.append(
            f"<tr><td>{number}</td><td>{event.start_s:.1f}–{event.end_s:.1f} s</td>"
            f"<td>{event.peak_score:.3f}</td><td>{label}</td>"
            f"<td>{html.escape(event.description or '—')}</td>"
            f'<td>{html.escape(_evidence_text(event))}</td><td><div class="thumbs">{images}</div></td></tr>'
        )
    return "".join(rows)


def _video_section(video: ReportVideo, threshold: float) -> str:
    count = len(video.events)
    badge = (
        f'<span class="badge">{count} event{"s" if count != 1 else ""}</span>'
        if count
        else '<span class="badge ok">no event</span>'
    )
    table = (
        "<table><tr><th>#</th><th>time</th><th>peak</th><th>class</th><th>description</th>"
        f"<th>evidence</th><th>key frames</th></tr>{_event_rows(video)}</table>"
        if count
        else '<p class="muted">No score stayed above the threshold long enough to make an event.</p>'
    )
    duration = video.frame_scores.shape[0] / video.fps
    return (
        f'<section class="video" id="{html.escape(video.video)}"><h2>{html.escape(video.video)} {badge}</h2>'
        f'<p class="muted">{duration:.1f} s, {video.frame_scores.shape[0]} frames at {video.fps:g} fps; '
        f"highest score {float(video.frame_scores.max(initial=0.0)):.3f}</p>"
        f'<img class="curve" alt="anomaly score of {html.escape(video.video)} over time" '
        f'src="{_curve_uri(video, threshold)}">{table}</section>'
    )


def write_prediction_report(
    path: str | Path, header: ReportHeader, videos: Sequence[ReportVideo], threshold: float
) -> Path:
    """Write the HTML report of ``videos`` to ``path`` (module docstring); returns the path."""
    summary_rows = "".join(
        f'<tr><td><a href="#{html.escape(v.video)}">{html.escape(v.video)}</a></td>'
        f"<td>{v.frame_scores.shape[0] / v.fps:.1f} s</td><td>{len(v.events)}</td>"
        f"<td>{float(v.frame_scores.max(initial=0.0)):.3f}</td></tr>"
        for v in videos
    )
    failures = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(reason)}</td></tr>"
        for name, reason in header.failures.items()
    )
    failed = (
        "<h2>Videos that could not be read</h2><table><tr><th>video</th><th>reason</th></tr>"
        f"{failures}</table>"
        if failures
        else ""
    )
    lines = "".join(f"<p>{html.escape(line)}</p>" for line in header.lines)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{html.escape(header.title)}</title><style>{_STYLE}</style></head>
<body><header><h1>{html.escape(header.title)}</h1>{lines}</header><main>
<h2>Videos</h2>
<table class="summary"><tr><th>video</th><th>duration</th><th>events</th><th>highest score</th></tr>
{summary_rows}</table>{failed}
{"".join(_video_section(video, threshold) for video in videos)}
</main></body></html>
"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
