"""Snippet geometry: resampling to fixed lengths and expansion to frames, against hand-written references."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.snippets import (
    allowed_snippet_counts,
    expand_to_frames,
    linspace_segment_bounds,
    pool_or_pad,
    resample_segments,
    segments_to_frames,
    segments_to_snippets,
    split_chunks,
    sultani_segment_bounds,
    sultani_segments,
)

LENGTHS = (1, 5, 31, 32, 33, 100, 1000)


def loop_resample(features: np.ndarray, k: int) -> np.ndarray:
    """RTFM ``process_feat`` restated as a plain loop (linspace boundaries cast to int)."""
    bounds = [int(x) for x in np.linspace(0, len(features), k + 1)]
    rows = []
    for i in range(k):
        if bounds[i] != bounds[i + 1]:
            rows.append(features[bounds[i] : bounds[i + 1]].mean(axis=0))
        else:
            rows.append(features[bounds[i]])
    return np.stack(rows)


def matlab_round_linspace(n: int, points: int = 33) -> list[int]:
    """MATLAB ``round(linspace(1, n, points))`` in exact rational arithmetic, halves away from zero."""
    return [math.floor(1 + Fraction(i * (n - 1), points - 1) + Fraction(1, 2)) for i in range(points)]


def matlab_segment_snippets(n: int, reference: bool) -> list[list[int]]:
    """0-based snippets of each of the 32 segments, following the MATLAB loop of
    ``Save_C3DFeatures_32Segments.m`` (1-based, inclusive). ``reference=False`` applies the intended
    ``ee = b(33)`` on the last segment, which the reference's ``ishots == length(...)`` test never reaches."""
    b = matlab_round_linspace(n)
    segments = []
    for ishots in range(1, 33):
        ss = b[ishots - 1]
        ee = b[ishots] - 1
        if not reference and ishots == 32:
            ee = b[32]
        segments.append([ss - 1] if ee < ss else list(range(ss - 1, ee)))
    return segments


@pytest.mark.parametrize("length", LENGTHS)
def test_resample_segments_matches_the_reference_loop(length: int) -> None:
    rng = np.random.default_rng(length)
    flat = rng.standard_normal((length, 6)).astype(np.float32)
    crops = rng.standard_normal((length, 3, 4)).astype(np.float32)
    out = resample_segments(flat)
    assert out.shape == (32, 6) and out.dtype == np.float32
    np.testing.assert_array_equal(out, loop_resample(flat, 32))
    np.testing.assert_array_equal(resample_segments(crops), loop_resample(crops, 32))


def test_resample_segments_small_cases_by_hand() -> None:
    features = np.arange(12, dtype=np.float64).reshape(6, 2)
    # r = int(linspace(0, 6, 5)) = [0, 1, 3, 4, 6]
    expected = np.array([features[0], features[1:3].mean(0), features[3], features[4:6].mean(0)])
    np.testing.assert_array_equal(resample_segments(features, 4), expected)
    # T=2, K=4: r = [0, 0, 1, 1, 2] -> rows 0, 0, 1, 1
    two = features[:2]
    np.testing.assert_array_equal(resample_segments(two, 4), two[[0, 0, 1, 1]])
    np.testing.assert_array_equal(linspace_segment_bounds(6, 4), [0, 1, 3, 4, 6])


def test_resample_segments_rejects_empty_input() -> None:
    with pytest.raises(ValidationError, match="at least one row"):
        resample_segments(np.zeros((0, 4)))
    with pytest.raises(ValidationError, match="num_segments"):
        resample_segments(np.zeros((3, 4)), 0)


def test_sultani_bounds_round_halves_away_from_zero() -> None:
    # linspace(1, 17, 33) = 1, 1.5, 2, 2.5, ...: MATLAB rounds 1.5 -> 2 and 2.5 -> 3 (numpy would give 2, 2).
    expected = [1 + (i + 1) // 2 for i in range(33)]
    np.testing.assert_array_equal(sultani_segment_bounds(17), expected)
    assert np.round(2.5) == 2.0  # the banker's rounding that must not be used
    for n in (1, 2, 5, 18, 33, 100, 1000, 4097):
        np.testing.assert_array_equal(sultani_segment_bounds(n), matlab_round_linspace(n))


@pytest.mark.parametrize("n", [1, 5, 17, 18, 32, 33, 100])
@pytest.mark.parametrize("compat", [None, "sultani"])
def test_sultani_segments_follow_the_matlab_loop(n: int, compat: str | None) -> None:
    rng = np.random.default_rng(n)
    features = rng.random((n, 8)) + 0.1
    expected = []
    for snippets in matlab_segment_snippets(n, reference=compat == "sultani"):
        row = features[snippets].mean(axis=0)
        expected.append(row / np.linalg.norm(row))
    out = sultani_segments(features, compat=compat)
    np.testing.assert_allclose(out, np.array(expected), rtol=1e-12, atol=0)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-12)


def test_sultani_reference_never_uses_the_last_snippet_from_18_snippets_on() -> None:
    rng = np.random.default_rng(0)
    features = rng.random((40, 5)) + 0.1
    changed = features.copy()
    changed[-1] += 10.0
    np.testing.assert_array_equal(
        sultani_segments(features, compat="sultani"), sultani_segments(changed, compat="sultani")
    )
    assert not np.allclose(sultani_segments(features)[-1], sultani_segments(changed)[-1])


def test_sultani_segments_reject_zero_mean_segment_and_bad_compat() -> None:
    with pytest.raises(ValidationError, match="zero"):
        sultani_segments(np.zeros((40, 3)))
    with pytest.raises(ValidationError, match="compat"):
        sultani_segments(np.ones((40, 3)), compat="vadclip")  # type: ignore[arg-type]


@pytest.mark.parametrize(("length", "target"), [(5, 8), (8, 8), (13, 8), (255, 256), (256, 256), (1000, 256)])
def test_pool_or_pad_below_at_and_above_target(length: int, target: int) -> None:
    rng = np.random.default_rng(length)
    features = rng.standard_normal((length, 4)).astype(np.float32)
    out, valid = pool_or_pad(features, target)
    assert out.shape == (target, 4)
    if length > target:
        assert valid == target
        np.testing.assert_array_equal(out, loop_resample(features, target))
    else:
        assert valid == length
        np.testing.assert_array_equal(out[:length], features)
        assert not out[length:].any()


def vadclip_reference_lengths(length: int, maxlen: int) -> list[int]:
    """The per-chunk lengths loop of VadCLIP's ``ucf_test.py``, restated."""
    lengths = []
    for j in range(int(length / maxlen) + 1):
        if j == 0 and length < maxlen:
            lengths.append(length)
        elif (j == 0 and length > maxlen) or length > maxlen:
            lengths.append(maxlen)
            length -= maxlen
        else:
            lengths.append(length)
    return lengths


@pytest.mark.parametrize(
    ("length", "default_chunks", "vadclip_chunks"),
    [(5, 1, 1), (8, 1, 2), (13, 2, 2), (16, 2, 3), (17, 3, 3)],
)
def test_split_chunks_default_and_vadclip_compat(
    length: int, default_chunks: int, vadclip_chunks: int
) -> None:
    chunk = 8
    features = np.arange(1, length * 2 + 1, dtype=np.float32).reshape(length, 2)
    for compat, count in ((None, default_chunks), ("vadclip", vadclip_chunks)):
        chunks, lengths = split_chunks(features, chunk, compat=compat)
        assert chunks.shape == (count, chunk, 2)
        flat = chunks.reshape(-1, 2)
        np.testing.assert_array_equal(flat[:length], features)
        assert not flat[length:].any()
        if compat is None:
            np.testing.assert_array_equal(lengths, [min(chunk, length - chunk * i) for i in range(count)])
        else:
            expected = [length] if length < chunk else vadclip_reference_lengths(length, chunk)
            np.testing.assert_array_equal(lengths, expected)
    _, lengths = split_chunks(features, chunk)
    assert lengths.min() > 0  # the default never emits an all-padding chunk


def test_split_chunks_rejects_unknown_compat() -> None:
    with pytest.raises(ValidationError, match="compat"):
        split_chunks(np.ones((4, 2)), 2, compat="rtfm")  # type: ignore[arg-type]


@pytest.mark.parametrize("num_frames", [1, 7, 15, 16, 17, 31, 32, 33, 40, 47, 48, 49, 1000])
def test_expand_non_overlapping_is_repeat_cut_or_pad_with_last(num_frames: int) -> None:
    rng = np.random.default_rng(num_frames)
    for count in {math.floor(num_frames / 16), math.ceil(num_frames / 16)} - {0}:
        scores = rng.random(count)
        repeated = np.repeat(scores, 16)
        if repeated.size >= num_frames:
            expected = repeated[:num_frames]
        else:
            expected = np.concatenate([repeated, np.full(num_frames - repeated.size, scores[-1])])
        np.testing.assert_array_equal(expand_to_frames(scores, num_frames), expected)


def test_expand_accepts_per_class_scores() -> None:
    scores = np.array([[0.1, 0.9], [0.6, 0.4]])
    out = expand_to_frames(scores, 36)
    np.testing.assert_array_equal(
        out, np.concatenate([np.repeat(scores, 16, axis=0), np.tile(scores[-1], (4, 1))])
    )


def test_expand_overlapping_stride_averages_covering_snippets() -> None:
    # Snippets of 16 frames every 8: [0,16) [8,24) [16,32) [24,40).
    out = expand_to_frames([1.0, 2.0, 3.0, 4.0], 40, 16, stride=8)
    expected = [1.0] * 8 + [1.5] * 8 + [2.5] * 8 + [3.5] * 8 + [4.0] * 8
    np.testing.assert_array_equal(out, expected)


def test_expand_with_gaps_fills_from_the_latest_snippet() -> None:
    # 4-frame snippets every 8 frames: [0,4) [8,12) [16,20); frames 4-7 and 12-15 are in gaps.
    out = expand_to_frames([1.0, 2.0, 3.0], 20, 4, stride=8)
    np.testing.assert_array_equal(out, [1.0] * 8 + [2.0] * 8 + [3.0] * 4)


def test_allowed_snippet_counts() -> None:
    assert allowed_snippet_counts(7) == [1]
    assert allowed_snippet_counts(32) == [2]
    assert allowed_snippet_counts(33) == [2, 3]
    assert allowed_snippet_counts(40, 16, 8) == [4]
    assert allowed_snippet_counts(41, 16, 8) == [4, 5]


@pytest.mark.parametrize(("count", "num_frames"), [(1, 40), (4, 40), (2, 15), (3, 64)])
def test_expand_rejects_inconsistent_counts_naming_video_and_numbers(count: int, num_frames: int) -> None:
    with pytest.raises(LengthMismatchError) as info:
        expand_to_frames(np.ones(count), num_frames, video="Abuse028_x264")
    message = str(info.value)
    assert "Abuse028_x264" in message and str(count) in message and str(num_frames) in message
    assert info.value.video == "Abuse028_x264"


def test_expand_rejects_bad_input() -> None:
    with pytest.raises(ValidationError, match="NaN"):
        expand_to_frames([0.1, np.nan], 32, video="v")
    with pytest.raises(ValidationError, match="shape"):
        expand_to_frames([], 16, video="v")
    with pytest.raises(ValidationError, match="num_frames"):
        expand_to_frames([0.5], 0, video="v")
    with pytest.raises(ValidationError, match="stride"):
        expand_to_frames([0.5], 16, stride=0, video="v")


def test_segments_to_snippets_linspace_by_hand() -> None:
    # T=5: r_i = floor(5 i / 32); the non-empty segments are 6, 12, 19, 25, 31 (rows 0..4).
    np.testing.assert_array_equal(segments_to_snippets(np.arange(32.0), 5), [6, 12, 19, 25, 31])
    # T=64: every segment covers two snippets.
    np.testing.assert_array_equal(segments_to_snippets(np.arange(32.0), 64), np.repeat(np.arange(32.0), 2))


def matlab_evaluation_scores(predictions: np.ndarray, n: int, actual_frames: int) -> np.ndarray:
    """``Evaluate_Anomaly_Detector.m``'s painting of 32 segment scores onto frames (1-based), restated."""
    shots = matlab_round_linspace(n)
    detection = np.zeros(n * 16)
    for p_c, ishots in enumerate(range(1, 33)):
        ss = shots[ishots - 1]
        ee = shots[ishots] - 1
        if ee < ss:
            detection[(ss - 1) * 16 : (ss - 1) * 16 + 16] = predictions[p_c]
        else:
            detection[(ss - 1) * 16 : (ee - 1) * 16 + 16] = predictions[p_c]
    return np.concatenate([detection, np.full(actual_frames - detection.size, detection[-1])])


@pytest.mark.parametrize("n", [5, 17, 18, 40, 100])
@pytest.mark.parametrize("extra_frames", [0, 9])
def test_segments_to_frames_reproduces_sultani_evaluation(n: int, extra_frames: int) -> None:
    predictions = np.random.default_rng(n).random(32)
    frames = n * 16 + extra_frames
    out = segments_to_frames(predictions, n, frames, rule="sultani", compat="sultani")
    np.testing.assert_array_equal(out, matlab_evaluation_scores(predictions, n, frames))


def test_sultani_default_gives_the_last_snippet_the_last_segment_score() -> None:
    predictions = np.linspace(0.1, 0.9, 32)
    out = segments_to_frames(predictions, 40, 40 * 16 + 5, rule="sultani")
    assert np.all(out[39 * 16 :] == predictions[-1])
    reference = segments_to_frames(predictions, 40, 40 * 16 + 5, rule="sultani", compat="sultani")
    assert np.all(reference[39 * 16 :] == 0.0)
    np.testing.assert_array_equal(out[: 39 * 16], reference[: 39 * 16])


def test_segment_rules_reject_unknown_names() -> None:
    with pytest.raises(ValidationError, match="rule"):
        segments_to_snippets(np.ones(32), 40, rule="uniform")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="compat"):
        segments_to_snippets(np.ones(32), 40, rule="linspace", compat="sultani")
    with pytest.raises(ValidationError, match="shape"):
        segments_to_snippets(np.ones((32, 2)), 40)
