"""Reading a folder of per-video score files (one ``<video>.npy`` per test video)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vadkit.errors import ValidationError


def load_score_file(path: str | Path) -> np.ndarray:
    """One video's scores from a ``.npy`` file, as a 1-D float64 array (one score per snippet or frame).

    Accepted shapes: ``(T,)``; ``(T, 1)`` (squeezed); ``(T, crops)``, averaged over the crops (axis 1), which
    is how the reference evaluations combine crop scores. Loaded with ``allow_pickle=False``.

    Raises:
        ValidationError: unreadable or pickled file, non-numeric dtype, other shapes, or no scores; the
            message names the file.
    """
    path = Path(path)
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise ValidationError(f"{path}: cannot read scores ({exc})") from exc
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise ValidationError(
            f"{path}: scores must be a numeric array, got {getattr(array, 'dtype', type(array))}"
        )
    if array.ndim == 2:
        array = array.mean(axis=1, dtype=np.float64)
    if array.ndim != 1 or array.shape[0] == 0:
        raise ValidationError(f"{path}: scores must have shape (T,), (T, 1) or (T, crops), got {array.shape}")
    return array.astype(np.float64, copy=False)


def load_score_dir(path: str | Path) -> dict[str, np.ndarray]:
    """Scores of every video in a folder: ``{<video>: scores}`` for each ``<video>.npy``, sorted by name.

    Each file is read with :func:`load_score_file`. Other files and sub-folders are ignored.

    Raises:
        ValidationError: the folder does not exist, holds no ``.npy`` file, or a file is unreadable.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise ValidationError(f"{folder}: score folder does not exist")
    files = sorted(p for p in folder.glob("*.npy") if p.is_file())
    if not files:
        raise ValidationError(f"{folder}: no <video>.npy score files")
    return {file.stem: load_score_file(file) for file in files}
