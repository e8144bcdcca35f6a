"""Evaluation: frame-level metrics, named protocols, :func:`evaluate` producing an EvalReport, the
class-wise temporal detection metric :func:`map_at_iou`, and the scoring of explanations
(:func:`evaluate_explanations`)."""

from __future__ import annotations

from vadkit.eval.class_score_dir import evaluate_class_score_dir
from vadkit.eval.detection_map import (
    DEFAULT_IOU_THRESHOLDS,
    DETECTION_COMPAT_MODES,
    DetectionMAP,
    events_from_ground_truth,
    map_at_iou,
)
from vadkit.eval.evaluate import evaluate, frame_level_scores
from vadkit.eval.explanations import (
    DEFAULT_EXPLANATION_IOU,
    EXPLANATION_METRICS,
    ExplanationMatch,
    ExplanationReport,
    evaluate_explanations,
    match_events,
    read_predicted_events,
    temporal_iou,
)
from vadkit.eval.metrics import (
    ap_pr_trapz,
    ap_sklearn,
    auc_abnormal_videos,
    auc_macro,
    auc_micro,
    eer,
    eer_point,
    far_at_threshold,
    far_metric_name,
    macro_average,
    per_video_auc,
)
from vadkit.eval.per_class import auc_per_class
from vadkit.eval.protocols import (
    COMPAT_MODES,
    METRIC_KINDS,
    PROTOCOLS,
    Protocol,
    get_protocol,
    list_protocols,
)
from vadkit.eval.score_dir import ScoreDirEvaluation, evaluate_score_dir, load_named_scores
from vadkit.eval.score_files import load_score_dir, load_score_file

__all__ = [
    "COMPAT_MODES",
    "DEFAULT_EXPLANATION_IOU",
    "DEFAULT_IOU_THRESHOLDS",
    "DETECTION_COMPAT_MODES",
    "EXPLANATION_METRICS",
    "METRIC_KINDS",
    "PROTOCOLS",
    "DetectionMAP",
    "ExplanationMatch",
    "ExplanationReport",
    "Protocol",
    "ScoreDirEvaluation",
    "ap_pr_trapz",
    "ap_sklearn",
    "auc_abnormal_videos",
    "auc_macro",
    "auc_micro",
    "auc_per_class",
    "eer",
    "eer_point",
    "evaluate",
    "evaluate_class_score_dir",
    "evaluate_explanations",
    "evaluate_score_dir",
    "events_from_ground_truth",
    "far_at_threshold",
    "far_metric_name",
    "frame_level_scores",
    "get_protocol",
    "list_protocols",
    "load_named_scores",
    "load_score_dir",
    "load_score_file",
    "macro_average",
    "map_at_iou",
    "match_events",
    "per_video_auc",
    "read_predicted_events",
    "temporal_iou",
]
