"""Snippet windows over a frame stream: counts, padding, strides, and bounded memory."""

from __future__ import annotations

import weakref

import numpy as np
import pytest

from vadkit.io import iter_snippet_windows
from vadkit.types import SnippetSpec


def numbered(count: int) -> list[np.ndarray]:
    """Tiny frames whose every pixel holds the frame number."""
    return [np.full((2, 3, 1), index, dtype=np.int64) for index in range(count)]


def summary(frames: list[np.ndarray], spec: SnippetSpec) -> list[tuple[int, int, int, list[int]]]:
    return [
        (w, s, e, [int(f[0, 0, 0]) for f in window]) for w, s, e, window in iter_snippet_windows(frames, spec)
    ]


@pytest.mark.parametrize(
    ("count", "spec", "expected"),
    [
        # non-overlapping, exact multiple: no padding under either rounding
        (8, SnippetSpec(4, 4, "ceil"), [(0, 0, 4, [0, 1, 2, 3]), (1, 4, 8, [4, 5, 6, 7])]),
        # 10 frames, length 4: ceil keeps a third window padded with frame 9, floor drops it
        (
            10,
            SnippetSpec(4, 4, "ceil"),
            [(0, 0, 4, [0, 1, 2, 3]), (1, 4, 8, [4, 5, 6, 7]), (2, 8, 12, [8, 9, 9, 9])],
        ),
        (10, SnippetSpec(4, 4, "floor"), [(0, 0, 4, [0, 1, 2, 3]), (1, 4, 8, [4, 5, 6, 7])]),
        # overlapping, stride 3: starts 0, 3, 6 cover 10 frames; the 11th needs a padded window at 9
        (
            11,
            SnippetSpec(4, 3, "ceil"),
            [
                (0, 0, 4, [0, 1, 2, 3]),
                (1, 3, 7, [3, 4, 5, 6]),
                (2, 6, 10, [6, 7, 8, 9]),
                (3, 9, 13, [9, 10, 10, 10]),
            ],
        ),
        # gaps, stride 5 > length 2: frames 2-4 and 7-8 belong to no window
        (9, SnippetSpec(2, 5, "floor"), [(0, 0, 2, [0, 1]), (1, 5, 7, [5, 6])]),
        # fewer frames than one window
        (3, SnippetSpec(4, 4, "ceil"), [(0, 0, 4, [0, 1, 2, 2])]),
        (3, SnippetSpec(4, 4, "floor"), []),
        (0, SnippetSpec(4, 4, "ceil"), []),
        # stride > length under ceil: a last window only where it starts on a real frame
        (20, SnippetSpec(4, 10, "ceil"), [(0, 0, 4, [0, 1, 2, 3]), (1, 10, 14, [10, 11, 12, 13])]),
        (
            21,
            SnippetSpec(4, 10, "ceil"),
            [(0, 0, 4, [0, 1, 2, 3]), (1, 10, 14, [10, 11, 12, 13]), (2, 20, 24, [20] * 4)],
        ),
    ],
)
def test_windows_match_hand_computed(count: int, spec: SnippetSpec, expected: list) -> None:
    assert summary(numbered(count), spec) == expected
    assert len(expected) == spec.num_snippets(count)


def test_window_shape_and_dtype_follow_the_frames() -> None:
    frames = [np.zeros((5, 7, 3), dtype=np.uint8) for _ in range(6)]
    (_, _, _, window), *_ = iter_snippet_windows(frames, SnippetSpec(4, 4, "ceil"))
    assert window.shape == (4, 5, 7, 3)
    assert window.dtype == np.uint8


def test_windows_are_yielded_as_soon_as_complete() -> None:
    consumed = []

    def source():
        for frame in numbered(12):
            consumed.append(int(frame[0, 0, 0]))
            yield frame

    for _, _, end, _ in iter_snippet_windows(source(), SnippetSpec(4, 2, "floor")):
        assert len(consumed) == end


@pytest.mark.parametrize(
    "spec", [SnippetSpec(8, 8, "ceil"), SnippetSpec(8, 2, "ceil"), SnippetSpec(4, 16, "ceil")]
)
def test_memory_holds_at_most_one_window_of_source_frames(spec: SnippetSpec) -> None:
    alive: list[weakref.ref] = []

    def source():
        for index in range(200):
            frame = np.full((4, 4, 3), index % 256, dtype=np.uint8)
            alive.append(weakref.ref(frame))
            yield frame

    windows = 0
    for _ in iter_snippet_windows(source(), spec):
        assert sum(ref() is not None for ref in alive) <= spec.length
        windows += 1
    assert windows == spec.num_snippets(200)
