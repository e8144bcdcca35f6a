"""Parse every real benchmark metadata file with vadkit and check it against the published facts.

Usage: ``python benchmarks/check_real_metadata.py [--shared PATH]`` where PATH is the folder holding
``ucf_crime/``, ``xd_violence/``, ``shanghaitech/`` and ``ucsd_ped2/`` (default: ``../shared/benchmarks``
relative to the repository root). Prints counts per class and split and the outcome of each check; exits with
status 1 when a check fails.

The ShanghaiTech check rebuilds RTFM's ``gt-sh.npy`` (199 weak test videos, each padded to ``ceil(n/16)*16``
with its last label). Only the 44 abnormal test videos have masks; the 155 normal ones come from the
one-class *training* set and have neither mask nor (here) features, so their lengths can only be read off
``gt-sh.npy`` itself. The check therefore splits in two: the abnormal prefix is rebuilt from the masks alone
and compared (non-circular, with the alternative padding rules shown to fail), and the normal remainder is
only checked to be zeros whose length is a whole number of 16-frame snippets (its length is taken from the
file: that part is circular by construction, and is reported as such).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from vadkit.data import (
    build_ground_truth,
    concatenate_labels,
    read_frame_masks,
    read_ped2_annotation,
    read_split,
    read_ucf_crime_annotation,
    read_video_list,
    read_xd_violence_annotation,
    xd_video_label,
)
from vadkit.errors import AnnotationError

# UCSDped2.m as transcribed in a public third-party evaluation script (docs/benchmark-formats.md §1.5).
UCSDPED2_M = """\
TestVideoFile{end+1}.gt_frame = [61:180];
TestVideoFile{end+1}.gt_frame = [95:180];
TestVideoFile{end+1}.gt_frame = [1:146];
TestVideoFile{end+1}.gt_frame = [31:180];
TestVideoFile{end+1}.gt_frame = [1:129];
TestVideoFile{end+1}.gt_frame = [1:162];
TestVideoFile{end+1}.gt_frame = [46:180];
TestVideoFile{end+1}.gt_frame = [1:180];
TestVideoFile{end+1}.gt_frame = [1:120];
TestVideoFile{end+1}.gt_frame = [1:150];
TestVideoFile{end+1}.gt_frame = [1:180];
TestVideoFile{end+1}.gt_frame = [88:180];
"""

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    """Print a check's outcome and remember failures."""
    print(f"  [{'ok' if ok else 'FAIL'}] {what}")
    if not ok:
        failures.append(what)


def counted(items: Iterable[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(items).items()))


def report_lists(
    root: Path, dataset: str, files: list[str], abnormal: Callable[[], set[str]] | None = None
) -> None:
    for name in files:
        split = read_split(root / name, dataset, abnormal_videos=abnormal() if abnormal else None)
        print(
            f"  {name}: {len(split.names)} videos = {split.num_abnormal} abnormal + {split.num_normal} normal"
        )


def ucf_crime(root: Path) -> None:
    print("== UCF-Crime ==")
    official = read_ucf_crime_annotation(root / "Temporal_Anomaly_Annotation.txt")
    urdmu = read_ucf_crime_annotation(root / "UCF_Annotation_with_frame_counts.txt")
    classes = counted(a.label or "" for a in official.values())
    print(f"  Temporal_Anomaly_Annotation.txt: {len(official)} videos; classes: {classes}")
    frames = sum(a.num_frames or 0 for a in urdmu.values())
    print(f"  UCF_Annotation_with_frame_counts.txt: {len(urdmu)} videos, {frames} frames in all")
    same = [n for n in official if n in urdmu and official[n].intervals == urdmu[n].intervals]
    check(
        len(same) == len(official) == len(urdmu) == 290, f"events and classes agree on {len(same)}/290 videos"
    )
    report_lists(
        root, "ucf_crime", ["ucf-i3d.list", "ucf-i3d-test.list", "ucf_CLIP_rgb.csv", "ucf_CLIP_rgbtest.csv"]
    )
    test_order = read_video_list(root / "ucf-i3d-test.list")
    check(
        test_order == read_video_list(root / "ucf_CLIP_rgbtest.csv"),
        "RTFM and VadCLIP test lists: same video order",
    )
    check(
        read_video_list(root / "ucf-i3d.list") == read_video_list(root / "ucf_CLIP_rgb.csv"),
        "train lists: same order",
    )
    check(set(test_order) == set(official), "test list = the 290 annotated videos")
    vectors = {}
    for convention in ("rtfm", "sultani"):
        gts = build_ground_truth(
            "ucf_crime",
            root / "Temporal_Anomaly_Annotation.txt",
            list_file=root / "ucf-i3d-test.list",
            frame_counts=root / "UCF_Annotation_with_frame_counts.txt",
            convention=convention,
        )
        vectors[convention] = vector = concatenate_labels(gts)
        clamped = [n for n, gt in gts.items() if "clamped=" in gt.source]
        print(f"  GT {convention}, frames: {len(gts)} videos, {vector.size} frames, {int(vector.sum())} ones")
        print(f"    {len(clamped)} videos with an event clamped at the last frame: {', '.join(clamped)}")
    again = build_ground_truth(
        "ucf_crime", root / "UCF_Annotation_with_frame_counts.txt", list_file=root / "ucf-i3d-test.list"
    )
    check(
        np.array_equal(concatenate_labels(again), vectors["rtfm"]),
        "GT (rtfm) from the UR-DMU file equals GT from the official one",
    )


def xd_violence(root: Path) -> None:
    print("== XD-Violence ==")
    binary = read_xd_violence_annotation(root / "annotations.txt")
    urdmu = read_xd_violence_annotation(root / "XD_Annotation.txt")
    multi = read_xd_violence_annotation(root / "annotations_multiclasses.txt")
    stray = sum(
        line.split()[0].endswith(".mp4") for line in (root / "annotations.txt").read_text().splitlines()
    )
    tags = counted(a.label or "" for a in binary.values())
    print(f"  annotations.txt: {len(binary)} videos ({stray} names with a stray .mp4); tags: {tags}")
    check(binary == urdmu, "annotations.txt and UR-DMU XD_Annotation.txt hold the same events")
    events = [i[2] for a in multi.values() for i in a.intervals]
    print(f"  annotations_multiclasses.txt: {len(multi)} videos, {len(events)} events: {counted(events)}")
    span = 1 + max(e for a in binary.values() for _, e, _ in a.intervals)
    differ = []
    for name, annotation in binary.items():
        a, b = np.zeros(span, bool), np.zeros(span, bool)
        for s, e, _ in annotation.intervals:
            a[s:e] = True
        for s, e, _ in multi[name].intervals:
            b[s:e] = True
        if not np.array_equal(a, b):
            differ.append(name)
    print(
        f"  multi-class vs binary file: frames covered differ for {len(differ)} videos: {', '.join(differ)}"
    )
    off_tag = [n for n, a in multi.items() if {i[2] for i in a.intervals} - set(xd_video_label(n).split("-"))]
    print(f"  event classes missing from the name's tag: {len(off_tag)} videos: {', '.join(off_tag)}")
    lists = [
        "rgb.list",
        "rgb_test.list",
        "audio.list",
        "audio_test.list",
        "xd_CLIP_rgb.csv",
        "xd_CLIP_rgbtest.csv",
    ]
    report_lists(root, "xd_violence", lists)
    test_order = read_video_list(root / "rgb_test.list")
    check(
        all(read_video_list(root / f) == test_order for f in lists[3::2]),
        "the three test lists: same video order",
    )
    check(
        all(read_video_list(root / f) == read_video_list(root / "rgb.list") for f in lists[2::2]),
        "train lists: same order",
    )
    violent = [n for n in test_order if "_label_A" not in n]
    check(set(violent) == set(binary), "annotated videos = the 500 violent videos of the test list")
    try:
        build_ground_truth("xd_violence", root / "annotations.txt", list_file=root / "rgb_test.list")
    except AnnotationError as error:
        print(f"  no frame counts are shipped, so the GT build asks for them: {error.problem}")


def shanghaitech(root: Path) -> None:
    print("== ShanghaiTech ==")
    masks = read_frame_masks(root / "test_frame_mask")
    abnormal = {name for name, mask in masks.items() if mask.any()}
    frames = sum(mask.size for mask in masks.values())
    ones = sum(int(mask.sum()) for mask in masks.values())
    print(
        f"  test_frame_mask: {len(masks)} masks, {frames} frames, {ones} abnormal; {len(abnormal)} have a 1"
    )
    check(len(masks) == 107 and frames == 40791, "107 masks, 40,791 frames")
    report_lists(
        root,
        "shanghaitech",
        ["shanghai-i3d-train-10crop.list", "shanghai-i3d-test-10crop.list", "SH_Train.txt", "SH_Test.txt"],
        abnormal=lambda: abnormal,
    )
    train = read_video_list(root / "shanghai-i3d-train-10crop.list")
    test = read_video_list(root / "shanghai-i3d-test-10crop.list")
    for name, videos, cut in (("train", train, 63), ("test", test, 44)):
        check(
            all(v in abnormal for v in videos[:cut]) and not any(v in masks for v in videos[cut:]),
            f"weak {name}: the first {cut} videos have masks with a 1, the other {len(videos) - cut} no mask",
        )
    check(
        set(masks) == set(train[:63]) | set(test[:44]),
        "the 107 masks = 63 weak-train + 44 weak-test abnormal videos",
    )
    sh_test = read_video_list(root / "SH_Test.txt")
    check(sorted(sh_test) == sorted(test), "SH_Test.txt holds the test list's 199 videos")
    print(
        f"  SH_Test.txt order: sorted by name {sh_test == sorted(sh_test)}; RTFM list order {sh_test == test}"
    )
    one_class = build_ground_truth("shanghaitech", root / "test_frame_mask")
    print(f"  one-class GT (frames): {len(one_class)} videos, {concatenate_labels(one_class).size} frames")

    reference = np.load(root / "gt-sh.npy", allow_pickle=False)
    print(f"  gt-sh.npy: {reference.dtype}, {reference.size} values, {int(reference.sum())} ones")
    # Non-circular: the 44 abnormal videos, lengths and labels from their masks only.
    head = {name: masks[name] for name in test[:44]}
    rules = {
        "ceil16, last label repeated (RTFM)": lambda m: np.pad(m, (0, -m.size % 16), mode="edge"),
        "ceil16, zero padding": lambda m: np.pad(m, (0, -m.size % 16)),
        "no padding": lambda m: m,
        "floor16 (cut)": lambda m: m[: m.size // 16 * 16],
    }
    for rule, pad in rules.items():
        part = np.concatenate([pad(m) for m in head.values()]).astype(np.float64)
        same = np.array_equal(part, reference[: part.size])
        print(
            f"    abnormal prefix, {rule}: {part.size} values, {int(part.sum())} ones, equal to gt-sh: {same}"
        )
    with tempfile.TemporaryDirectory() as folder:
        subset = Path(folder) / "abnormal-test.list"
        subset.write_text("\n".join(test[:44]) + "\n", encoding="utf-8")
        weak = build_ground_truth(
            "shanghaitech", root / "test_frame_mask", list_file=subset, length="ceil16", check_counts=False
        )
    prefix = concatenate_labels(weak)
    check(
        np.array_equal(prefix, reference[: prefix.size]),
        f"vadkit's ceil16 GT of the 44 abnormal videos = gt-sh[:{prefix.size}]",
    )
    check(int(prefix.sum()) == int(reference.sum()), f"it holds all {int(reference.sum())} ones of gt-sh")
    rest = reference[prefix.size :]
    check(
        rest.size % 16 == 0 and not rest.any(),
        f"the remaining {rest.size} values (155 normal videos) are zeros, {rest.size // 16} snippets",
    )
    print(f"    (mean T of a normal test video: {rest.size / 16 / 155:.1f} T, ~{rest.size / 155:.0f} frames)")
    # Circular by construction: the normal videos' T are unknown here; any split of the remainder gives the
    # same vector, so this only exercises the full build (list order, maskless videos from snippet counts).
    base, extra = divmod(rest.size // 16, 155)
    snippets = {name: base + (i < extra) for i, name in enumerate(test[44:])}
    full = build_ground_truth(
        "shanghaitech",
        root / "test_frame_mask",
        list_file=root / "shanghai-i3d-test-10crop.list",
        snippet_counts=snippets,
    )
    vector = concatenate_labels(full)
    check(
        np.array_equal(vector, reference),
        f"full weak-test GT (normal T split from gt-sh's own remainder: circular) equals gt-sh.npy: "
        f"{vector.size} values, {int(vector.sum())} ones",
    )


def ped2(root: Path) -> None:
    print("== UCSD Ped2 ==")
    from_mat = read_ped2_annotation(root / "ped2.mat")
    with tempfile.TemporaryDirectory() as folder:
        m_file = Path(folder) / "UCSDped2.m"
        m_file.write_text(UCSDPED2_M, encoding="utf-8")
        from_m = read_ped2_annotation(m_file)
        gts_m = build_ground_truth("ped2", m_file, frame_counts="published")
    gts_mat = build_ground_truth("ped2", root / "ped2.mat")
    print(f"  ped2.mat: {len(from_mat)} videos, {sum(len(a.intervals) for a in from_mat.values())} ranges")
    check(len(from_mat) == 12, "12 test videos")
    differ = [n for n in from_mat if from_mat[n].intervals != from_m[n].intervals]
    for name in differ:
        (s, e, _), (ms, me, _) = from_mat[name].intervals[0], from_m[name].intervals[0]
        frames = int(np.sum(gts_mat[name].labels != gts_m[name].labels))
        print(f"    {name}: ped2.mat [{s}, {e}] vs UCSDped2.m [{ms}:{me}] ({frames} frames differ)")
    check(len(differ) == 7, f"{len(differ)} of 12 videos differ from the UCSDped2.m transcription")
    ones_mat, ones_m = (int(concatenate_labels(g).sum()) for g in (gts_mat, gts_m))
    print(f"  abnormal frames of 2010: ped2.mat {ones_mat}, UCSDped2.m {ones_m}")
    print(f"  source: {gts_mat['Test001'].source}")


def main() -> int:
    repo = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--shared", type=Path, default=repo / ".." / "shared" / "benchmarks", help="benchmarks folder"
    )
    args = parser.parse_args()
    root = args.shared.resolve()
    ucf_crime(root / "ucf_crime")
    xd_violence(root / "xd_violence")
    shanghaitech(root / "shanghaitech")
    ped2(root / "ucsd_ped2")
    print(f"== {'all checks passed' if not failures else f'{len(failures)} check(s) failed'} ==")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
