"""Tiny sizes of every registered method, shared by the tests that train them (feature sizes: the tests)."""

from __future__ import annotations

from typing import Any

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
