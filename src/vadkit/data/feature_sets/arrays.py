"""Opening one feature file of a public release, without pickles and without reading more than asked.

Two file kinds exist: ``.npy`` arrays (RTFM, DeepMIL/UR-DMU, XDVioDet, VadCLIP, vadkit) and Sultani's C3D
text files (``.txt``, one whitespace-separated row per segment, written ``"%f "`` with a trailing space). A
``.npy`` is memory-mapped, so its shape is known from the header and its data is read only when used; a
text file is parsed whole. Every problem raises :class:`~vadkit.errors.ValidationError` naming the video and
the file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vadkit.errors import ValidationError

TEXT_SUFFIXES = (".txt",)
"""Suffixes read as whitespace-separated text rows; everything else is read as ``.npy``."""


def _fail(video: str, path: Path, problem: str) -> ValidationError:
    return ValidationError(f"{video}: feature file {path}: {problem}")


def _open_npy(video: str, path: Path) -> np.ndarray:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as error:
        if "Python objects" in str(error):
            raise _fail(video, path, "holds Python objects (pickles are refused)") from None
        raise _fail(video, path, f"not a readable .npy array (truncated?): {error}") from None
    except OSError as error:
        raise _fail(video, path, f"unreadable ({error.strerror or error})") from None
    if not isinstance(array, np.ndarray):  # an .npz archive under a .npy name
        array.close()
        raise _fail(video, path, "is an .npz archive, expected one .npy array")
    return array


def _open_text(video: str, path: Path) -> np.ndarray:
    try:
        return np.loadtxt(path, dtype=np.float64, ndmin=2)
    except UnicodeDecodeError:
        raise _fail(video, path, "not a text file") from None
    except ValueError as error:
        raise _fail(video, path, f"not rows of numbers: {error}") from None
    except OSError as error:
        raise _fail(video, path, f"unreadable ({error.strerror or error})") from None


def open_feature_file(video: str, path: Path) -> np.ndarray:
    """The array of one feature file: memory-mapped for ``.npy`` (nothing read but the header), parsed for
    ``.txt``. Checks that the file exists and holds a numeric (integer or float) array.

    Raises:
        ValidationError: missing or unreadable file, pickled objects, an ``.npz``, non-numeric content.
    """
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "not found"
        raise _fail(video, path, what)
    array = _open_text(video, path) if path.suffix.lower() in TEXT_SUFFIXES else _open_npy(video, path)
    if array.dtype.kind not in "iuf":
        raise _fail(video, path, f"expected numbers, got dtype {array.dtype}")
    return array


def check_finite(video: str, path: Path, values: np.ndarray) -> None:
    """Raise :class:`ValidationError` naming the first rows (axis 0, 0-based) of ``values`` holding a NaN or
    an inf; ``values`` is the part of the video read from ``path``."""
    finite = np.isfinite(values.reshape(values.shape[0], -1)).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        shown = ", ".join(str(i) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
        raise _fail(
            video, path, f"NaN or inf in {bad.size} of {values.shape[0]} rows (0-based rows: {shown})"
        )
