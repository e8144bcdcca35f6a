"""Tiny sizes of every registered method, shared by the tests that train them (feature sizes: the tests)."""

from __future__ import annotations

from typing import Any

from vadkit.methods import METHODS, list_methods

TINY_SIZES: dict[str, dict[str, Any]] = {
    "mil": {},
    "rtfm": {"branch_channels": 4},
    "urdmu": {
        "hidden_dim": 8,
        "depth": 1,
        "heads": 2,
        "dim_head": 4,
        "mlp_dim": 8,
        "abnormal_memory_size": 4,
        "normal_memory_size": 4,
        "classifier_hidden": 4,
    },
    "hlnet": {},
}


def trained_methods() -> list[str]:
    """The registered methods that train (training-free ones, like ``clip-zeroshot``, are tested apart)."""
    return [name for name in list_methods() if METHODS.get(name).trainable]
