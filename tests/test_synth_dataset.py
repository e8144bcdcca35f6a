"""A generated tiny dataset read back with vadkit's own readers, like a real benchmark: every file kind
parses, the annotation agrees with the masks, the tracks, the decoded videos and the dataset card."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from vadkit.cli.synth_cmd import synth
from vadkit.data import (
    build_ground_truth,
    build_shanghaitech_gt,
    build_ucf_crime_gt,
    read_frame_masks,
    read_synthetic_split,
    read_track_file,
    read_video_list,
)
from vadkit.errors import AnnotationError, ValidationError
from vadkit.io import open_video
from vadkit.synth import CLASS_NAMES, resolve_preset
from vadkit.synth.plan import plan_videos
from vadkit.synth.render import agent_mask, render_frames
from vadkit.synth.scenes import make_scenes
from vadkit.synth.simulate import simulate

SEED = 1
SPLITS = ("train", "val", "test", "fewshot")
ANNOTATED = ("val", "test", "fewshot")
SUFFIX = {"train": "Train", "val": "Val", "test": "Test", "fewshot": "FewShot"}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "tiny"
    app = typer.Typer()
    app.command()(synth)
    result = CliRunner().invoke(app, [str(out), "--preset", "tiny", "--seed", str(SEED), "--workers", "2"])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert f"dataset card: {out / 'README.md'}" in words
    assert re.search(r"test\W+2\W+8\W+\d+", result.output)  # 2 normal, 8 abnormal test videos
    return out


def _entries(root: Path, split: str) -> list[tuple[str, str]]:
    """``(class, name)`` of each line of a split list, read independently of the adapter."""
    lines = (root / f"Anomaly_{SUFFIX[split]}.txt").read_text().splitlines()
    return [(line.split("/")[0], line.split("/")[1].removesuffix(".mp4")) for line in lines]


def _metadata(root: Path) -> dict:
    return json.loads((root / "metadata.json").read_text())


def test_splits_name_every_video_once_with_its_class_folder(root: Path) -> None:
    preset = resolve_preset("tiny")
    names = []
    for split in SPLITS:
        entries = _entries(root, split)
        assert [name for _, name in entries] == read_video_list(root / f"Anomaly_{SUFFIX[split]}.txt")
        normal = sum(label == "Normal" for label, _ in entries)
        assert (normal, len(entries) - normal) == preset.counts(split)
        labels = [label for label, _ in entries]
        assert labels == sorted(labels, key=lambda c: (c == "Normal", (*CLASS_NAMES, "Normal").index(c)))
        names += [name for _, name in entries]
        for label, name in entries:
            assert re.fullmatch(r"\d{2}_\d{4}", name) and label not in name
            assert (root / "videos" / label / f"{name}.mp4").is_file()
    assert len(names) == len(set(names)) == len(_metadata(root)["videos"])
    assert sorted(label for label, _ in _entries(root, "test") if label != "Normal") == sorted(CLASS_NAMES)


def test_videos_decode_to_the_annotated_frame_counts(root: Path) -> None:
    videos = _metadata(root)["videos"]
    counts = {}
    for split in ANNOTATED:
        for line in (root / f"Temporal_Anomaly_Annotation_{SUFFIX[split]}.txt").read_text().splitlines():
            fields = line.split()
            counts[fields[0].split("/")[1].removesuffix(".mp4")] = int(fields[1])
    for name, info in videos.items():
        with open_video(root / info["path"]) as reader:
            assert (reader.info.width, reader.info.height, reader.info.fps) == (256, 192, 15.0)
            assert reader.info.codec == "h264"
            assert reader.count_frames() == info["num_frames"]
        if info["split"] in ANNOTATED:
            assert counts[name] == info["num_frames"]
    masks = read_frame_masks(root / "test_frame_mask")
    annotated = {n for n, i in videos.items() if i["split"] in ANNOTATED}
    assert set(masks) == annotated
    for name in annotated:
        assert masks[name].shape == (videos[name]["num_frames"],)


def test_adapter_ground_truth_equals_the_masks_and_the_public_readers(root: Path) -> None:
    masks = read_frame_masks(root / "test_frame_mask")
    for split in ANNOTATED:
        gts = build_ground_truth("synthetic", root, split=split)
        entries = _entries(root, split)
        assert list(gts) == [name for _, name in entries]
        annotation = root / f"Temporal_Anomaly_Annotation_{SUFFIX[split]}.txt"
        # the UCF-Crime reader takes the same file as UR-DMU's annotation, 0-based with exclusive ends
        ucf = build_ucf_crime_gt(annotation, convention="0-based exclusive", check_counts=False)
        for label, name in entries:
            gt = gts[name]
            np.testing.assert_array_equal(gt.labels, masks[name])
            np.testing.assert_array_equal(ucf[name].labels, masks[name])
            assert gt.label == label and all(e.label == label for e in gt.events)
            runs = np.flatnonzero(np.diff(np.concatenate(([0], masks[name], [0]))))
            assert [(e.start, e.end) for e in gt.events] == list(zip(runs[::2], runs[1::2], strict=True))
    sh = build_shanghaitech_gt(root / "test_frame_mask")
    assert {n for n, g in sh.items() if g.label == "Abnormal"} == {n for n, m in masks.items() if m.any()}


def test_ceil16_length_rule_reaches_the_adapter_through_string_options(root: Path) -> None:
    gts = build_ground_truth("synthetic", str(root), split="test", length="ceil16", snippet_length="16")
    masks = read_frame_masks(root / "test_frame_mask")
    for name, gt in gts.items():
        n = masks[name].size
        assert gt.num_frames == -(-n // 16) * 16
        np.testing.assert_array_equal(gt.labels[:n], masks[name])
        assert np.all(gt.labels[n:] == masks[name][-1])


def test_tracks_cover_exactly_the_abnormal_frames(root: Path) -> None:
    descriptions = json.loads((root / "descriptions.json").read_text())
    masks = read_frame_masks(root / "test_frame_mask")
    for split in ANNOTATED:
        gts = build_ground_truth("synthetic", root, split=split)
        for label, name in _entries(root, split):
            track_file = root / "tracks" / f"{name}.txt"
            if label == "Normal":
                assert not track_file.exists() and gts[name].boxes.shape == (0, 6)
                continue
            rows = np.loadtxt(track_file, delimiter=",", dtype=np.int64, ndmin=2)
            np.testing.assert_array_equal(read_track_file(track_file), rows)
            np.testing.assert_array_equal(gts[name].boxes, rows)
            assert rows.tolist() == sorted(rows.tolist())  # grouped by track, then frame
            assert set(rows[:, 1]) == set(np.flatnonzero(masks[name]))
            assert np.all(rows[:, 2] <= rows[:, 4]) and np.all(rows[:, 3] <= rows[:, 5])
            assert rows[:, 2:4].min() >= 0 and rows[:, 4].max() <= 255 and rows[:, 5].max() <= 191
            ids = sorted({t for e in descriptions[name]["events"] for t in e["track_ids"]})
            assert sorted(set(rows[:, 0])) == ids == list(range(len(ids)))
            if label == "Fighting":
                assert len(ids) == 2 * len(descriptions[name]["events"])


def test_descriptions_name_each_event_with_its_span(root: Path) -> None:
    descriptions = json.loads((root / "descriptions.json").read_text())
    assert {v["split"] for v in descriptions.values()} == set(ANNOTATED)
    for split in ANNOTATED:
        for name, gt in build_ground_truth("synthetic", root, split=split).items():
            events = descriptions[name]["events"]
            assert [(e["start"], e["end"], e["class"]) for e in events] == [
                (e.start, e.end, e.label) for e in gt.events
            ]
            for event in events:
                text = event["description"]
                assert f"{event['start'] / 15:.1f} s" in text and f"{event['end'] / 15:.1f}" in text


def test_train_split_reveals_video_level_labels_only(root: Path) -> None:
    train = read_synthetic_split(root, "train")
    assert [(v.label, v.name) for v in train] == _entries(root, "train")
    assert all(v.path.is_file() and v.split == "train" for v in train)
    assert [v.abnormal for v in train] == [label != "Normal" for label, _ in _entries(root, "train")]
    with pytest.raises(ValidationError, match="video-level labels only"):
        build_ground_truth("synthetic", root, split="train")
    names = {v.name for v in train}
    assert not names & set(json.loads((root / "descriptions.json").read_text()))
    assert not names & set(read_frame_masks(root / "test_frame_mask"))
    assert not any((root / "tracks" / f"{n}.txt").exists() for n in names)
    assert not (root / "Temporal_Anomaly_Annotation_Train.txt").exists()


def test_held_out_scenes_appear_only_in_test_and_fewshot(root: Path) -> None:
    metadata = _metadata(root)
    held = {scene for scene, info in metadata["scenes"].items() if info["held_out"]}
    assert held == set(metadata["held_out_scenes"]) and held
    by_split = {split: {v.scene for v in read_synthetic_split(root, split)} for split in SPLITS}
    assert not held & (by_split["train"] | by_split["val"])
    assert by_split["fewshot"] <= held
    assert held & by_split["test"]


def test_card_lists_the_counts_of_the_lists(root: Path) -> None:
    card = (root / "README.md").read_text()
    rows = {
        cells[0]: cells[1:]
        for line in card.splitlines()
        if line.startswith("| ")
        for cells in [[c.strip() for c in line.strip("|").split("|")]]
    }
    for split in SPLITS:
        entries = _entries(root, split)
        normal = sum(label == "Normal" for label, _ in entries)
        assert rows[split][:3] == [str(normal), str(len(entries) - normal), str(len(entries))]
    for label in (*CLASS_NAMES, "Normal"):
        per_split = [str(sum(c == label for c, _ in _entries(root, s))) for s in SPLITS]
        assert rows[label][-4:] == per_split
    for scene, info in _metadata(root)["scenes"].items():
        assert rows[scene][:2] == [info["layout"], "yes" if info["held_out"] else "no"]
    assert "0-based start, exclusive end" in card


def test_decoded_pixels_show_the_simulated_world_inside_the_boxes(root: Path) -> None:
    preset = resolve_preset("tiny")
    scenes = make_scenes(preset.num_scenes, preset.held_out_scenes, SEED)
    plans = {plan.name: plan for plan in plan_videos(preset, scenes, SEED)}
    gts = build_ground_truth("synthetic", root, split="test")
    for name in [n for n, gt in gts.items() if gt.label in ("Falling", "Running", "AbandonedObject")]:
        plan = plans[name]
        world = simulate(plan, scenes[int(plan.scene_id) - 1], SEED)
        with open_video(root / "videos" / plan.label / f"{name}.mp4") as reader:
            decoded = np.stack(list(reader.iter_frames())).astype(np.int16)
        rendered = np.stack(list(render_frames(world))).astype(np.int16)
        assert np.abs(decoded - rendered).mean() < 8  # lossy H.264 of the same frames
        boxed = world.events[0].agents[0]
        without = dataclasses.replace(
            world, agents=tuple(a for i, a in enumerate(world.agents) if i != boxed)
        )
        empty = list(render_frames(without))
        boxes = gts[name].boxes
        for t in np.flatnonzero(gts[name].labels)[::4]:
            mask = agent_mask(world, boxed, int(t))
            x0, y0, x1, y1 = boxes[boxes[:, 1] == t][0, 2:]
            ys, xs = np.nonzero(mask)
            assert (xs.min(), ys.min(), xs.max(), ys.max()) == (x0, y0, x1, y1)
            # the agent is really drawn there: its pixels differ from the scene without it
            assert np.abs(decoded[t][mask] - empty[t][mask]).mean() > 10


def _copy_annotations(root: Path, target: Path) -> Path:
    shutil.copytree(root, target, ignore=shutil.ignore_patterns("*.mp4"))
    return target


def test_adapter_errors_name_the_file_and_the_problem(root: Path, tmp_path: Path) -> None:
    copy = _copy_annotations(root, tmp_path / "copy")
    with pytest.raises(ValidationError, match="unknown synthetic split 'dev'"):
        build_ground_truth("synthetic", copy, split="dev")
    abnormal = next(name for label, name in _entries(copy, "test") if label != "Normal")
    (copy / "tracks" / f"{abnormal}.txt").write_text("0,1,2,3\n")
    with pytest.raises(AnnotationError, match=rf"{abnormal}\.txt: line 1: expected 'track_id,frame_idx"):
        build_ground_truth("synthetic", copy, split="test")
    (copy / "tracks" / f"{abnormal}.txt").unlink()
    with pytest.raises(AnnotationError, match=rf"{abnormal}\.txt: file not found"):
        build_ground_truth("synthetic", copy, split="test")
    listing = copy / "Anomaly_Val.txt"
    label, name = _entries(copy, "val")[0]
    listing.write_text(f"{name}.mp4\n")
    with pytest.raises(AnnotationError, match=r"Anomaly_Val\.txt: line 1: expected '<Class>/<name>\.mp4'"):
        read_synthetic_split(copy, "val")
    listing.write_text(f"Running/{name}.mp4\n" if label != "Running" else f"Falling/{name}.mp4\n")
    with pytest.raises(AnnotationError, match=rf"line 1: {name} is .* in metadata\.json"):
        read_synthetic_split(copy, "val")
    (copy / "metadata.json").unlink()
    with pytest.raises(AnnotationError, match=r"metadata\.json: not found"):
        read_synthetic_split(copy, "train")


def test_adapter_refuses_counts_that_disagree_with_the_metadata(root: Path, tmp_path: Path) -> None:
    copy = _copy_annotations(root, tmp_path / "copy")
    annotation = copy / "Temporal_Anomaly_Annotation_Val.txt"
    lines = annotation.read_text().splitlines()
    fields = lines[0].split()
    fields[1] = str(int(fields[1]) + 1)
    annotation.write_text("\n".join([" ".join(fields), *lines[1:]]) + "\n")
    name = fields[0].split("/")[1].removesuffix(".mp4")
    with pytest.raises(AnnotationError, match=rf"{name}: {fields[1]} frames here"):
        build_ground_truth("synthetic", copy, split="val")


def test_counts_by_class_are_balanced_in_the_lists(root: Path) -> None:
    test_classes = Counter(label for label, _ in _entries(root, "test") if label != "Normal")
    assert set(test_classes.values()) == {1}
