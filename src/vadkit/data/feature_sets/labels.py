"""Video-level labels and classes of a feature list, and the check against the public split sizes.

Every reference repository splits normal from abnormal by a hard-coded index (``[:810]``, ``[:63]``,
``[:9525]``). vadkit derives the label of each video instead and checks the counts against
:data:`~vadkit.data.lists.KNOWN_SPLIT_COUNTS`, so a truncated or reordered list is caught:

* UCF-Crime and XD-Violence: from the name (``Normal``, ``_label_A``; :func:`~vadkit.data.is_abnormal_name`);
* ShanghaiTech, whose names carry no label: from ``abnormal_videos`` (names, or the ``test_frame_mask``
  folder: a video of either weak split is abnormal iff it has a mask with a 1; the 107 masks cover the 63
  abnormal weak-train and the 44 abnormal weak-test videos), else from the public layout: the list must hold
  exactly the videos of the weak split (238 train, 199 test) with the abnormal ones first (63, 44), which is
  what RTFM's ``[:63]`` assumes. The layout rule only trusts the order, so it applies to feature lists
  (RTFM's ``shanghai-i3d-*.list``, where it agrees with the masks on all 437 videos) and not to name lists
  (``SH_Test.txt`` holds the same videos in another order). The masks are the stronger evidence;
* any other dataset: ``abnormal_videos`` is required.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from os import PathLike
from pathlib import Path

from vadkit.data.lists import KNOWN_SPLIT_COUNTS, NAME_LABELLED_DATASETS, check_split_counts, is_abnormal_name
from vadkit.data.shanghaitech import read_frame_masks
from vadkit.data.ucf_crime import UCF_CLASSES
from vadkit.data.xd_violence import xd_video_label
from vadkit.errors import AnnotationError

AbnormalVideos = Collection[str] | str | PathLike[str]
"""Names of the abnormal videos, or a folder of frame masks (``test_frame_mask``) telling them."""

NORMAL_CLASS_NAMES: frozenset[str] = frozenset(
    {"normal", "a", "training_normal_videos_anomaly", "testing_normal_videos_anomaly"}
)
"""Class names (lower case) meaning "normal": UCF-Crime and synthetic ``Normal``, XD-Violence ``A``, and the
folders of normal UCF-Crime videos in the per-crop releases."""

_UCF_CLASS = re.compile(r"^([A-Za-z]+)\d")


def is_normal_class(class_name: str) -> bool:
    """Whether a class name or class folder means "normal" (:data:`NORMAL_CLASS_NAMES`, any case)."""
    return class_name.strip().lower() in NORMAL_CLASS_NAMES


def class_from_name(dataset: str, name: str) -> str | None:
    """The class a video name tells: UCF-Crime ``Abuse028_x264`` -> ``"Abuse"``, ``Normal_Videos_003_x264``
    -> ``"Normal"``; XD-Violence the tag without padding (``"B2-G"``, ``"A"``); ``None`` otherwise (other
    datasets, or a name that does not follow its dataset's pattern)."""
    if dataset == "ucf_crime":
        if not is_abnormal_name(dataset, name):
            return "Normal"
        match = _UCF_CLASS.match(name)
        return match.group(1) if match and match.group(1) in UCF_CLASSES else None
    if dataset == "xd_violence":
        try:
            return xd_video_label(name)
        except ValueError:
            return None
    return None


def _abnormal_set(abnormal_videos: AbnormalVideos) -> set[str]:
    if isinstance(abnormal_videos, (str, PathLike)):
        masks = read_frame_masks(Path(abnormal_videos))
        return {name for name, mask in masks.items() if mask.any()}
    return set(abnormal_videos)


def _layout_flags(source: str | Path, dataset: str, split: str, count: int) -> tuple[bool, ...]:
    known = KNOWN_SPLIT_COUNTS.get((dataset, split))
    if known is None or sum(known) != count:
        expected = f"the {known[0]} + {known[1]} of the public {split} split" if known else "a public split"
        raise AnnotationError(
            source,
            f"{dataset} names carry no label and the list has {count} videos, not {expected} (abnormal "
            "first); give abnormal_videos (names, or the test_frame_mask folder)",
        )
    return tuple(i < known[0] for i in range(count))


def split_labels(
    source: str | Path,
    dataset: str,
    split: str,
    names: Sequence[str],
    *,
    abnormal_videos: AbnormalVideos | None = None,
    check_counts: bool = True,
    feature_list: bool = True,
) -> tuple[int, ...]:
    """The 0/1 label of each of ``names`` (see the module docstring for the rules), checked against the
    known counts of ``(dataset, split)`` when ``check_counts``.

    ``feature_list`` says the names come from a feature list (rows naming feature files), the only lists
    the layout rule trusts: ``SH_Train.txt``/``SH_Test.txt`` hold the same videos in another order (their
    first 44 test names are not the abnormal ones).

    Raises:
        AnnotationError: naming ``source``: no rule gives the labels, or the counts differ from the split's.
    """
    if abnormal_videos is not None:
        abnormal = _abnormal_set(abnormal_videos)
        flags = tuple(name in abnormal for name in names)
    elif dataset in NAME_LABELLED_DATASETS:
        flags = tuple(is_abnormal_name(dataset, name) for name in names)
    elif dataset == "shanghaitech" and feature_list:
        flags = _layout_flags(source, dataset, split, len(names))
    elif dataset == "shanghaitech":
        raise AnnotationError(
            source,
            "a list of bare ShanghaiTech names is not in the abnormal-first order of the feature lists: give "
            "abnormal_videos (names, or the test_frame_mask folder)",
        )
    else:
        raise AnnotationError(source, f"{dataset} video names carry no label: give abnormal_videos")
    if check_counts:
        check_split_counts(source, dataset, split, sum(flags), len(flags) - sum(flags))
    return tuple(int(flag) for flag in flags)
