"""What a reader does when a video decodes fewer frames than it declares, or fails part way.

After a full sequential pass the number of decoded frames is compared with the number the source declares
(the container's frame count for video files, the number of image files for frame folders). The policy
``on_error`` decides what a shortfall (fewer frames, or a decoder error mid-stream) becomes:

* ``"raise"``: a :class:`~vadkit.errors.VideoDecodeError` naming the video and the problem;
* ``"partial"``: the frames decoded so far stand, and the outcome says ``"partial"``;
* ``"skip"``: the outcome says ``"skipped"``; the caller drops the video (what it built from the frames
  already delivered included) and records why.

More frames than declared is not an error (containers round their counts); the outcome records it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from vadkit.errors import ValidationError, VideoDecodeError

OnError = Literal["raise", "partial", "skip"]
DecodeStatus = Literal["ok", "partial", "skipped"]


@dataclass(frozen=True)
class DecodeOutcome:
    """How one full decoding pass of a video ended.

    ``frames_declared`` is ``None`` when the source declares no count. ``message`` is empty for a clean pass
    and says what happened otherwise (a shortfall, a decoder error, or more frames than declared).
    """

    status: DecodeStatus
    frames_decoded: int
    frames_declared: int | None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (for extraction manifests)."""
        return {
            "status": self.status,
            "frames_decoded": self.frames_decoded,
            "frames_declared": self.frames_declared,
            "message": self.message,
        }


def check_on_error(value: str) -> OnError:
    """``value`` if it is a known policy, else a :class:`~vadkit.errors.ValidationError`."""
    if value not in get_args(OnError):
        raise ValidationError(f"on_error must be one of {get_args(OnError)}, got {value!r}")
    return value  # type: ignore[return-value]


def settle_pass(
    path: str | Path,
    on_error: OnError,
    frames_decoded: int,
    frames_declared: int | None,
    failure: VideoDecodeError | None = None,
) -> DecodeOutcome:
    """The outcome of a full pass over ``path`` that produced ``frames_decoded`` frames.

    Args:
        path: the video file or frame folder, for messages.
        on_error: the policy applied to a shortfall.
        frames_decoded: frames the pass produced.
        frames_declared: frames the source declares, ``None`` if unknown.
        failure: the decode error that ended the pass early, if any.

    Raises:
        VideoDecodeError: under ``"raise"``, when the pass failed, fell short of the declared count, or
            produced no frame at all.
    """
    short = frames_declared is not None and frames_decoded < frames_declared
    if failure is None and not short and frames_decoded > 0:
        extra = frames_declared is not None and frames_decoded > frames_declared
        note = f"decoded {frames_decoded} frames, more than the {frames_declared} declared" if extra else ""
        return DecodeOutcome("ok", frames_decoded, frames_declared, note)
    declared = "an unknown number of" if frames_declared is None else f"the {frames_declared}"
    problem = f"decoded {frames_decoded} of {declared} declared frames"
    if failure is not None:
        problem = f"{failure.problem} ({problem})"
    if on_error == "raise":
        raise VideoDecodeError(path, problem) from failure
    status: DecodeStatus = "partial" if on_error == "partial" else "skipped"
    return DecodeOutcome(status, frames_decoded, frames_declared, problem)
