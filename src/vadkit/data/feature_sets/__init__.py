"""Feature datasets exactly as researchers have them on disk (docs/benchmark-formats.md §1.1-1.4, §1.7).

Each reader turns one list (or folder) of one public release into a :class:`FeatureSet`: the videos of a
split in list order, with labels derived from names (or masks) and checked against the public split sizes,
and paths remapped onto the user's feature root. Nothing but the list is read until
:meth:`FeatureSet.load` reads one video, which is always ``(T, C, D)`` float32, C = crops.

=====================================  ==========================================  =====================
reader                                 release                                     one video on disk
=====================================  ==========================================  =====================
:func:`read_rtfm_list`                 RTFM I3D (UCF-Crime, ShanghaiTech weak)     ``(T, 10, 2048)``
:func:`read_per_crop_list`             DeepMIL/UR-DMU I3D, XDVioDet I3D + VGGish   10 or 5 x ``(T, 1024)``
:func:`read_vadclip_csv`               VadCLIP CLIP ViT-B/16 (UCF-Crime, XD)       10 or 1 x ``(T, 512)``
:func:`read_sultani_c3d`               Sultani C3D (UCF-Crime)                     ``(32, 4096)`` text
:func:`read_vadkit_features`           ``vadkit extract`` output                   ``(T, D)``/``(T, C, D)``
:func:`synthetic_feature_set`          ``vadkit synth`` + ``vadkit extract``       as above
=====================================  ==========================================  =====================

>>> train = read_rtfm_list("ucf-i3d.list", "UCF_Train_ten_crop_i3d/", dataset="ucf_crime", split="train")
... # doctest: +SKIP
>>> len(train.abnormal), train.load("Abuse001_x264").shape  # doctest: +SKIP
(810, (T, 10, 2048))
"""

from __future__ import annotations

from vadkit.data.feature_sets.base import FeatureSet, FeatureVideo
from vadkit.data.feature_sets.labels import NORMAL_CLASS_NAMES, class_from_name, is_normal_class
from vadkit.data.feature_sets.lengths import check_lengths, check_lengths_against_gt
from vadkit.data.feature_sets.per_crop import read_per_crop_list
from vadkit.data.feature_sets.rtfm import read_rtfm_list
from vadkit.data.feature_sets.sultani import read_sultani_c3d
from vadkit.data.feature_sets.vadclip import read_vadclip_csv
from vadkit.data.feature_sets.vadkit_store import read_vadkit_features, synthetic_feature_set

__all__ = [
    "NORMAL_CLASS_NAMES",
    "FeatureSet",
    "FeatureVideo",
    "check_lengths",
    "check_lengths_against_gt",
    "class_from_name",
    "is_normal_class",
    "read_per_crop_list",
    "read_rtfm_list",
    "read_sultani_c3d",
    "read_vadclip_csv",
    "read_vadkit_features",
    "synthetic_feature_set",
]
