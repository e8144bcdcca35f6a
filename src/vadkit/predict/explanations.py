"""The explanations ``vadkit predict`` adds to each event, as far as the model and the installed extras allow.

* **Evidence** (weight-free; runs whose features are ``motion`` features): where and how the event's features
  deviate from the normal statistics of the run's fitted normal videos (:mod:`vadkit.explain.evidence`),
  stored in ``event.evidence`` as ``"motion"`` (the whole record), ``"summary"`` (the strongest deviation
  kinds in a line, :func:`deviation_summary`), ``"kind"`` and ``"box"`` (frame pixels). The statistics are
  fitted once per run seed, on exactly the normal videos the model was fitted on
  (:func:`vadkit.train.experiment.seed_splits`), and saved beside the checkpoints
  (``seed-<s>/normal-statistics.npz/.json``).
* **Class**: set by :func:`vadkit.predict.pipeline.event_class` for class-aware models before these run.
* **Description**: a vision-language model (``vlm``: a local folder or a cached repo id) shown the event's
  key frames and told its time span, region and class hypothesis (:func:`vadkit.explain.describe_event`);
  without one, a sentence composed from the evidence and class (:func:`vadkit.explain.compose_description`),
  or from the time span and class alone, which says that no model looked at the frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from vadkit.explain import (
    EventContext,
    Evidence,
    NormalStatistics,
    Thumbnail,
    compose_context_description,
    compose_description,
    describe_event,
    explain_event,
    fit_normal_statistics,
    read_key_frames,
)
from vadkit.predict.calibration import run_splits
from vadkit.predict.detector import Detector
from vadkit.predict.pipeline import EventExplainer, VideoPrediction
from vadkit.types import Event

STATISTICS_STEM = "normal-statistics"
"""File stem of a seed's normal motion statistics."""


@dataclass(frozen=True)
class ExplainSettings:
    """Which explanations to add.

    Attributes:
        evidence: the weight-free motion evidence (runs on ``motion`` features).
        description: a description per event (VLM, else composed).
        vlm: the vision-language model for descriptions (local folder or cached repo id), or ``None``.
        thumbnail_side: longer side of the key-frame thumbnails, in pixels.
        max_new_tokens: the most tokens the VLM may generate per event.
    """

    evidence: bool = True
    description: bool = True
    vlm: str | None = None
    thumbnail_side: int = 160
    max_new_tokens: int = 64


def run_normal_statistics(detector: Detector) -> NormalStatistics:
    """The normal motion statistics of the detector's run and seed (module docstring), fitted once."""
    stem = detector.run_dir / f"seed-{detector.seed}" / STATISTICS_STEM
    if stem.with_suffix(".json").is_file():
        return NormalStatistics.load(stem)
    fitted, _ = run_splits(detector)
    normal = (fitted.load(video) for video in fitted if video.label == 0)
    statistics = fit_normal_statistics(normal, dict(detector.extractor.config))
    statistics.save(stem)
    return statistics


def _evidence(prediction: VideoPrediction, event: Event) -> Evidence | None:
    record = event.evidence.get("motion") if event.evidence else None
    return None if record is None else Evidence.from_dict(record)


def _key_frames(prediction: VideoPrediction, evidence: Evidence | None, side: int) -> list[Thumbnail]:
    return [] if evidence is None else read_key_frames(prediction.source, evidence, max_side=side)


def deviation_summary(evidence: Evidence, kinds: int = 3) -> str:
    """The strongest deviation kinds in a line: ``"direction: motion heading west (38.2 sd); speed: ..."``
    (kinds that reach the evidence threshold, at most ``kinds``; the largest deviation when none does)."""
    strong = [kind for kind in evidence.kinds if kind.sd >= evidence.threshold][:kinds] or list(
        evidence.kinds[:1]
    )
    return "; ".join(f"{kind.kind}: {kind.label} ({kind.sd:.1f} sd)" for kind in strong)


def evidence_explainer(detector: Detector, statistics: NormalStatistics) -> EventExplainer:
    """Adds the motion evidence of each event (module docstring)."""

    def explain(event: Event, prediction: VideoPrediction) -> Event:
        info = prediction.info
        evidence = explain_event(
            event,
            prediction.features,
            dict(detector.extractor.config),
            statistics,
            frame_size=(info.width, info.height),
        )
        record = {
            **event.evidence,
            "motion": evidence.to_dict(),
            "summary": deviation_summary(evidence),
            "kind": evidence.kind,
            "box": None if evidence.box is None else list(evidence.box),
        }
        return replace(event, evidence=record)

    return explain


def description_explainer(settings: ExplainSettings) -> EventExplainer:
    """Adds a description to each event: the VLM's, else a composed one (module docstring)."""
    vlm = None
    if settings.vlm is not None:
        from vadkit.models.vlm_loading import load_vlm

        vlm = load_vlm(settings.vlm)

    def describe(event: Event, prediction: VideoPrediction) -> Event:
        evidence = _evidence(prediction, event)
        if vlm is None and evidence is not None:
            text = compose_description(evidence, event.class_name, event.class_score)
            return replace(event, description=text, evidence={**event.evidence, "description_by": "composed"})
        thumbnails = _key_frames(prediction, evidence, settings.thumbnail_side)
        region = thumbnails[0].box if thumbnails and thumbnails[0].box is not None else None
        context = EventContext(
            event.start_s,
            event.end_s,
            region=region,
            class_name=event.class_name,
            class_score=event.class_score,
            evidence=event.evidence.get("summary") if event.evidence else None,
        )
        if vlm is None:
            result = compose_context_description(context)
        else:
            frames = [thumb.image for thumb in thumbnails] or [_peak_frame(prediction, event)]
            result = describe_event(vlm, frames, context, max_new_tokens=settings.max_new_tokens)
        return replace(
            event, description=result.text, evidence={**event.evidence, "description_by": result.to_dict()}
        )

    return describe


def _peak_frame(prediction: VideoPrediction, event: Event) -> np.ndarray:
    """The event's peak frame (or its first), at the video's size, for a VLM when there is no evidence."""
    from vadkit.io import open_video

    frame = event.peak_frame if event.peak_frame is not None else event.start
    with open_video(prediction.source) as reader:
        return reader.read_frames([frame])[0]


def event_explainers(detector: Detector, settings: ExplainSettings) -> tuple[EventExplainer, ...]:
    """The explainers of ``settings`` that the detector allows, in order: evidence, then description."""
    explainers: list[EventExplainer] = []
    if settings.evidence and detector.extractor.name == "motion":
        explainers.append(evidence_explainer(detector, run_normal_statistics(detector)))
    if settings.description:
        explainers.append(description_explainer(settings))
    return tuple(explainers)


def event_thumbnails(prediction: VideoPrediction, settings: ExplainSettings) -> list[Sequence[np.ndarray]]:
    """Per event, its key frames with the evidence box drawn (none for events without motion evidence)."""
    return [
        [
            thumb.image
            for thumb in _key_frames(prediction, _evidence(prediction, event), settings.thumbnail_side)
        ]
        for event in prediction.events
    ]
