"""CUHK Avenue frame-level ground truth from the pixel masks (docs/benchmark-formats.md §1.5).

``ground_truth_demo/testing_label_mask/<i>_label.mat`` (i = 1 … 21, no zero padding) holds ``volLabel``, a
(1, n_frames) cell of H×W masks; a frame is abnormal when its mask has a nonzero pixel (``mask.sum() > 0``).
Videos are named ``01`` … ``21``, like the test videos ``testing_videos/01.avi`` ….
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vadkit.data.counts import CountSource, CountTable
from vadkit.data.framing import Framing
from vadkit.data.matfiles import load_mat_variable, numeric_array
from vadkit.errors import AnnotationError
from vadkit.types import GroundTruth

_MASK_FILE = re.compile(r"^(\d+)_label\.mat$")


def read_avenue_masks(path: str | Path) -> np.ndarray:
    """Frame labels (uint8 0/1, one per cell of ``volLabel``) of one ``<i>_label.mat`` file.

    Raises :class:`AnnotationError` when ``volLabel`` is missing, not a cell array, or holds a non-numeric or
    non-2-D mask.
    """
    cells = load_mat_variable(path, "volLabel")
    if not isinstance(cells, np.ndarray) or cells.dtype != object:
        raise AnnotationError(path, "volLabel must be a cell array of H×W masks, one per frame")
    labels = np.zeros(cells.size, dtype=np.uint8)
    for frame, cell in enumerate(cells.ravel()):
        mask = numeric_array(cell, path, f"volLabel mask of frame {frame + 1}")
        if mask.ndim != 2:
            raise AnnotationError(
                path, f"volLabel mask of frame {frame + 1} must be H×W, got shape {mask.shape}"
            )
        labels[frame] = np.count_nonzero(mask) > 0
    return labels


def build_avenue_gt(
    source: str | Path,
    *,
    length: str = "frames",
    snippet_counts: CountSource | CountTable | None = None,
    snippet_length: int | str = 16,
) -> dict[str, GroundTruth]:
    """Frame-level ground truth of the 21 Avenue test videos.

    Args:
        source: the ``testing_label_mask`` folder of ``<i>_label.mat`` files.
        length: ``"frames"`` (default; n is the number of masks) or another length rule.
        snippet_counts: T per video, for ``length="snippets"``.
        snippet_length: frames per snippet (16).

    Returns:
        ``{"01": GroundTruth, …}`` sorted by number; events are runs of abnormal frames; ``label`` is
        ``"Abnormal"`` or ``"Normal"``.

    Raises:
        AnnotationError: a missing folder, a folder without ``<i>_label.mat``, or a malformed file.
    """
    folder = Path(source)
    if not folder.is_dir():
        raise AnnotationError(folder, "mask folder not found")
    numbered = sorted((int(m.group(1)), f) for f in folder.iterdir() if (m := _MASK_FILE.match(f.name)))
    if not numbered:
        raise AnnotationError(folder, "folder holds no <i>_label.mat files")
    framing = Framing.create(
        folder,
        convention=None,
        length=length,
        snippet_length=snippet_length,
        frame_counts=None,
        snippet_counts=snippet_counts,
    )
    gts: dict[str, GroundTruth] = {}
    for number, path in numbered:
        name = f"{number:02d}"
        labels = read_avenue_masks(path)
        label = "Abnormal" if labels.any() else "Normal"
        gts[name] = framing.from_mask(name, labels, label=label, origin=f"{folder.name}/{path.name}")
    return gts
