"""ShanghaiTech frame masks and frame-level ground truth (docs/benchmark-formats.md §1.2, §1.1).

``test_frame_mask/<scene>_<clip>.npy`` holds one uint8 0/1 value per frame for each of the 107 videos of the
one-class test set; every one of them contains an anomaly. The weakly-supervised split (Zhong et al., RTFM's
lists) moves 63 of them into its training set and keeps 44 in its test set, next to 155 normal videos taken
from the one-class *training* set, which have no mask. So a video of either weak split is abnormal iff it has
a mask with a 1, and the normal test videos' lengths must come from elsewhere (their features: T*16, as RTFM).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vadkit.data.counts import CountSource, CountTable
from vadkit.data.framing import Framing
from vadkit.data.lists import read_split
from vadkit.errors import AnnotationError
from vadkit.types import GroundTruth


def load_frame_mask(path: str | Path) -> np.ndarray:
    """One frame mask as uint8, checked: a 1-D numeric array of 0s and 1s, loaded without pickles.

    Raises :class:`AnnotationError` naming the file for a missing/unreadable file, an object (pickled) array,
    a wrong shape or a value outside {0, 1}.
    """
    path = Path(path)
    try:
        mask = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise AnnotationError(path, "file not found") from None
    except ValueError as error:
        raise AnnotationError(
            path, f"not a plain .npy array (pickled objects are refused): {error}"
        ) from None
    except OSError as error:
        raise AnnotationError(path, f"unreadable .npy file: {error}") from None
    if not isinstance(mask, np.ndarray) or mask.ndim != 1 or mask.dtype.kind not in "biuf":
        raise AnnotationError(path, f"expected a 1-D numeric frame mask, got {getattr(mask, 'shape', '?')}")
    bad = mask[(mask != 0) & (mask != 1)]
    if bad.size:
        raise AnnotationError(path, f"frame mask values must be 0 or 1, found {bad[0].item()!r}")
    return mask.astype(np.uint8)


def read_frame_masks(folder: str | Path) -> dict[str, np.ndarray]:
    """Every ``<video>.npy`` mask of a ``test_frame_mask`` folder, sorted by video name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AnnotationError(folder, "mask folder not found")
    files = sorted(folder.glob("*.npy"))
    if not files:
        raise AnnotationError(folder, "folder holds no .npy frame masks")
    return {f.stem: load_frame_mask(f) for f in files}


def build_shanghaitech_gt(
    source: str | Path,
    *,
    list_file: str | Path | None = None,
    length: str | None = None,
    frame_counts: CountSource | CountTable | None = None,
    snippet_counts: CountSource | CountTable | None = None,
    snippet_length: int | str = 16,
    check_counts: bool = True,
) -> dict[str, GroundTruth]:
    """Frame-level ground truth of ShanghaiTech test videos from their frame masks.

    Args:
        source: the ``test_frame_mask`` folder.
        list_file: ``None`` for the one-class test set (every mask, sorted by name); or the weak test list
            (RTFM ``shanghai-i3d-test-10crop.list`` or ``SH_Test.txt``, which is sorted differently), fixing
            videos and order. Listed videos with an all-zero or no mask are normal; those without a mask need
            a frame count or a snippet count.
        length: ``"frames"`` (n) or ``"ceil16"`` (``ceil(n/16)*16``, last label repeated: RTFM's
            ``gt-sh.npy``), ``"snippets"`` (T*16, masks padded with the last label or cut) or ``"xdviodet"``.
            Default: ``"ceil16"`` with ``list_file``, ``"frames"`` without.
        frame_counts: n for videos without a mask (mapping, JSON file or ``<video> <n>`` text file).
        snippet_counts: T per video (mapping or JSON file): for ``"snippets"``, and for maskless videos under
            ``"ceil16"`` (length T*16).
        snippet_length: frames per snippet (16).
        check_counts: check the list has the 44 abnormal + 155 normal videos of the weak test split.

    Returns:
        ``{video: GroundTruth}``; events are the runs of 1s of the masks (real frames, before padding);
        ``label`` is ``"Abnormal"`` or ``"Normal"``.

    Raises:
        AnnotationError: a missing or malformed mask (values outside {0, 1}, pickled, not 1-D), a malformed
            list, a maskless video without the count its length rule needs, or wrong split counts.
    """
    masks = read_frame_masks(source)
    framing = Framing.create(
        source,
        convention=None,
        length=length or ("ceil16" if list_file is not None else "frames"),
        snippet_length=snippet_length,
        frame_counts=frame_counts,
        snippet_counts=snippet_counts,
    )
    abnormal = {name for name, mask in masks.items() if mask.any()}
    if list_file is None:
        names: tuple[str, ...] = tuple(masks)
    else:
        split = read_split(
            list_file, "shanghaitech", split="test", abnormal_videos=abnormal, check_counts=check_counts
        )
        names = split.names
    folder = Path(source).name
    gts: dict[str, GroundTruth] = {}
    for name in names:
        label = "Abnormal" if name in abnormal else "Normal"
        if name in masks:
            gts[name] = framing.from_mask(name, masks[name], label=label, origin=f"{folder}/{name}.npy")
        else:
            gts[name] = framing.unannotated(name, label=label, reason=f"{folder}: no mask, normal")
    return gts
