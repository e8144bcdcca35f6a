"""Tiny public feature releases in their real on-disk formats, for the dataset-spec, experiment and CLI tests.

Each builder writes feature files, lists with the authors' path prefixes (Windows ``G:\\`` with CRLF, Unix
``/media/...``) and the annotation, all small (D = 8), and returns the ExperimentConfig fields that read them.
Abnormal videos carry a shifted snippet so that a head can learn something, but no test relies on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tiny_methods import TINY_CLIP_DIM, TINY_SIZES
from vadkit.data import read_rtfm_list

DIM = TINY_CLIP_DIM
"""The feature size of every release: the tiny CLIP's, so that the CLIP-based methods read them too."""
AUDIO_DIM = 4

UCF_TRAIN = {
    "Abuse001_x264": 6,
    "Arrest001_x264": 5,
    "Arson001_x264": 7,
    "Normal_Videos001_x264": 6,
    "Normal_Videos002_x264": 4,
    "Normal_Videos003_x264": 5,
}
"""Training videos and their snippet counts T (abnormal first, as RTFM's list)."""

UCF_TEST = {"Abuse028_x264": 5, "Arson011_x264": 6, "Normal_Videos_003_x264": 4, "Normal_Videos_010_x264": 5}
"""Test videos and T; each has n = 16 T - 3 frames, so T = ceil(n / 16)."""

UCF_EVENTS = {"Abuse028_x264": ("Abuse", 20, 50), "Arson011_x264": ("Arson", 10, 60)}
"""Annotated event (class, start, end) of each abnormal test video."""

SH_TRAIN = {"01_0014": 6, "01_0015": 5, "01_001": 5, "01_002": 4, "02_001": 6}
SH_TEST = {"01_0016": 5, "01_0025": 4, "01_003": 5, "02_002": 6}
SH_ABNORMAL = {"01_0014", "01_0015", "01_0016", "01_0025"}

XD_TRAIN = {
    "Movie.A.2001__#00-00-10_00-01-00_label_B1-0-0": 6,
    "Movie.B.2002__#00-02-00_00-03-00_label_G-B2-0": 5,
    "Movie.C.2003__#00-00-00_00-00-40_label_A": 5,
    "Movie.D.2004__#00-01-00_00-02-00_label_A": 6,
}
XD_TEST = {
    "v=wVey5JDRf_g__#00-00-00_00-01-20_label_B6-0-0": 5,
    "Movie.E.2005__#00-00-00_00-01-00_label_A": 4,
    "Movie.F.2006__#00-03-00_00-04-00_label_A": 6,
}
XD_EVENTS = {"v=wVey5JDRf_g__#00-00-00_00-01-20_label_B6-0-0": (16, 48)}

RTFM_METHOD_CONFIGS: dict[str, dict[str, Any]] = TINY_SIZES
"""Tiny configurations of every method (``feature_dim``/``audio_dim`` come from the data)."""


def frames(snippets: int) -> int:
    """Frame count of a video of ``snippets`` snippets (``ceil(n / 16) == snippets``, ``floor`` one less)."""
    return 16 * snippets - 3


def _features(rng: np.random.Generator, snippets: int, abnormal: bool, shape: tuple[int, ...]) -> np.ndarray:
    values = rng.normal(size=(snippets, *shape)).astype(np.float32)
    if abnormal:
        values[snippets // 2] += 3.0
    return values


def _write_rows(path: Path, rows: list[str], crlf: bool = False) -> Path:
    ending = "\r\n" if crlf else "\n"
    path.write_bytes(ending.join(rows).encode() + ending.encode())
    return path


def _ucf_annotations(root: Path) -> tuple[Path, Path]:
    """UR-DMU's annotation with frame counts (shuffled: sorted by name) and the official one (CRLF, two
    spaces, trailing spaces, ``.mp4``) of the UCF test videos."""
    official, counted = [], []
    for name, snippets in sorted(UCF_TEST.items()):
        label, start, end = UCF_EVENTS.get(name, ("Normal", -1, -1))
        official.append(f"{name}.mp4  {label}  {start}  {end}  -1  -1  ")
        folder = label if label != "Normal" else "Testing_Normal_Videos_Anomaly"
        counted.append(f"{folder}/{name}.mp4 {frames(snippets)} {label} {start} {end} -1 -1 ")
    return (
        _write_rows(root / "UCF_Annotation_with_frame_counts.txt", counted),
        _write_rows(root / "Temporal_Anomaly_Annotation_for_Testing_Videos.txt", official, crlf=True),
    )


def ucf_rtfm_release(root: Path, *, seed: int = 0) -> dict[str, Any]:
    """RTFM's UCF-Crime layout: ``UCF_{Train,Test}_ten_crop_i3d/<video>_i3d.npy`` of ``(T, 10, DIM)``, the
    training list with Windows paths and CRLF, the test list with a Unix prefix, and both annotation forms
    (``Temporal_Anomaly_Annotation_for_Testing_Videos.txt``, UR-DMU's with frame counts).

    Returns the public-release fields of an ExperimentConfig (feature root = the parent of both folders, two
    path parts kept), plus ``official`` (the annotation without counts) and the folders.
    """
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    train_dir, test_dir = root / "UCF_Train_ten_crop_i3d", root / "UCF_Test_ten_crop_i3d"
    for folder, videos in ((train_dir, UCF_TRAIN), (test_dir, UCF_TEST)):
        folder.mkdir(parents=True)
        for name, snippets in videos.items():
            abnormal = not name.startswith("Normal")
            np.save(folder / f"{name}_i3d.npy", _features(rng, snippets, abnormal, (10, DIM)))
    train_list = _write_rows(
        root / "ucf-i3d.list",
        [f"G:\\UCF_Train_ten_crop_i3d\\{name}_i3d.npy" for name in UCF_TRAIN],
        crlf=True,
    )
    test_list = _write_rows(
        root / "ucf-i3d-test.list", [f"/media/tian/UCF_Test_ten_crop_i3d/{name}_i3d.npy" for name in UCF_TEST]
    )
    gt, plain = _ucf_annotations(root)
    return {
        "dataset": "ucf-crime",
        "feature_root": str(root),
        "keep_parts": 2,
        "train_list": str(train_list),
        "test_list": str(test_list),
        "gt": str(gt),
        "check_counts": False,
        "official": str(plain),
        "train_dir": str(train_dir),
        "test_dir": str(test_dir),
    }


def experiment_fields(release: dict[str, Any]) -> dict[str, Any]:
    """The ExperimentConfig fields of a release (the extra keys of the builders dropped)."""
    return {k: v for k, v in release.items() if k not in ("official", "train_dir", "test_dir")}


def ucf_vadclip_release(root: Path, *, seed: int = 1) -> dict[str, Any]:
    """VadCLIP's UCF-Crime layout: ``<Class>/<video>__<k>.npy`` ``(T, DIM)``, two crops per training video and
    crop ``__5`` only in the test CSV (``path,label`` header); frame-count annotation."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows = {"train": ["path,label"], "test": ["path,label"]}
    for split, videos, crops in (("train", UCF_TRAIN, (0, 1)), ("test", UCF_TEST, (5,))):
        for name, snippets in videos.items():
            label = "Normal" if name.startswith("Normal") else name[: name.index("0")]
            kind = "Training" if split == "train" else "Testing"
            folder = f"{kind}_Normal_Videos_Anomaly" if label == "Normal" else label
            (root / folder).mkdir(parents=True, exist_ok=True)
            for crop in crops:
                values = _features(rng, snippets, label != "Normal", (DIM,))
                np.save(root / folder / f"{name}__{crop}.npy", values)
                rows[split].append(f"/home/vadclip/UCFClipFeatures/{folder}/{name}__{crop}.npy,{label}")
    gt = _ucf_annotations(root)[0]
    return {
        "dataset": "ucf-crime",
        "feature_root": str(root),
        "train_list": str(_write_rows(root / "ucf_CLIP_rgb.csv", rows["train"])),
        "test_list": str(_write_rows(root / "ucf_CLIP_rgbtest.csv", rows["test"])),
        "gt": str(gt),
        "check_counts": False,
    }


def xd_per_crop_release(root: Path, *, seed: int = 2) -> dict[str, Any]:
    """XDVioDet's layout: 5 crop files ``<video>__<k>.npy`` ``(T, DIM)`` and ``<video>__vggish.npy``
    ``(T, AUDIO_DIM)`` per video (one video's RGB has one extra row, the MIX2 case), lists with a Unix prefix,
    ``annotations.txt``; ground truth on T * 16 frames (no frame counts are published)."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    rows: dict[str, list[str]] = {"rgb": [], "rgb_test": [], "audio": [], "audio_test": []}
    for split, videos in (("", XD_TRAIN), ("_test", XD_TEST)):
        for index, (name, snippets) in enumerate(videos.items()):
            abnormal = "_label_A" not in name
            extra = 1 if index == 0 else 0
            for crop in range(5):
                values = _features(rng, snippets + extra, abnormal, (DIM,))
                np.save(root / f"{name}__{crop}.npy", values)
                rows[f"rgb{split}"].append(f"/media/peng/Samsung_T5/i3d-features/RGB/{name}__{crop}.npy")
            np.save(root / f"{name}__vggish.npy", rng.normal(size=(snippets, AUDIO_DIM)).astype(np.float32))
            rows[f"audio{split}"].append(f"/media/peng/Samsung_T5/vggish-features/{name}__vggish.npy")
    lists = {key: str(_write_rows(root / f"{key}.list", value)) for key, value in rows.items()}
    annotation = [f"{name}.mp4 {start} {end}" for name, (start, end) in XD_EVENTS.items()]
    return {
        "dataset": "xd-violence",
        "feature_root": str(root),
        "train_list": lists["rgb"],
        "test_list": lists["rgb_test"],
        "train_audio_list": lists["audio"],
        "test_audio_list": lists["audio_test"],
        "gt": str(_write_rows(root / "annotations.txt", annotation)),
        "gt_options": {"length": "snippets", "snippet_counts": "scores"},
        "check_counts": False,
    }


def shanghaitech_release(root: Path, *, seed: int = 3) -> dict[str, Any]:
    """RTFM's ShanghaiTech layout: ``<video>_i3d.npy`` ``(T, 10, DIM)``, lists with a Unix prefix, and
    ``test_frame_mask/`` holding a mask of ``16 T - 5`` frames for every abnormal video of either split."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    masks = root / "test_frame_mask"
    masks.mkdir(parents=True)
    lists = {}
    for split, videos in (("train", SH_TRAIN), ("test", SH_TEST)):
        for name, snippets in videos.items():
            abnormal = name in SH_ABNORMAL
            np.save(root / f"{name}_i3d.npy", _features(rng, snippets, abnormal, (10, DIM)))
            if abnormal:
                mask = np.zeros(16 * snippets - 5, dtype=np.uint8)
                mask[16:40] = 1
                np.save(masks / f"{name}.npy", mask)
        rows = [f"/home/yu/SH_{split.title()}_ten_crop_i3d/{name}_i3d.npy" for name in videos]
        lists[split] = str(_write_rows(root / f"shanghai-i3d-{split}-10crop.list", rows))
    return {
        "dataset": "shanghaitech-weak",
        "feature_root": str(root),
        "train_list": lists["train"],
        "test_list": lists["test"],
        "gt": str(masks),
        "check_counts": False,
    }


def test_the_ucf_builder_writes_what_rtfm_lists_name(tmp_path: Path) -> None:
    """The builder's own check: the lists, read by the RTFM reader, name the files written."""
    release = ucf_rtfm_release(tmp_path)
    train = read_rtfm_list(
        release["train_list"], tmp_path, dataset="ucf_crime", split="train", check_counts=False, keep_parts=2
    )
    assert train.names == tuple(UCF_TRAIN)
    assert all(video.files[0].is_file() for video in train)
    assert train.load("Arson001_x264").shape == (7, 10, DIM)
