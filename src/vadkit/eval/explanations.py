"""Scoring explanations: predicted events against described reference events, where they overlap in time.

An explanation is only judged where its event found a reference event of the same video. Each decision:

1. **Temporal IoU** of a predicted :class:`~vadkit.types.Event` ``[s, e)`` and a reference event ``[a, b)``:
   ``|[s,e) ∩ [a,b)| / |[s,e) ∪ [a,b)|``, on frames when both have the same fps, else on seconds
   (``frame / fps`` on each side).
2. **Matching**, per video, one-to-one and greedy by IoU: all (predicted, reference) pairs with
   ``IoU >= iou_threshold`` (0.5 by default) by decreasing IoU (ties: earlier predicted event in input order,
   then earlier reference event in file order); a pair is kept when neither side is used yet. Predictions on
   videos without references are ignored (``settings["unreferenced_videos"]`` lists them).
3. **Counts**: ``num_predicted`` (predicted events on referenced videos), ``num_reference``, ``num_matched``;
   ``mean_tiou`` is the mean IoU of the matched pairs.
4. **Class accuracy**: over the matched pairs where both sides have a class (``num_class_pairs``), the
   fraction whose classes are equal ignoring case and surrounding whitespace (``"wrongway" == " WrongWay"``).
5. **Text**, over the matched pairs whose prediction has a description (``num_described_pairs``); the
   reference text is the reference description:

   * ``text_cosine``: mean cosine similarity of the two texts' sentence embeddings
     (:mod:`vadkit.models.sentence_embeddings`; the packaged all-MiniLM-L6-v2 by default);
   * ``bleu_corpus``: sacrebleu's **corpus-level** BLEU-4 (``sacrebleu.corpus_bleu``, its defaults: 13a
     tokenizer, exponential smoothing, one reference per hypothesis), on sacrebleu's 0-100 scale;
   * ``rouge_l_f``: mean over pairs of the ROUGE-L F-measure of rouge-score
     (``RougeScorer(["rougeL"])``, no stemmer; lower-cased, alphanumeric tokens), in [0, 1].

   A text metric whose package (or embedding model) is missing is ``nan`` and ``settings["notes"]`` says
   why; so is every metric over zero pairs.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from vadkit.data.descriptions import ReferenceEvent, VideoDescriptions
from vadkit.errors import AnnotationError, ValidationError
from vadkit.models.sentence_embeddings import (
    SentenceEmbedder,
    default_embedder_missing,
    load_sentence_embedder,
)
from vadkit.types import Event, write_json

DEFAULT_EXPLANATION_IOU = 0.5
"""Temporal IoU a predicted event needs with a reference event for its explanation to be scored."""

EXPLANATION_METRICS: tuple[str, ...] = (
    "num_predicted",
    "num_reference",
    "num_matched",
    "mean_tiou",
    "num_class_pairs",
    "class_accuracy",
    "num_described_pairs",
    "text_cosine",
    "bleu_corpus",
    "rouge_l_f",
)
"""Names of the metrics of :func:`evaluate_explanations`, in report order."""

_FPS_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ExplanationMatch:
    """A predicted event matched to a reference event of ``video`` with temporal IoU ``iou``; ``scores`` holds
    the pair's own text scores (``text_cosine``, ``rouge_l_f``) when computed."""

    video: str
    predicted: Event
    reference: ReferenceEvent
    reference_fps: float
    iou: float
    scores: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scores", MappingProxyType(dict(self.scores)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (frames of both sides, classes, texts, IoU, pair scores)."""
        return {
            "video": self.video,
            "predicted": {
                "start_frame": self.predicted.start,
                "end_frame": self.predicted.end,
                "fps": self.predicted.fps,
                "class_name": self.predicted.class_name,
                "description": self.predicted.description,
            },
            "reference": {
                "start_frame": self.reference.start,
                "end_frame": self.reference.end,
                "fps": self.reference_fps,
                "label": self.reference.label,
                "text": self.reference.text,
            },
            "iou": self.iou,
            **dict(self.scores),
        }


@dataclass(frozen=True)
class ExplanationReport:
    """Metrics of :func:`evaluate_explanations` (:data:`EXPLANATION_METRICS`; ``nan`` when undefined or
    skipped), the settings that shaped them (threshold, text metric definitions, model, notes) and the
    matched pairs."""

    metrics: Mapping[str, float]
    settings: Mapping[str, Any]
    matches: tuple[ExplanationMatch, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "metrics", MappingProxyType({k: float(v) for k, v in self.metrics.items()}))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "matches", tuple(self.matches))

    @property
    def notes(self) -> tuple[str, ...]:
        """Why a metric was skipped or is undefined."""
        return tuple(self.settings.get("notes", ()))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; ``nan`` metrics become ``null``."""
        return {
            "metrics": {k: None if math.isnan(v) else v for k, v in self.metrics.items()},
            "settings": dict(self.settings),
            "matches": [match.to_dict() for match in self.matches],
        }

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_dict` as JSON."""
        path = Path(path)
        write_json(path, self.to_dict())
        return path


def temporal_iou(predicted: Event, reference: ReferenceEvent, reference_fps: float) -> float:
    """IoU of the predicted and the reference interval: on frames when the fps agree, else on seconds."""
    if math.isclose(predicted.fps, reference_fps, rel_tol=_FPS_TOLERANCE):
        scale_p = scale_r = 1.0
    else:
        scale_p, scale_r = 1.0 / predicted.fps, 1.0 / reference_fps
    s, e = predicted.start * scale_p, predicted.end * scale_p
    a, b = reference.start * scale_r, reference.end * scale_r
    inter = max(0.0, min(e, b) - max(s, a))
    return inter / (max(e, b) - min(s, a))


def _check_threshold(iou_threshold: float) -> None:
    if not 0 < iou_threshold <= 1:
        raise ValidationError(f"iou_threshold must be in (0, 1], got {iou_threshold}")


def match_events(
    predicted: Sequence[Event],
    reference: VideoDescriptions,
    *,
    iou_threshold: float = DEFAULT_EXPLANATION_IOU,
) -> list[ExplanationMatch]:
    """One-to-one greedy matching by temporal IoU of one video's predicted and reference events (see the
    module docstring), in decreasing IoU.

    Raises:
        ValidationError: ``iou_threshold`` outside ``(0, 1]``, or a predicted event of another video.
    """
    _check_threshold(iou_threshold)
    for event in predicted:
        if event.video != reference.video:
            raise ValidationError(f"match_events: an event of {event.video} among those of {reference.video}")
    pairs = [
        (iou, p, r)
        for p, event in enumerate(predicted)
        for r, ref in enumerate(reference.events)
        if (iou := temporal_iou(event, ref, reference.fps)) >= iou_threshold
    ]
    pairs.sort(key=lambda pair: (-pair[0], pair[1], pair[2]))
    used_p: set[int] = set()
    used_r: set[int] = set()
    matches = []
    for iou, p, r in pairs:
        if p in used_p or r in used_r:
            continue
        used_p.add(p)
        used_r.add(r)
        matches.append(
            ExplanationMatch(reference.video, predicted[p], reference.events[r], reference.fps, iou)
        )
    return matches


def read_predicted_events(path: str | Path) -> list[Event]:
    """Predicted events from JSON: a list of :meth:`Event.to_dict` objects, or ``{video: [event, ...]}``
    (each event's ``video`` must then be its key).

    Raises:
        AnnotationError: a missing file, invalid JSON, another layout, or an event that does not parse
            (naming the file and the entry).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnnotationError(path, "not found") from None
    except json.JSONDecodeError as error:
        raise AnnotationError(path, f"invalid JSON ({error.msg} at line {error.lineno})") from None
    if isinstance(data, list):
        entries = [(f"[{i}]", None, item) for i, item in enumerate(data)]
    elif isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        entries = [
            (f"{video}[{i}]", video, item) for video, items in data.items() for i, item in enumerate(items)
        ]
    else:
        raise AnnotationError(path, "expected a list of events or an object {video: [events]}")
    events = []
    for where, video, item in entries:
        try:
            event = Event.from_dict(item)
        except (KeyError, TypeError, ValueError) as error:
            raise AnnotationError(path, f"{where}: not an event ({type(error).__name__}: {error})") from None
        if video is not None and event.video != video:
            raise AnnotationError(path, f"{where}: the event names video {event.video!r}")
        events.append(event)
    return events


def _same_class(predicted: str, reference: str) -> bool:
    return predicted.strip().casefold() == reference.strip().casefold()


def _mean(values: Sequence[float]) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _embedder(
    embedder: SentenceEmbedder | str | os.PathLike[str] | None, notes: list[str]
) -> SentenceEmbedder | None:
    if isinstance(embedder, SentenceEmbedder):
        return embedder
    if embedder is None and (missing := default_embedder_missing()) is not None:
        notes.append(f"text_cosine skipped: {missing}")
        return None
    return load_sentence_embedder(embedder)


def _text_metrics(
    pairs: Sequence[ExplanationMatch],
    embedder: SentenceEmbedder | str | os.PathLike[str] | None,
    notes: list[str],
    settings: dict[str, Any],
) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Corpus and per-pair text metrics of ``pairs`` (all with a predicted description)."""
    metrics = {"text_cosine": math.nan, "bleu_corpus": math.nan, "rouge_l_f": math.nan}
    per_pair: list[dict[str, float]] = [{} for _ in pairs]
    if not pairs:
        notes.append("text metrics undefined: no matched prediction has a description")
        return metrics, per_pair
    hypotheses = [str(match.predicted.description) for match in pairs]
    references = [match.reference.text for match in pairs]
    model = _embedder(embedder, notes)
    if model is not None:
        settings["embedding_model"] = model.name
        cosines = model.cosine(hypotheses, references)
        metrics["text_cosine"] = float(cosines.mean())
        for scores, value in zip(per_pair, cosines, strict=True):
            scores["text_cosine"] = float(value)
    if importlib.util.find_spec("sacrebleu") is None:
        notes.append('bleu_corpus skipped: sacrebleu is not installed (pip install "vadkit[explain]")')
    else:
        import sacrebleu

        metrics["bleu_corpus"] = float(sacrebleu.corpus_bleu(hypotheses, [references]).score)
    if importlib.util.find_spec("rouge_score") is None:
        notes.append('rouge_l_f skipped: rouge-score is not installed (pip install "vadkit[explain]")')
    else:
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
        values = [
            scorer.score(ref, hyp)["rougeL"].fmeasure for hyp, ref in zip(hypotheses, references, strict=True)
        ]
        metrics["rouge_l_f"] = _mean(values)
        for scores, value in zip(per_pair, values, strict=True):
            scores["rouge_l_f"] = float(value)
    return metrics, per_pair


def evaluate_explanations(
    predicted: Iterable[Event],
    references: Mapping[str, VideoDescriptions],
    *,
    iou_threshold: float = DEFAULT_EXPLANATION_IOU,
    text: bool = True,
    embedder: SentenceEmbedder | str | os.PathLike[str] | None = None,
) -> ExplanationReport:
    """Score the explanations of ``predicted`` events against the reference events of ``references``.

    Args:
        predicted: events of any videos (grouped by ``Event.video``, kept in input order).
        references: ``{video: VideoDescriptions}`` (:func:`vadkit.data.descriptions.read_descriptions`).
        iou_threshold: temporal IoU a pair needs to be matched, in ``(0, 1]``.
        text: compute the text metrics (``False``: they are ``nan``, noted).
        embedder: a loaded :class:`SentenceEmbedder`, a model folder or cached repo id (loaded offline), or
            ``None`` for the packaged all-MiniLM-L6-v2 (skipped, with a note, when it is not installed).

    Returns:
        The :data:`EXPLANATION_METRICS`, settings and matched pairs (see the module docstring).

    Raises:
        ValidationError: a bad threshold, or an ``embedder`` model that cannot be loaded.
    """
    _check_threshold(iou_threshold)
    by_video: dict[str, list[Event]] = defaultdict(list)
    for event in predicted:
        by_video[event.video].append(event)
    matches: list[ExplanationMatch] = []
    for video, video_refs in references.items():
        matches += match_events(by_video.get(video, []), video_refs, iou_threshold=iou_threshold)
    notes: list[str] = []
    settings: dict[str, Any] = {
        "iou_threshold": iou_threshold,
        "class_match": "equal ignoring case and surrounding whitespace",
        "bleu": "sacrebleu.corpus_bleu (corpus-level BLEU-4, 13a tokenizer, exp smoothing), 0-100",
        "rouge_l": "rouge_score RougeScorer(['rougeL'], use_stemmer=False) F-measure, mean over pairs",
        "unreferenced_videos": sorted(video for video in by_video if video not in references),
    }
    classified = [m for m in matches if m.predicted.class_name is not None and m.reference.label is not None]
    if matches and not classified:
        notes.append("class_accuracy undefined: no matched pair has a class on both sides")
    described = [i for i, m in enumerate(matches) if m.predicted.description]
    metrics: dict[str, float] = {
        "num_predicted": sum(len(by_video.get(video, [])) for video in references),
        "num_reference": sum(len(video_refs.events) for video_refs in references.values()),
        "num_matched": len(matches),
        "mean_tiou": _mean([m.iou for m in matches]),
        "num_class_pairs": len(classified),
        "class_accuracy": _mean(
            [float(_same_class(str(m.predicted.class_name), str(m.reference.label))) for m in classified]
        ),
        "num_described_pairs": len(described),
    }
    if text:
        text_values, per_pair = _text_metrics([matches[i] for i in described], embedder, notes, settings)
        for i, scores in zip(described, per_pair, strict=True):
            matches[i] = dataclasses.replace(matches[i], scores=scores)
    else:
        text_values = {"text_cosine": math.nan, "bleu_corpus": math.nan, "rouge_l_f": math.nan}
        notes.append("text metrics not computed (text=False)")
    metrics.update(text_values)
    settings["notes"] = notes
    return ExplanationReport({name: metrics[name] for name in EXPLANATION_METRICS}, settings, tuple(matches))
