"""Sultani's released Keras weights (``weights_L1L2.mat``) as a :class:`~vadkit.methods.mil.SultaniMIL`
state dict.

The release saves a Keras 1.1 ``Sequential`` (``model.json``: Dense 512 relu, Dropout, Dense 32 linear,
Dropout, Dense 1 sigmoid) with ``save_model`` of ``TrainingAnomalyDetector_public.py``: a MATLAB v5 file with
one entry per layer, named ``"0"``, ``"1"``, ... in layer order, holding a cell of the layer's weights
(``[kernel (in, out), bias (out,)]`` for Dense, empty for Dropout). It is read with :func:`scipy.io.loadmat`,
which parses MAT data and never unpickles. Keras computes ``x @ kernel + bias``; PyTorch's ``Linear`` stores
``weight = kernel.T``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from vadkit.errors import ValidationError

LAYER_NAMES = ("fc1", "fc2", "fc3")


def read_sultani_keras_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The Dense layers of a Keras ``save_model`` ``.mat`` file as ``fc1``/``fc2``/``fc3`` float32 tensors.

    Load the result with ``SultaniMIL(feature_dim=D).load_state_dict(state, strict=True)``; D is the kernel's
    first axis (4096 for the release).

    Raises:
        ValidationError: the file is missing or not a MAT v5 file, or its layers are not three Dense layers
            with chained shapes ending in one output.
    """
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: Keras weights file not found")
    try:
        mat = loadmat(str(path))
    except (MatReadError, ValueError, TypeError, NotImplementedError, OSError) as exc:
        raise ValidationError(f"{path}: not a MATLAB v5 weights file ({exc})") from exc
    layer_keys = sorted((key for key in mat if key.isdigit()), key=int)
    dense = [_layer_arrays(mat[key], path, key) for key in layer_keys]
    dense = [arrays for arrays in dense if arrays]
    if len(dense) != len(LAYER_NAMES):
        raise ValidationError(
            f"{path}: expected {len(LAYER_NAMES)} Dense layers (Sultani's model.json), found {len(dense)} "
            f"layers with weights among entries {layer_keys}"
        )
    state: dict[str, torch.Tensor] = {}
    previous_out: int | None = None
    for name, (kernel, bias) in zip(LAYER_NAMES, dense, strict=True):
        bias = bias.reshape(-1)
        if kernel.ndim != 2 or bias.shape[0] != kernel.shape[1]:
            raise ValidationError(
                f"{path}: layer {name} has kernel {kernel.shape} and bias {bias.shape}; "
                "expected (in, out) and (out,)"
            )
        if previous_out is not None and kernel.shape[0] != previous_out:
            raise ValidationError(
                f"{path}: layer {name} takes {kernel.shape[0]} inputs, the previous layer gives "
                f"{previous_out}"
            )
        previous_out = kernel.shape[1]
        state[f"{name}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.T, dtype=np.float32))
        state[f"{name}.bias"] = torch.from_numpy(np.ascontiguousarray(bias, dtype=np.float32))
    return state


def _layer_arrays(entry: np.ndarray, path: Path, key: str) -> list[np.ndarray]:
    """The weight arrays of one saved layer (``[]`` for a layer without weights)."""
    arrays = [np.asarray(item) for item in np.asarray(entry, dtype=object).reshape(-1)]
    if arrays and len(arrays) != 2:
        raise ValidationError(
            f"{path}: layer entry {key!r} holds {len(arrays)} arrays; a Dense layer holds 2"
        )
    return arrays
