"""Generation is deterministic: the same preset and seed give byte-identical files whatever the number of
workers, another seed gives other files, and folders are only written when that is safe."""

from __future__ import annotations

from pathlib import Path

import pytest

from vadkit.errors import ValidationError
from vadkit.synth import generate

FAST = {
    "classes": ("Running", "WrongWay", "Fighting"),
    "train_normal": 1,
    "train_abnormal": 1,
    "val_normal": 0,
    "val_abnormal": 1,
    "test_normal": 1,
    "test_abnormal": 2,
    "fewshot_normal": 0,
    "fewshot_abnormal": 1,
    "second_event_prob": 1.0,
}
"""A seven-video variant of the tiny preset (a few hundred frames)."""


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("first") / "data"
    generate(root, "tiny", seed=0, workers=1, **FAST)
    return root


def test_same_seed_gives_identical_bytes_with_two_workers(first: Path, tmp_path: Path) -> None:
    manifest = generate(tmp_path / "again", "tiny", seed=0, workers=2, **FAST)
    expected = _tree(first)
    assert len(manifest.videos) == 7
    assert sum(name.endswith(".mp4") for name in expected) == 7
    got = _tree(tmp_path / "again")
    assert sorted(got) == sorted(expected)
    differing = [name for name in expected if got[name] != expected[name]]
    assert differing == [], f"files differ between workers=1 and workers=2: {differing}"


def test_regenerating_in_place_gives_the_same_bytes(first: Path, tmp_path: Path) -> None:
    before = _tree(first)
    generate(first, "tiny", seed=0, workers=1, **FAST)
    after = _tree(first)
    assert [name for name in before if after.get(name) != before[name]] == []
    assert sorted(after) == sorted(before)


def test_another_seed_gives_other_files(first: Path, tmp_path: Path) -> None:
    generate(tmp_path / "other", "tiny", seed=1, workers=1, **FAST)
    one, other = _tree(first), _tree(tmp_path / "other")
    assert one["metadata.json"] != other["metadata.json"]
    videos = [name for name in one if name.endswith(".mp4") and name in other]
    assert all(one[name] != other[name] for name in videos)
    assert one["Anomaly_Test.txt"] != other["Anomaly_Test.txt"] or videos


def test_a_foreign_non_empty_folder_is_refused_unless_overwrite(tmp_path: Path) -> None:
    root = tmp_path / "busy"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    with pytest.raises(ValidationError, match="not a vadkit synth dataset; choose an empty folder"):
        generate(root, "tiny", seed=0, **FAST)
    generate(root, "tiny", seed=0, overwrite=True, **FAST)
    assert (root / "notes.txt").read_text() == "mine"
    assert (root / "README.md").is_file()


def test_another_generation_is_replaced_only_with_overwrite(first: Path, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="a generation of another preset or seed"):
        generate(first, "tiny", seed=3, **FAST)
    with pytest.raises(ValidationError, match="a generation of another preset or seed"):
        generate(first, "tiny", seed=0, **{**FAST, "test_normal": 2})
    copy = tmp_path / "copy"
    generate(copy, "tiny", seed=0, **FAST)
    stale = copy / "videos" / "Stale" / "99_0001.mp4"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    manifest = generate(copy, "tiny", seed=2, overwrite=True, **FAST)
    files = {str(p.relative_to(copy)) for p in copy.rglob("*.mp4")}
    assert files == {f"videos/{video.entry}" for video in manifest.videos}


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="seed must be a non-negative integer, got -1"):
        generate(tmp_path / "a", "tiny", seed=-1)
    with pytest.raises(ValidationError, match="workers must be a positive integer, got 0"):
        generate(tmp_path / "a", "tiny", workers=0)
    with pytest.raises(ValidationError, match="unknown synth preset 'huge'; known: small, standard, tiny"):
        generate(tmp_path / "a", "huge")
    with pytest.raises(ValidationError, match=r"unknown synth preset field\(s\) videos"):
        generate(tmp_path / "a", "tiny", videos=3)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValidationError, match="exists and is not a folder"):
        generate(tmp_path / "file", "tiny")
    assert not (tmp_path / "a").exists()
