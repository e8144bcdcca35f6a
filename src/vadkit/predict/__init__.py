"""``vadkit predict``: a trained run on new videos: frame scores, events, explanations, outputs and a report.

>>> from vadkit.predict import load_detector, run_prediction
>>> result = run_prediction(["new_videos/"], load_detector("runs/rtfm"), "predictions/")  # doctest: +SKIP
"""

from vadkit.predict.detector import Detector, ExtractorSpec, load_detector
from vadkit.predict.explanations import ExplainSettings
from vadkit.predict.outputs import SCHEMA, read_prediction
from vadkit.predict.pipeline import DEFAULT_EVENTS, Threshold, VideoPrediction, predict_video
from vadkit.predict.run import PredictionRun, PredictSettings, run_prediction

__all__ = [
    "DEFAULT_EVENTS",
    "SCHEMA",
    "Detector",
    "ExplainSettings",
    "ExtractorSpec",
    "PredictSettings",
    "PredictionRun",
    "Threshold",
    "VideoPrediction",
    "load_detector",
    "predict_video",
    "read_prediction",
    "run_prediction",
]
