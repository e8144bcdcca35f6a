"""Anomaly detection methods, one file per family, registered by name.

>>> from vadkit.methods import create_method, list_methods
>>> list_methods()
['clip-zeroshot', 'hlnet', 'mil', 'rtfm', 'tpwng', 'urdmu', 'vadclip', 'vadclip_xd']
"""

from vadkit.methods import clip_zeroshot as _clip_zeroshot  # noqa: F401  (each import registers its method)
from vadkit.methods import hlnet as _hlnet  # noqa: F401
from vadkit.methods import mil as _mil  # noqa: F401
from vadkit.methods import rtfm as _rtfm  # noqa: F401
from vadkit.methods import tpwng as _tpwng  # noqa: F401
from vadkit.methods import urdmu as _urdmu  # noqa: F401
from vadkit.methods import vadclip as _vadclip  # noqa: F401  (vadclip and vadclip_xd)
from vadkit.methods.base import (
    BALANCED_RECIPE,
    BATCHINGS,
    METHODS,
    Batching,
    EpochSchedule,
    TrainRecipe,
    TrainSequence,
    WeakBatch,
    WeakHead,
    create_method,
    list_methods,
    load_reference_checkpoint,
    read_state_dict,
    register_method,
)

__all__ = [
    "BALANCED_RECIPE",
    "BATCHINGS",
    "METHODS",
    "Batching",
    "EpochSchedule",
    "TrainRecipe",
    "TrainSequence",
    "WeakBatch",
    "WeakHead",
    "create_method",
    "list_methods",
    "load_reference_checkpoint",
    "read_state_dict",
    "register_method",
]
