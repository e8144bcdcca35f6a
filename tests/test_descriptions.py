"""Reference event descriptions: the synthetic benchmark's descriptions.json and UCA's JSON layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vadkit.data import (
    ReferenceEvent,
    VideoDescriptions,
    read_descriptions,
    read_synthetic_descriptions,
    read_uca_descriptions,
)
from vadkit.data.descriptions import seconds_to_frames
from vadkit.errors import AnnotationError, ValidationError
from vadkit.synth import resolve_preset
from vadkit.synth.manifest import SyntheticManifest, VideoRecord
from vadkit.synth.truth import EventTruth
from vadkit.synth.writer import write_index

# Two videos in UCA's layout, as in UCF Annotation/json/UCFCrime_Test.json (a leading space and overlapping
# spans included).
UCA = {
    "Abuse037_x264": {
        "duration": 59.88,
        "timestamps": [[1.2, 8.2], [8.4, 25.3], [40.4, 47.6]],
        "sentences": [
            "A white car with double flashes slowly appeared on the screen.",
            " There was a black dog left on the road.",
            "The gray dog pulled out the tail of the dog.",
        ],
    },
    "Normal_Videos_003_x264": {"duration": 10.0, "timestamps": [[0.0, 9.9]], "sentences": ["People walk."]},
}


def write(path: Path, payload: object) -> Path:
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


def test_uca_reader_converts_seconds_to_frames(tmp_path: Path) -> None:
    described = read_uca_descriptions(write(tmp_path / "UCFCrime_Test.json", UCA))
    assert list(described) == ["Abuse037_x264", "Normal_Videos_003_x264"]
    abuse = described["Abuse037_x264"]
    assert abuse.fps == 30.0 and abuse.num_frames is None and abuse.source.endswith("UCFCrime_Test.json")
    # [1.2 s, 8.2 s) at 30 fps: frames 36 (t = 1.2 s) to 245 (t = 8.1667 s), i.e. [36, 246)
    assert abuse.events[0] == ReferenceEvent(36, 246, UCA["Abuse037_x264"]["sentences"][0], None)
    assert abuse.events[1] == ReferenceEvent(252, 759, "There was a black dog left on the road.")
    assert [(e.start, e.end) for e in abuse.events] == [(36, 246), (252, 759), (1212, 1428)]
    assert described["Normal_Videos_003_x264"].events == (ReferenceEvent(0, 297, "People walk."),)


def test_uca_reader_per_video_fps(tmp_path: Path) -> None:
    path = write(tmp_path / "uca.json", UCA)
    described = read_uca_descriptions(path, fps={"Abuse037_x264": 25.0, "Normal_Videos_003_x264": 10.0})
    assert [(e.start, e.end) for e in described["Abuse037_x264"].events] == [
        (30, 205),
        (210, 633),
        (1010, 1190),
    ]
    assert described["Normal_Videos_003_x264"].events[0].end == 99
    with pytest.raises(AnnotationError, match=r"uca\.json: Normal_Videos_003_x264: no fps"):
        read_uca_descriptions(path, fps={"Abuse037_x264": 25.0})


def test_seconds_to_frames_rounding() -> None:
    assert seconds_to_frames(0.1, 0.2, 25.0) == (3, 5)  # 2.5 -> frame 3 (t = 0.12 s) is the first inside
    assert seconds_to_frames(1.2, 8.2, 30.0) == (36, 246)  # float error of 1.2 * 30 does not move a frame
    assert seconds_to_frames(1.21, 1.22, 30.0) == (37, 38)  # no frame starts inside: the one it falls in


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"timestamps": [[1, 2]]}, "expected 'timestamps' and 'sentences' lists"),
        ({"timestamps": [[1, 2]], "sentences": ["a", "b"]}, "1 timestamps but 2 sentences"),
        ({"timestamps": [[1]], "sentences": ["a"]}, r"timestamps\[0\]: expected \[start, end\]"),
        ({"timestamps": [["1", 2]], "sentences": ["a"]}, r"timestamps\[0\]: expected \[start, end\]"),
        ({"timestamps": [[3, 2]], "sentences": ["a"]}, r"timestamps\[0\]: need 0 <= start < end"),
        ({"timestamps": [[1, 2]], "sentences": ["  "]}, r"sentences\[0\]: expected a non-empty text"),
        ([1, 2], "v1: expected an object, got list"),
    ],
)
def test_uca_reader_rejects_malformed_videos(tmp_path: Path, entry: object, message: str) -> None:
    path = write(tmp_path / "bad.json", {"v1": entry})
    with pytest.raises(AnnotationError, match=rf"bad\.json: .*{message}"):
        read_uca_descriptions(path)


def test_uca_reader_rejects_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(AnnotationError, match=r"missing\.json: not found"):
        read_uca_descriptions(tmp_path / "missing.json")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"broken\.json: invalid JSON"):
        read_uca_descriptions(tmp_path / "broken.json")
    with pytest.raises(AnnotationError, match=r"list\.json: expected an object of videos, got list"):
        read_uca_descriptions(write(tmp_path / "list.json", [UCA]))


def _record(name: str, split: str, label: str, events: tuple[EventTruth, ...]) -> VideoRecord:
    return VideoRecord(name, split, label, "01", 120, events)


@pytest.fixture
def synthetic_root(tmp_path: Path) -> Path:
    """descriptions.json and metadata.json written by the generator's own writer (15 fps)."""
    videos = (
        _record("01_0001", "train", "Falling", ()),
        _record("01_0002", "test", "Falling", (EventTruth("Falling", 30, 90, (2,), "A person falls."),)),
        _record(
            "01_0003",
            "val",
            "Running",
            (
                EventTruth("Running", 0, 15, (1,), "Someone runs."),
                EventTruth("Running", 60, 120, (3,), "Runs."),
            ),
        ),
        _record("01_0004", "test", "Normal", ()),
    )
    root = tmp_path / "synthetic"
    root.mkdir()
    write_index(SyntheticManifest(root, resolve_preset("tiny"), 0, (), videos))
    return root


def test_synthetic_reader_reads_the_generators_file(synthetic_root: Path) -> None:
    described = read_synthetic_descriptions(synthetic_root)
    assert list(described) == ["01_0002", "01_0003", "01_0004"]  # train videos are not described
    assert described["01_0002"] == VideoDescriptions(
        "01_0002",
        15.0,
        (ReferenceEvent(30, 90, "A person falls.", "Falling"),),
        120,
        str(synthetic_root / "descriptions.json"),
    )
    assert [e.label for e in described["01_0003"].events] == ["Running", "Running"]
    assert described["01_0004"].events == ()
    assert read_synthetic_descriptions(synthetic_root / "descriptions.json") == described
    assert list(read_synthetic_descriptions(synthetic_root, split="test")) == ["01_0002", "01_0004"]
    assert read_synthetic_descriptions(synthetic_root, fps=30.0)["01_0002"].fps == 30.0
    with pytest.raises(ValidationError, match="not 'train'"):
        read_synthetic_descriptions(synthetic_root, split="train")


def test_read_descriptions_tells_the_layouts_apart(synthetic_root: Path, tmp_path: Path) -> None:
    uca = write(tmp_path / "uca.json", UCA)
    assert read_descriptions(uca) == read_uca_descriptions(uca)
    assert read_descriptions(uca, fps=25.0) == read_uca_descriptions(uca, fps=25.0)
    assert read_descriptions(synthetic_root) == read_synthetic_descriptions(synthetic_root)
    described = synthetic_root / "descriptions.json"
    assert read_descriptions(described, split="val") == read_synthetic_descriptions(described, split="val")
    with pytest.raises(ValidationError, match="UCA files are one per split"):
        read_descriptions(uca, split="test")
    with pytest.raises(ValidationError, match="unknown descriptions layout"):
        read_descriptions(uca, layout="xd")  # type: ignore[arg-type]
    with pytest.raises(AnnotationError, match="cannot tell the layout"):
        read_descriptions(write(tmp_path / "other.json", {"v": {"segments": []}}))


def test_synthetic_reader_errors_name_the_file(synthetic_root: Path) -> None:
    path = synthetic_root / "descriptions.json"
    data = json.loads(path.read_text())

    def broken(change: dict[str, object]) -> None:
        event = {**data["01_0002"]["events"][0], **change}
        write(path, {"01_0002": {**data["01_0002"], "events": [event]}})

    broken({"start": 1.5})
    with pytest.raises(AnnotationError, match=r"descriptions\.json: 01_0002: events\[0\]: expected integer"):
        read_synthetic_descriptions(synthetic_root)
    broken({"end": 500})
    with pytest.raises(AnnotationError, match=r"descriptions\.json: 01_0002: .*passes the last frame"):
        read_synthetic_descriptions(synthetic_root)
    broken({"class": None})
    with pytest.raises(AnnotationError, match=r"events\[0\]\.class: expected a non-empty text"):
        read_synthetic_descriptions(synthetic_root)
    write(path, {"01_0002": {"label": "Falling"}})
    with pytest.raises(AnnotationError, match="01_0002: expected an 'events' list"):
        read_synthetic_descriptions(synthetic_root)
    write(path, {"01_0002": data["01_0002"]})
    (synthetic_root / "metadata.json").unlink()
    with pytest.raises(AnnotationError, match=r"metadata\.json: not found"):
        read_synthetic_descriptions(synthetic_root)
    assert read_synthetic_descriptions(synthetic_root, fps=15.0)["01_0002"].fps == 15.0
