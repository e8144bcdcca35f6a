"""vadkit: video anomaly detection and understanding.

The main entry points are available from the top-level package and imported on first use (so that
``import vadkit`` stays light): ``vadkit.open_video``, ``vadkit.build_ground_truth``, ``vadkit.evaluate``,
``vadkit.get_protocol``, ``vadkit.list_protocols``, ``vadkit.create_extractor``, ``vadkit.list_extractors``,
``vadkit.run_extraction``, ``vadkit.create_method``, ``vadkit.list_methods``, ``vadkit.generate_synthetic``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "open_video": ("vadkit.io", "open_video"),
    "build_ground_truth": ("vadkit.data", "build_ground_truth"),
    "evaluate": ("vadkit.eval", "evaluate"),
    "get_protocol": ("vadkit.eval", "get_protocol"),
    "list_protocols": ("vadkit.eval", "list_protocols"),
    "create_extractor": ("vadkit.features", "create_extractor"),
    "list_extractors": ("vadkit.features", "list_extractors"),
    "run_extraction": ("vadkit.features", "run_extraction"),
    "create_method": ("vadkit.methods", "create_method"),
    "list_methods": ("vadkit.methods", "list_methods"),
    "generate_synthetic": ("vadkit.synth", "generate"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    """Import the entry points of :data:`_LAZY` on first access."""
    if name not in _LAZY:
        raise AttributeError(f"module 'vadkit' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value
