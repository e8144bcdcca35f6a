"""Evaluate a folder of per-video score files (any method, any repository) against a benchmark's files.

This is what ``vadkit eval --protocol NAME --scores DIR --gt PATH`` runs: score files are read, their names
normalised to bare video names (``Abuse028_x264_i3d.npy`` and ``Abuse028_x264__0.npy`` both score
``Abuse028_x264``), the protocol's dataset builds the ground truth from ``--gt`` with the protocol's
options overridden by the user's, and :func:`~vadkit.eval.evaluate` computes the metrics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vadkit.data import build_ground_truth, video_name
from vadkit.errors import ValidationError
from vadkit.eval.evaluate import ScoreLevel, evaluate
from vadkit.eval.protocols import get_protocol
from vadkit.eval.score_files import load_score_dir
from vadkit.types import EvalReport, GroundTruth

SNIPPET_COUNTS_FROM_SCORES = "scores"
"""Value of the ``snippet_counts`` option meaning: T of each video is the length of its snippet-score file."""


@dataclass(frozen=True)
class ScoreDirEvaluation:
    """The outcome of :func:`evaluate_score_dir`: the report, the ground truth and scores it used, and where
    ``metrics.json`` went (``None`` when no output folder was given)."""

    report: EvalReport
    ground_truth: dict[str, GroundTruth]
    scores: dict[str, np.ndarray]
    metrics_path: Path | None


def load_named_scores(scores_dir: str | Path) -> dict[str, np.ndarray]:
    """Score files of ``scores_dir`` keyed by bare video name (see :func:`vadkit.data.video_name`).

    Raises:
        ValidationError: two files name the same video (e.g. ``a__0.npy`` and ``a__1.npy``: combine crops
            into one ``(T, crops)`` file instead).
    """
    named: dict[str, np.ndarray] = {}
    origin: dict[str, str] = {}
    for stem, scores in load_score_dir(scores_dir).items():
        name = video_name(stem)
        if name in named:
            raise ValidationError(
                f"{scores_dir}: {origin[name]}.npy and {stem}.npy both hold scores of video {name}"
            )
        named[name], origin[name] = scores, stem
    return named


def evaluate_score_dir(
    protocol: str,
    scores_dir: str | Path,
    gt_source: str | Path,
    *,
    gt_options: Mapping[str, str] | None = None,
    compat: str | None = None,
    score_level: ScoreLevel = "auto",
    out_dir: str | Path | None = None,
) -> ScoreDirEvaluation:
    """Evaluate ``<video>.npy`` score files under a named protocol and (optionally) write ``metrics.json``.

    Args:
        protocol: a registered protocol name (:func:`~vadkit.eval.list_protocols`).
        scores_dir: folder of score files, one per video, per snippet or per frame.
        gt_source: the benchmark's annotation file or folder (handed to its ground-truth builder).
        gt_options: builder options overriding the protocol's defaults; ``snippet_counts="scores"`` takes
            each video's T from its score file (and then requires snippet-level scores).
        compat: a compat mode of the protocol (e.g. ``"ano_pred"``).
        score_level: ``"auto"``, ``"snippet"`` or ``"frame"``.
        out_dir: where ``metrics.json`` is written; ``None`` writes nothing.

    Raises:
        ValidationError: a required option is missing, or options contradict each other.
        AnnotationError, LengthMismatchError: from the builder and the evaluation, naming the file or video.
    """
    chosen = get_protocol(protocol, compat=compat)
    options = chosen.ground_truth_options(gt_options or {})
    scores = load_named_scores(scores_dir)
    if options.get("snippet_counts") == SNIPPET_COUNTS_FROM_SCORES:
        if score_level == "frame":
            raise ValidationError("snippet_counts=scores takes T from snippet-level scores, not frame scores")
        options["snippet_counts"] = {video: int(values.shape[0]) for video, values in scores.items()}
        score_level = "snippet"
    truth = build_ground_truth(chosen.dataset, gt_source, **options)
    report = evaluate(chosen, truth, scores, score_level=score_level)
    settings = {
        **report.settings,
        "gt_path": str(gt_source),
        "gt_options": {**chosen.gt_options, **dict(gt_options or {})},
        "scores_dir": str(scores_dir),
    }
    report = dataclasses.replace(report, settings=settings)
    metrics_path = None
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        metrics_path = report.save(Path(out_dir) / "metrics.json")
    return ScoreDirEvaluation(report, truth, scores, metrics_path)
