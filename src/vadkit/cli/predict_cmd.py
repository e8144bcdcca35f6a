"""``vadkit predict``: a trained run on new videos: scores, events, explanations, report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vadkit.cli.options import parse_key_values
from vadkit.errors import ValidationError
from vadkit.explain import EventConfig
from vadkit.predict import ExplainSettings, PredictSettings, load_detector, run_prediction
from vadkit.predict.pipeline import DEFAULT_EVENTS


def predict(
    inputs: Annotated[
        list[Path], typer.Argument(help="Videos, folders of videos or frame folders, or list files.")
    ],
    model: Annotated[
        Path, typer.Option("--model", "-m", help="A `vadkit train` / `vadkit demo` run folder.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("vadkit-predict"),
    seed: Annotated[
        int | None, typer.Option("--seed", help="Which seed's model (default: the first).")
    ] = None,
    checkpoint: Annotated[str, typer.Option("--checkpoint", help="selected (default) or last.")] = "selected",
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Alarm threshold (default: calibrated for --far).")
    ] = None,
    far: Annotated[
        float, typer.Option("--far", help="False-alarm rate on normal validation frames to calibrate for.")
    ] = 0.01,
    events: Annotated[
        list[str] | None,
        typer.Option("--events", help="Event setting KEY=VALUE (smoothing, window_s, min_duration_s, ...)."),
    ] = None,
    explain: Annotated[
        str, typer.Option("--explain", help="Comma-separated: evidence, description (default both); none.")
    ] = "evidence,description",
    vlm: Annotated[
        str | None,
        typer.Option(
            "--vlm", help="Vision-language model (local folder or cached repo id) for descriptions."
        ),
    ] = None,
    overlay: Annotated[bool, typer.Option("--overlay", help="Also write overlay.mp4 per video.")] = False,
    extractor: Annotated[
        str | None, typer.Option("--extractor", "-e", help="Extractor, when the run has no feature manifest.")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Extractor setting KEY=VALUE (with --extractor).")
    ] = None,
    fps: Annotated[
        float | None, typer.Option("--fps", help="Frame rate of the run's training videos, to calibrate.")
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = True,
) -> None:
    """Score new videos with a trained run: per video scores (.npy, .csv), events.json and a report."""
    kinds = {part.strip() for part in explain.split(",") if part.strip()}
    unknown = kinds - {"evidence", "description", "none"}
    if unknown:
        raise typer.BadParameter(
            f"unknown explanation(s): {', '.join(sorted(unknown))}", param_hint="--explain"
        )
    try:
        settings = PredictSettings(
            threshold=threshold,
            target_far=far,
            events=EventConfig.from_dict(
                {**DEFAULT_EVENTS.to_dict(), **parse_key_values(events, "--events", as_yaml=True)}
            ),
            calibration_fps=fps,
            explain=ExplainSettings(
                evidence="evidence" in kinds, description="description" in kinds, vlm=vlm
            ),
            overlay=overlay,
        )
        detector = load_detector(
            model,
            seed=seed,
            checkpoint=checkpoint,
            extractor=extractor,
            extractor_config=parse_key_values(set_, "--set", as_yaml=True),
        )
        result = run_prediction(inputs, detector, out, settings, progress=progress)
    except ValidationError as error:
        Console(stderr=True).print(f"error: {error}")
        raise typer.Exit(1) from None
    console = Console()
    table = Table(title=f"vadkit predict: {detector.method} (threshold {result.threshold.value:.4f})")
    for column in ("video", "seconds", "events", "first event"):
        table.add_column(column)
    for prediction in result.predictions:
        first = prediction.events[0] if prediction.events else None
        described = (
            "" if first is None else f"{first.start_s:.1f}-{first.end_s:.1f} s {first.class_name or ''}"
        )
        seconds = prediction.info.num_frames / prediction.info.fps
        table.add_row(prediction.video, f"{seconds:.1f}", str(len(prediction.events)), described)
    console.print(table)
    for name, reason in result.failures.items():
        console.print(f"[red]skipped[/red] {name}: {reason}")
    console.print(f"report: {result.report_path}")
    console.print(f"events: {result.summary_path}")
