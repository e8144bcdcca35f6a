"""Reading ``.npy`` files that hold pickled object arrays, without running arbitrary code.

Some reference files (VadCLIP's ``gt_segment*.npy`` and ``gt_label*.npy``) are object arrays of Python lists,
which ``np.save`` stores as a pickle after the ``.npy`` header. ``np.load(..., allow_pickle=True)`` would run
whatever the pickle names; :func:`load_object_npy` reads the header itself and unpickles the payload with a
restricted unpickler that resolves only the callables numpy's own array pickles use (the array reconstructor,
``ndarray``, ``dtype`` and numpy's scalar reconstructor). Lists, tuples, strings and numbers are pickle
opcodes, not globals, so no builtin needs to be allowed. Anything else is refused before it is resolved.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from vadkit.errors import ValidationError

# Taken from numpy's own pickling, so they are the right objects under numpy 1.x (numpy.core) and 2.x
# (numpy._core) alike, without importing either private module.
_RECONSTRUCT = np.empty(0).__reduce__()[0]
_SCALAR = np.float64(0).__reduce__()[0]

_ALLOWED: dict[tuple[str, str], Any] = {
    **{
        (module, "_reconstruct"): _RECONSTRUCT
        for module in ("numpy.core.multiarray", "numpy._core.multiarray")
    },
    **{(module, "scalar"): _SCALAR for module in ("numpy.core.multiarray", "numpy._core.multiarray")},
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}
"""The only globals an object-array pickle may reference: ``(module, name)`` -> the object it resolves to."""


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`_ALLOWED` globals and refuses every other one."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refused global {module}.{name}") from None


def _read_header(handle: BinaryIO, path: Path) -> tuple[tuple[int, ...], np.dtype]:
    try:
        version = np.lib.format.read_magic(handle)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
        else:
            raise ValueError(f"unsupported .npy format version {version[0]}.{version[1]}")
    except ValueError as error:
        raise ValidationError(f"{path}: not a readable .npy file ({error})") from None
    return tuple(shape), dtype


def load_object_npy(path: str | Path) -> np.ndarray:
    """The array stored in ``path``; object arrays are unpickled with the restricted unpickler.

    Arrays without objects are read with ``np.load(..., allow_pickle=False)``.

    Raises:
        ValidationError: naming the file, when it is missing or not a ``.npy`` file, when its pickle
            references anything but numpy's array reconstruction (``os.system``, ``builtins.eval``, any
            class), or when the payload is malformed or does not match the header's shape.
    """
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: file not found")
    with path.open("rb") as handle:
        shape, dtype = _read_header(handle, path)
        if not dtype.hasobject:
            return np.load(path, allow_pickle=False)
        try:
            array = _ArrayOnlyUnpickler(handle).load()
        except pickle.UnpicklingError as error:
            raise ValidationError(f"{path}: unsafe or malformed pickle ({error})") from None
        except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
            raise ValidationError(f"{path}: malformed pickle ({type(error).__name__}: {error})") from None
    if not isinstance(array, np.ndarray) or array.shape != shape:
        found = array.shape if isinstance(array, np.ndarray) else type(array).__name__
        raise ValidationError(f"{path}: the pickle holds {found}, the header announces an array of {shape}")
    return array
