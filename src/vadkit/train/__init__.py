"""Weakly-supervised training: honest splits and label budgets, the references' batches and learning-rate
schedules, a plain PyTorch loop with validation-based model selection, checkpoints (safetensors + JSON) and
resume.

Typical use::

    from vadkit.train import TrainConfig, carve_validation, load_checkpoint, train

    fit, val = carve_validation(train_features, fraction=0.2, seed=0)
    result = train(TrainConfig("rtfm", {"feature_dim": 2048}, steps=15000), fit, val, run_dir="runs/rtfm")
    model = load_checkpoint(result.selected_checkpoint)
"""

from __future__ import annotations

from vadkit.train.arrays import ArrayFeatureSet, ArrayVideo
from vadkit.train.batches import (
    BalancedSampler,
    BatchSampler,
    CropRowSampler,
    class_batch_indices,
    collate,
    make_sampler,
    shuffled_batch_indices,
)
from vadkit.train.cache import LRUCache
from vadkit.train.checkpoint import load_checkpoint, read_info
from vadkit.train.classes import MAP_METRIC_NAMES, ClassList, video_class_indices
from vadkit.train.config import TrainConfig
from vadkit.train.datasets import DatasetSpec, ExperimentData, infer_layout
from vadkit.train.experiment import ExperimentConfig, ExperimentResult, SeedResult, run_experiment
from vadkit.train.normalization import StandardizedFeatureSet, Standardizer, fit_standardizer
from vadkit.train.results import aggregate_metrics, mean_std, write_results_csv
from vadkit.train.run_eval import RunEvaluation, evaluate_run
from vadkit.train.scoring import class_score_feature_set, evaluating, score_feature_set, score_video
from vadkit.train.selection import SELECTION_CRITERIA, SelectionCriterion, selection_value
from vadkit.train.sequences import (
    PreparedSequence,
    VideoInputs,
    load_inputs,
    training_sequence,
)
from vadkit.train.source import FeatureSetLike, FeatureVideoLike
from vadkit.train.splits import carve_validation, limit_abnormal
from vadkit.train.trainer import EvalRecord, TrainResult, build_optimizer, train, training_free_checkpoint

__all__ = [
    "MAP_METRIC_NAMES",
    "SELECTION_CRITERIA",
    "ArrayFeatureSet",
    "ArrayVideo",
    "BalancedSampler",
    "BatchSampler",
    "ClassList",
    "CropRowSampler",
    "DatasetSpec",
    "EvalRecord",
    "ExperimentConfig",
    "ExperimentData",
    "ExperimentResult",
    "FeatureSetLike",
    "FeatureVideoLike",
    "LRUCache",
    "PreparedSequence",
    "RunEvaluation",
    "SeedResult",
    "SelectionCriterion",
    "StandardizedFeatureSet",
    "Standardizer",
    "TrainConfig",
    "TrainResult",
    "VideoInputs",
    "aggregate_metrics",
    "build_optimizer",
    "carve_validation",
    "class_batch_indices",
    "class_score_feature_set",
    "collate",
    "evaluate_run",
    "evaluating",
    "fit_standardizer",
    "infer_layout",
    "limit_abnormal",
    "load_checkpoint",
    "load_inputs",
    "make_sampler",
    "mean_std",
    "read_info",
    "run_experiment",
    "score_feature_set",
    "score_video",
    "selection_value",
    "shuffled_batch_indices",
    "train",
    "training_free_checkpoint",
    "training_sequence",
    "video_class_indices",
    "write_results_csv",
]
