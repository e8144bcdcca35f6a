"""Do the feature lengths fit the videos? T of every video against its frame count.

With non-overlapping 16-frame snippets a video of n frames has T = floor(n/16) or ceil(n/16) snippets
(:func:`vadkit.snippets.allowed_snippet_counts`); RTFM's ShanghaiTech features have ceil, VadCLIP's UCF-Crime
features mostly floor. A T outside both means features and annotation describe different videos (or a
different frame rate), which the field's evaluation code never checks.
"""

from __future__ import annotations

from collections.abc import Mapping

from vadkit.data.feature_sets.base import FeatureSet
from vadkit.errors import LengthMismatchError, ValidationError
from vadkit.snippets import allowed_snippet_counts
from vadkit.types import GroundTruth


def check_lengths(
    feature_set: FeatureSet,
    frame_counts: Mapping[str, int],
    snippet_length: int = 16,
    *,
    stride: int | None = None,
    require_all: bool = True,
    origin: str = "frame counts",
) -> dict[str, int]:
    """Check T (:meth:`FeatureSet.num_snippets`, file headers only) of every video against its frame count.

    Args:
        feature_set: the features.
        frame_counts: n per video name.
        snippet_length: frames per snippet.
        stride: frames between snippet starts (default ``snippet_length``).
        require_all: every video of the set must have a count; otherwise videos without one are skipped.
        origin: what the counts are, for messages.

    Returns:
        ``{video: T}`` of the videos checked, in set order.

    Raises:
        ValidationError: ``require_all`` and videos without a count (all named).
        LengthMismatchError: naming every video whose T is neither the floor nor the ceil count of its n.
    """
    missing = [video.name for video in feature_set if video.name not in frame_counts]
    if missing and require_all:
        raise ValidationError(
            f"{feature_set.source}: no {origin} for {len(missing)} videos: {', '.join(missing)}"
        )
    checked: dict[str, int] = {}
    bad: dict[str, str] = {}
    for video in feature_set:
        if video.name not in frame_counts:
            continue
        length = feature_set.num_snippets(video)
        frames = frame_counts[video.name]
        allowed = allowed_snippet_counts(frames, snippet_length, stride)
        if length not in allowed:
            expected = " or ".join(map(str, allowed)) or "none"
            bad[video.name] = f"{video.name} has T={length} for {frames} frames (expected {expected})"
        checked[video.name] = length
    if bad:
        raise LengthMismatchError(
            ", ".join(bad),
            f"feature lengths disagree with the {origin} ({snippet_length}-frame snippets): "
            + "; ".join(bad.values()),
        )
    return checked


def check_lengths_against_gt(
    feature_set: FeatureSet,
    ground_truth: Mapping[str, GroundTruth],
    snippet_length: int = 16,
    *,
    stride: int | None = None,
    require_all: bool = True,
) -> dict[str, int]:
    """Check T of every video against the frame count of its ground truth (``GroundTruth.num_frames``).

    A ground truth built with ``length="snippets"`` (T*16) passes by construction; build it with
    ``length="frames"`` to test the features against the real videos. See :func:`check_lengths` for the
    arguments, the result and the errors.
    """
    counts = {name: gt.num_frames for name, gt in ground_truth.items()}
    return check_lengths(
        feature_set, counts, snippet_length, stride=stride, require_all=require_all, origin="ground truth"
    )
