"""Reading the MATLAB ``.mat`` annotation files of the benchmarks (UCF-Crime per-video ``.mat``, ``ped2.mat``,
Avenue ``<i>_label.mat``), with every failure reported as an :class:`~vadkit.errors.AnnotationError`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy.io import loadmat
from scipy.io.matlab import MatReadError

from vadkit.errors import AnnotationError


def load_mat_variable(path: str | Path, key: str, *, squeeze: bool = False) -> Any:
    """Variable ``key`` of a MATLAB v4-v7.2 file, read with :func:`scipy.io.loadmat` (never executes code).

    ``squeeze=True`` reads with ``squeeze_me=True, struct_as_record=False`` (structs become objects with
    attributes, singleton dimensions vanish); the default keeps MATLAB's 2-D shapes, so a single-range entry
    stays ``(2, 1)`` instead of collapsing to ``(2,)``. Raises :class:`AnnotationError` when the file is
    missing, unreadable (including v7.3/HDF5 files) or lacks ``key``.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(path, "file not found")
    try:
        content = loadmat(path, squeeze_me=squeeze, struct_as_record=not squeeze)
    except NotImplementedError:
        raise AnnotationError(path, "MATLAB v7.3 (HDF5) files are not supported; re-save with -v7") from None
    except (MatReadError, ValueError, OSError, TypeError, IndexError, KeyError, EOFError) as error:
        # scipy reports truncated or foreign files through any of these
        raise AnnotationError(path, f"not a readable MATLAB file ({type(error).__name__}: {error})") from None
    if key not in content:
        found = ", ".join(k for k in content if not k.startswith("__")) or "none"
        raise AnnotationError(path, f"no variable {key!r} (variables: {found})")
    return content[key]


def numeric_array(value: Any, where: str | Path, what: str) -> np.ndarray:
    """``value`` as a numeric (bool/int/uint/float) array, else an :class:`AnnotationError` about ``what``."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise AnnotationError(where, f"{what} must be numeric, got dtype {array.dtype}")
    return array
