"""vadkit's synthetic benchmark generator: procedurally rendered fixed-camera street scenes with normal
activity and eight semantic anomaly classes, written in the public benchmark layouts.

>>> from vadkit.synth import generate
>>> manifest = generate("synthetic-small", preset="small", seed=0, workers=2)  # doctest: +SKIP
>>> manifest.card                                                             # doctest: +SKIP
PosixPath('synthetic-small/README.md')

Read it back with :func:`vadkit.data.build_ground_truth` (``"synthetic"``) and
:func:`vadkit.data.read_synthetic_split`. Modules: :mod:`~vadkit.synth.rules` (the world's numbers),
:mod:`~vadkit.synth.layouts` and :mod:`~vadkit.synth.scenes`, :mod:`~vadkit.synth.agents`,
:mod:`~vadkit.synth.traffic`, :mod:`~vadkit.synth.pedestrians`, :mod:`~vadkit.synth.behaviours` and
:mod:`~vadkit.synth.anomalies` (the classes), :mod:`~vadkit.synth.simulate`, :mod:`~vadkit.synth.render`,
:mod:`~vadkit.synth.truth`, :mod:`~vadkit.synth.writer`, :mod:`~vadkit.synth.card`.
"""

from __future__ import annotations

from vadkit.synth.anomalies import ANOMALY_CLASSES, CLASS_NAMES, NORMAL_LABEL, AnomalyClass, anomaly_class
from vadkit.synth.generate import generate
from vadkit.synth.manifest import SyntheticManifest, VideoRecord
from vadkit.synth.presets import PRESETS, SPLITS, Preset, resolve_preset

__all__ = [
    "ANOMALY_CLASSES",
    "CLASS_NAMES",
    "NORMAL_LABEL",
    "PRESETS",
    "SPLITS",
    "AnomalyClass",
    "Preset",
    "SyntheticManifest",
    "VideoRecord",
    "anomaly_class",
    "generate",
    "resolve_preset",
]
