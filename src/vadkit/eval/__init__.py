"""Evaluation: frame-level metrics, named protocols, and :func:`evaluate` producing an EvalReport."""

from __future__ import annotations

from vadkit.eval.evaluate import evaluate
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
from vadkit.eval.protocols import (
    COMPAT_MODES,
    METRIC_KINDS,
    PROTOCOLS,
    Protocol,
    get_protocol,
    list_protocols,
)
from vadkit.eval.score_files import load_score_dir, load_score_file

__all__ = [
    "COMPAT_MODES",
    "METRIC_KINDS",
    "PROTOCOLS",
    "Protocol",
    "ap_pr_trapz",
    "ap_sklearn",
    "auc_abnormal_videos",
    "auc_macro",
    "auc_micro",
    "eer",
    "eer_point",
    "evaluate",
    "far_at_threshold",
    "far_metric_name",
    "get_protocol",
    "list_protocols",
    "load_score_dir",
    "load_score_file",
    "macro_average",
    "per_video_auc",
]
