"""The extraction runner: outputs, manifest, skip-existing, atomic writes, bad videos, workers, shards, CLI.

A small test extractor (``grid-mean``: per snippet, the mean grey level of each cell of a 2x2 grid) keeps the
runner's behaviour apart from any real extractor; expected features are computed here from frames decoded
independently with PyAV (or from the images written), never by the code under test.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import vadkit
from vadkit.cli.extract_cmd import extract
from vadkit.errors import ValidationError
from vadkit.features.base import EXTRACTORS, Extractor
from vadkit.features.runner import ExtractionSummary, run_extraction
from vadkit.features.store import FeatureStore
from vadkit.io import VideoReader, write_frame_folder, write_video
from vadkit.types import Features, SnippetSpec

LENGTHS = {"Running/s01_0003": 40, "Running/s02_0001": 33, "Walking/s01_0002": 16, "clip.v1": 7}
"""Frames of each test video file (T = ceil(n / 16): 3, 3, 1, 1)."""

FOLDER_FRAMES = 20
"""Frames of the frame folder ``Test001`` (T = 2)."""


@EXTRACTORS.register("grid-mean")
class GridMeanExtractor(Extractor):
    """Per snippet: the mean over its frames and channels of each cell of a ``cells`` x ``cells`` grid."""

    name = "grid-mean"

    def __init__(self, cells: int = 2) -> None:
        self.cells = cells

    @property
    def snippet(self) -> SnippetSpec:
        return SnippetSpec(length=16, stride=16, rounding="ceil")

    def config(self) -> dict[str, Any]:
        return {"cells": self.cells}

    def feature_names(self) -> list[str]:
        return [f"cell{i}" for i in range(self.cells**2)]

    def extract(self, reader: VideoReader) -> np.ndarray:
        rows = []
        for _, _, _, frames in reader.iter_snippets(self.snippet):
            height, width = frames.shape[1:3]
            cells = frames.reshape(16, self.cells, height // self.cells, self.cells, width // self.cells, 3)
            rows.append(cells.mean(axis=(0, 2, 4, 5), dtype=np.float64).ravel())
        return np.asarray(rows, dtype=np.float32)


def texture_frames(count: int, seed: int) -> list[np.ndarray]:
    """A random texture drifting one pixel a frame, 48x64 RGB."""
    base = np.random.default_rng(seed).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    return [np.roll(base, index, axis=1) for index in range(count)]


def expected_features(frames: np.ndarray, cells: int = 2) -> np.ndarray:
    """Independent grid means: pad to whole 16-frame windows with the last frame, then average blocks."""
    count = len(frames)
    windows = -(-count // 16)
    padded = np.concatenate([frames, np.repeat(frames[-1:], windows * 16 - count, axis=0)])
    height, width = frames.shape[1] // cells, frames.shape[2] // cells
    out = np.empty((windows, cells * cells))
    for t in range(windows):
        block = padded[16 * t : 16 * (t + 1)].astype(np.float64)
        for r in range(cells):
            for c in range(cells):
                out[t, r * cells + c] = block[
                    :, r * height : (r + 1) * height, c * width : (c + 1) * width
                ].mean()
    return out


def pyav_frames(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)])


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four H.264 videos in class folders (one with a dot in its name), a PNG frame folder, a text file."""
    root = tmp_path_factory.mktemp("videos")
    for seed, (video, count) in enumerate(LENGTHS.items()):
        path = root / f"{video}.mp4"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_video(path, texture_frames(count, seed), 25)
    write_frame_folder(root / "Test001", texture_frames(FOLDER_FRAMES, 9), ".png")
    (root / "README.txt").write_text("not a video, ignored\n")
    return root


@pytest.fixture
def corrupt(tmp_path: Path, videos: Path) -> Path:
    """The good videos plus a text file named .mp4 and an mp4 cut at packet 20 of 40 (decodes 20 frames)."""
    root = tmp_path / "mixed"
    for source in [*videos.rglob("*.mp4"), *videos.glob("Test001/*.png")]:
        target = root / source.relative_to(videos)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
    (root / "notes.mp4").write_text("these are not video frames\n" * 50)
    whole = tmp_path / "whole.mp4"
    write_video(whole, texture_frames(40, 7), 25, faststart=True)
    with av.open(str(whole)) as container:
        offsets = [packet.pos for packet in container.demux(video=0) if packet.size]
    (root / "cut.mp4").write_bytes(whole.read_bytes()[: offsets[20]])
    return root


def extract_quietly(inputs: Any, out: Path, **options: Any) -> ExtractionSummary:
    options.setdefault("progress", False)
    return run_extraction(inputs, out, options.pop("extractor", "grid-mean"), **options)


def array_bytes(out: Path) -> dict[str, bytes]:
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*.npy"))}


def stable_fields(record: dict[str, Any]) -> dict[str, Any]:
    """A record without what legitimately differs between runs (wall time, host)."""
    return {key: value for key, value in record.items() if key not in ("seconds", "host")}


def sidecars(out: Path) -> dict[str, dict[str, Any]]:
    return {
        path.relative_to(out).as_posix(): json.loads(path.read_text())
        for path in sorted(out.rglob("*.json"))
        if path.name != "manifest.json"
    }


def temporaries(out: Path) -> list[Path]:
    return [path for path in out.rglob("*") if ".tmp" in path.name]


def test_one_array_per_video_in_the_public_layout(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    summary = extract_quietly(videos, out)
    assert summary.exit_code == 0 and summary.count("ok") == 5 and not summary.skipped
    assert sorted(array_bytes(out)) == [
        "Running/s01_0003.npy",
        "Running/s02_0001.npy",
        "Test001.npy",
        "Walking/s01_0002.npy",
        "clip.v1.npy",
    ]
    for video in LENGTHS:
        array = np.load(out / f"{video}.npy")
        assert array.dtype == np.float32
        np.testing.assert_allclose(array, expected_features(pyav_frames(videos / f"{video}.mp4")), rtol=1e-6)
    folder = np.stack(texture_frames(FOLDER_FRAMES, 9))  # PNG is lossless
    np.testing.assert_allclose(np.load(out / "Test001.npy"), expected_features(folder), rtol=1e-6)
    assert summary.frames == sum(LENGTHS.values()) + FOLDER_FRAMES
    assert [record.video for record in summary.extracted] == [
        "clip.v1",
        "Running/s01_0003",
        "Running/s02_0001",
        "Test001",
        "Walking/s01_0002",
    ]


def test_records_and_manifest(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    extract_quietly(videos, out)
    config_hash = hashlib.sha256(b'{"config": {"cells": 2}, "extractor": "grid-mean"}').hexdigest()[:16]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["vadkit_version"] == vadkit.__version__
    assert manifest["counts"] == {"ok": 5, "partial": 0, "failed": 0}
    assert manifest["frames_decoded"] == 116
    assert manifest["configurations"] == [
        {"extractor": "grid-mean", "config_hash": config_hash, "config": {"cells": 2}}
    ]
    record = manifest["videos"]["Running/s01_0003"]
    assert stable_fields(record) == {
        "video": "Running/s01_0003",
        "input": str((videos / "Running" / "s01_0003.mp4").absolute()),
        "output": "Running/s01_0003.npy",
        "extractor": "grid-mean",
        "config": {"cells": 2},
        "config_hash": config_hash,
        "vadkit_version": vadkit.__version__,
        "snippet": {"length": 16, "stride": 16, "rounding": "ceil", "crops": 1},
        "status": "ok",
        "reason": "",
        "shape": [3, 4],
        "dtype": "float32",
        "decode": {"status": "ok", "frames_decoded": 40, "frames_declared": 40, "message": ""},
    }
    assert record["seconds"] > 0 and record["host"]
    # A frame folder declares its image count.
    assert manifest["videos"]["Test001"]["decode"]["frames_declared"] == FOLDER_FRAMES
    # The sidecar is the Features layout: the array and its record load together.
    features = Features.load(out / "Running" / "s01_0003")
    assert features.video == "Running/s01_0003" and features.data.shape == (3, 4)
    assert features.manifest["config_hash"] == config_hash


def test_second_run_skips_complete_outputs_and_touches_nothing(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    extract_quietly(videos, out)
    before = {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in out.rglob("*") if path.is_file()}
    again = extract_quietly(videos, out)
    assert again.extracted == () and len(again.skipped) == 5 and again.exit_code == 0
    after = {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in out.rglob("*") if path.is_file()}
    del before[out / "manifest.json"], after[out / "manifest.json"]  # rebuilt at the end of every run
    assert after == before


def test_a_config_change_extracts_again(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    first = extract_quietly(videos, out)
    second = extract_quietly(videos, out, config={"cells": 4})
    assert second.count("ok") == 5 and not second.skipped
    assert np.load(out / "clip.v1.npy").shape == (1, 16)
    assert second.extracted[0].config_hash != first.extracted[0].config_hash
    manifest = json.loads((out / "manifest.json").read_text())
    assert [c["config"] for c in manifest["configurations"]] == [{"cells": 4}]


def test_a_version_change_does_not_extract_again_but_a_damaged_array_does(
    videos: Path, tmp_path: Path
) -> None:
    out = tmp_path / "features"
    extract_quietly(videos, out)
    sidecar = out / "clip.v1.json"
    payload = json.loads(sidecar.read_text())
    payload["manifest"]["vadkit_version"] = "0.0.1"
    sidecar.write_text(json.dumps(payload))
    damaged = out / "Running" / "s01_0003.npy"
    good = damaged.read_bytes()
    damaged.write_bytes(good[:100])
    summary = extract_quietly(videos, out)
    assert [record.video for record in summary.extracted] == ["Running/s01_0003"]
    assert damaged.read_bytes() == good


def test_stale_temporaries_of_this_runs_outputs_are_removed(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    stale = [out / "Running" / "s01_0003.npy.tmp", out / "clip.v1.json.tmp", out / "manifest.json.tmp-0of1"]
    foreign = [out / "Running" / "mine.npy.tmp", out / "manifest.json.tmp-1of2", out / "notes.tmp"]
    for path in stale + foreign:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half written")
    extract_quietly(videos, out)
    assert sorted(temporaries(out)) == sorted(foreign)


class SimulatedKill(BaseException):
    """Stands for SIGKILL inside a write: nothing catches it, the run stops there."""


def test_a_crash_inside_an_array_write_leaves_no_partial_file(
    videos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = tmp_path / "reference"
    extract_quietly(videos, reference)
    out = tmp_path / "features"
    real_save = np.save
    calls = []

    def dying_save(file: Any, array: np.ndarray, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:  # the third video: half of its bytes reach the disk, then the process dies
            file.write(b"\x93NUMPY half")
            raise SimulatedKill
        real_save(file, array, **kwargs)

    monkeypatch.setattr(np, "save", dying_save)
    with pytest.raises(SimulatedKill):
        extract_quietly(videos, out)
    monkeypatch.setattr(np, "save", real_save)
    written = array_bytes(out)
    assert len(written) == 2 and all(written[name] == array_bytes(reference)[name] for name in written)
    assert temporaries(out) == []
    resumed = extract_quietly(videos, out)
    assert len(resumed.extracted) == 3 and len(resumed.skipped) == 2
    assert array_bytes(out) == array_bytes(reference)


def test_a_crash_between_array_and_record_is_extracted_again(
    videos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = tmp_path / "reference"
    extract_quietly(videos, reference)
    out = tmp_path / "features"
    extract_quietly(videos, out, config={"cells": 4})  # older outputs of another config

    def dying_record(self: FeatureStore, record: Any) -> None:
        raise SimulatedKill

    monkeypatch.setattr(FeatureStore, "write_record", dying_record)
    with pytest.raises(SimulatedKill):
        extract_quietly(videos, out)
    monkeypatch.undo()
    # The first video's new array is in place but its old record was removed first: nothing claims that
    # the array is of the old config.
    assert not (out / "clip.v1.json").exists() and np.load(out / "clip.v1.npy").shape == (1, 4)
    resumed = extract_quietly(videos, out)
    assert len(resumed.extracted) == 5
    assert array_bytes(out) == array_bytes(reference)
    assert {k: stable_fields(v["manifest"]) for k, v in sidecars(out).items()} == {
        k: stable_fields(v["manifest"]) for k, v in sidecars(reference).items()
    }


def test_bad_videos_are_recorded_and_the_batch_goes_on(corrupt: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    summary = extract_quietly(corrupt, out)
    assert summary.count("ok") == 5 and summary.count("failed") == 2 and summary.exit_code == 1
    reasons = {record.video: record.reason for record in summary.failures}
    assert reasons["notes"].startswith(str((corrupt / "notes.mp4").absolute()))
    assert "cannot be opened as a video" in reasons["notes"]
    assert "decoded 20 of the 40 declared frames" in reasons["cut"]
    assert not (out / "cut.npy").exists() and not (out / "notes.npy").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"ok": 5, "partial": 0, "failed": 2}
    assert manifest["videos"]["cut"]["status"] == "failed" and manifest["videos"]["cut"]["output"] is None
    # A rerun retries the failures (and fails them again), skipping the rest.
    again = extract_quietly(corrupt, out)
    assert [r.video for r in again.extracted] == ["cut", "notes"] and len(again.skipped) == 5


def test_on_error_skip_accepts_failures(corrupt: Path, tmp_path: Path) -> None:
    summary = extract_quietly(corrupt, tmp_path / "features", on_error="skip")
    assert summary.count("failed") == 2 and summary.exit_code == 0


def test_on_error_partial_keeps_partial_decodes(corrupt: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    summary = extract_quietly(corrupt, out, on_error="partial")
    by_video = {record.video: record for record in summary.extracted}
    cut = by_video["cut"]
    assert cut.status == "partial" and cut.shape == (2, 4)  # ceil(20 / 16)
    assert cut.decode == {
        "status": "partial",
        "frames_decoded": 20,
        "frames_declared": 40,
        "message": "decoded 20 of the 40 declared frames",
    }
    assert cut.reason == "decoded 20 of the 40 declared frames"
    expected = expected_features(np.stack(texture_frames(40, 7))[:20])
    np.testing.assert_allclose(np.load(out / "cut.npy"), expected, atol=2.0)  # H.264 (crf 18) vs source
    np.testing.assert_allclose(np.load(out / "cut.npy"), expected_features(pyav_frames(corrupt / "cut.mp4")))
    assert by_video["notes"].status == "failed" and summary.exit_code == 1
    # Accepted partial outputs are complete for later "partial" runs; a strict run redoes (and fails) them.
    assert [r.video for r in extract_quietly(corrupt, out, on_error="partial").extracted] == ["notes"]
    strict = extract_quietly(corrupt, out)
    assert {r.video: r.status for r in strict.extracted} == {"cut": "failed", "notes": "failed"}
    assert not (out / "cut.npy").exists()


class ShortExtractor(GridMeanExtractor):
    """Drops the last snippet: T disagrees with the snippet spec."""

    def extract(self, reader: VideoReader) -> np.ndarray:
        return super().extract(reader)[:-1]


class NanExtractor(GridMeanExtractor):
    def extract(self, reader: VideoReader) -> np.ndarray:
        features = super().extract(reader)
        features[0, 1] = np.nan
        return features


class DyingExtractor(GridMeanExtractor):
    """Kills its worker process on one video."""

    def extract(self, reader: VideoReader) -> np.ndarray:
        if reader.path.name == "cut.mp4":
            os._exit(3)
        return super().extract(reader)


class MirroredCropsExtractor(GridMeanExtractor):
    """Two crops per snippet: the frame and its mirror image (``(T, 2, 4)``)."""

    @property
    def snippet(self) -> SnippetSpec:
        return SnippetSpec(length=16, stride=16, rounding="ceil", crops=2)

    def extract(self, reader: VideoReader) -> np.ndarray:
        rows = []
        for _, _, _, frames in reader.iter_snippets(self.snippet):
            crops = []
            for view in (frames, frames[:, :, ::-1]):
                height, width = view.shape[1:3]
                cells = view.reshape(16, 2, height // 2, 2, width // 2, 3)
                crops.append(cells.mean(axis=(0, 2, 4, 5), dtype=np.float64).ravel())
            rows.append(crops)
        return np.asarray(rows, dtype=np.float32)


def test_multi_crop_features_keep_their_crop_axis(videos: Path, tmp_path: Path) -> None:
    summary = extract_quietly(videos / "Test001", tmp_path, extractor=MirroredCropsExtractor())
    assert summary.extracted[0].shape == (2, 2, 4) and summary.extracted[0].snippet["crops"] == 2
    array = np.load(tmp_path / "Test001.npy")
    expected = expected_features(np.stack(texture_frames(FOLDER_FRAMES, 9)))
    np.testing.assert_allclose(array[:, 0], expected, rtol=1e-6)
    np.testing.assert_allclose(array[:, 1], expected[:, [1, 0, 3, 2]], rtol=1e-6)  # mirrored: columns swap


@pytest.mark.parametrize(
    ("extractor", "reason"),
    [
        (
            ShortExtractor(),
            "ValidationError: Running/s01_0003: extractor 'grid-mean' gave 2 snippets, its snippet "
            "spec gives 3 for the 40 frames decoded",
        ),
        (
            NanExtractor(),
            "ValidationError: Running/s01_0003: features contains NaN or inf (first bad rows: 0)",
        ),
    ],
)
def test_invalid_features_fail_the_video(
    videos: Path, tmp_path: Path, extractor: Extractor, reason: str
) -> None:
    summary = extract_quietly(videos / "Running" / "s01_0003.mp4", tmp_path, extractor=extractor, root=videos)
    assert [(r.status, r.reason) for r in summary.extracted] == [("failed", reason)]
    assert list(tmp_path.rglob("*.npy")) == []


def test_a_dead_worker_process_is_recorded_and_retried(corrupt: Path, tmp_path: Path) -> None:
    out = tmp_path / "features"
    summary = extract_quietly(corrupt, out, extractor=DyingExtractor(), workers=2)
    by_video = {record.video: record for record in summary.extracted}
    assert by_video["cut"].status == "failed" and summary.exit_code == 1
    assert by_video["cut"].reason.startswith("worker process failed: BrokenProcessPool")
    assert json.loads((out / "manifest.json").read_text())["videos"]["cut"]["status"] == "failed"
    # Same name and config: the rerun keeps what the dead pool finished and redoes the rest.
    rerun = extract_quietly(corrupt, out, on_error="partial")
    assert {r.video for r in rerun.extracted} == {r.video for r in summary.failures}
    assert {r.video: r.status for r in rerun.extracted}["cut"] == "partial"


def test_the_progress_bar_reports_rates(
    videos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_extraction(videos, tmp_path, "grid-mean")
    shown = capsys.readouterr().err
    assert "5/5" in shown and "videos/s" in shown and "frames/s" in shown and "ETA" in shown
    run_extraction(videos, tmp_path, "grid-mean")
    assert "(5 already done)" in capsys.readouterr().err


def test_two_workers_write_the_same_bytes_as_one(corrupt: Path, tmp_path: Path) -> None:
    one = extract_quietly(corrupt, tmp_path / "one")
    two = extract_quietly(corrupt, tmp_path / "two", workers=2)
    assert (
        array_bytes(tmp_path / "two") == array_bytes(tmp_path / "one")
        and len(array_bytes(tmp_path / "one")) == 5
    )
    assert [stable_fields(r.to_dict()) for r in two.extracted] == [
        stable_fields(r.to_dict()) for r in one.extracted
    ]


def test_shards_together_equal_the_unsharded_run(videos: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    extract_quietly(videos, whole)
    out = tmp_path / "sharded"
    first = extract_quietly(videos, out, shard="0/2")
    second = extract_quietly(videos, out, shard="1/2")
    assert {r.video for r in first.extracted} == {"clip.v1", "Running/s02_0001", "Walking/s01_0002"}
    assert {r.video for r in second.extracted} == {"Running/s01_0003", "Test001"}
    assert array_bytes(out) == array_bytes(whole)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["ok"] == 5 and sorted(manifest["videos"]) == sorted(
        json.loads((whole / "manifest.json").read_text())["videos"]
    )
    assert extract_quietly(videos, out).extracted == ()


def test_bad_arguments_raise(videos: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="on_error"):
        extract_quietly(videos, tmp_path, on_error="ignore")
    with pytest.raises(ValidationError, match="backend"):
        extract_quietly(videos, tmp_path, backend="slurm")
    with pytest.raises(ValidationError, match="workers"):
        extract_quietly(videos, tmp_path, workers=0)
    with pytest.raises(ValidationError, match="by name"):
        extract_quietly(videos, tmp_path, extractor=GridMeanExtractor(), config={"cells": 4})
    with pytest.raises(KeyError, match="grid-mean"):
        extract_quietly(videos, tmp_path, extractor="no-such-extractor")


def cli_app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("extract")(extract)
    return app


def plain_words(output: str) -> str:
    """The words of CLI output, table borders (box-drawing characters) removed."""
    return " ".join("".join(" " if "\u2500" <= ch <= "\u257f" else ch for ch in output).split())


def test_cli_extract_exit_codes_and_summary(corrupt: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["extract", str(corrupt), "--out", str(tmp_path / "f"), "-e", "grid-mean", "--no-progress"]
    failed = runner.invoke(cli_app(), args)
    assert failed.exit_code == 1, failed.output
    words = plain_words(failed.output)
    assert "extracted ok 5" in words and "failed 2" in words and "cannot be opened as a video" in words
    accepted = runner.invoke(cli_app(), [*args[:3], str(tmp_path / "g"), *args[4:], "--on-error", "skip"])
    assert accepted.exit_code == 0, accepted.output
    resumed = runner.invoke(cli_app(), [*args, "--on-error", "skip"])
    assert "already complete (skipped) 5" in plain_words(resumed.output)


def test_cli_settings_are_yaml_values(videos: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "f"
    args = ["extract", str(videos / "Running"), "-o", str(out), "-e", "grid-mean", "--no-progress"]
    result = runner.invoke(cli_app(), [*args, "--set", "cells=4", "--workers", "1", "--shard", "0/1"])
    assert result.exit_code == 0, result.output
    assert np.load(out / "s01_0003.npy").shape == (3, 16)
    for bad in (["--set", "cells"], ["--set", "size=[1,"], ["--set", "colour=red"], ["-e", "nope"]):
        rejected = runner.invoke(cli_app(), [*args, *bad])
        assert rejected.exit_code == 2, (bad, rejected.output)
    assert runner.invoke(cli_app(), [*args, "--shard", "2/2"]).exit_code == 2
