"""Exceptions raised by vadkit. Every message names the file or video concerned and the problem."""

from __future__ import annotations


class VadkitError(Exception):
    """Base class of every error vadkit raises on purpose."""


class ValidationError(VadkitError, ValueError):
    """A value handed to a vadkit type is malformed (wrong shape, dtype, NaN/inf, inconsistent lengths)."""


class VideoDecodeError(VadkitError):
    """A video or frame folder cannot be read: missing, not a video, truncated, or without frames."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class AnnotationError(VadkitError, ValueError):
    """A benchmark list, annotation or mask file is malformed or disagrees with the data it describes."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class LengthMismatchError(VadkitError, ValueError):
    """Scores and ground truth (or features and frames) of one video have different lengths."""

    def __init__(self, video: str, problem: str) -> None:
        self.video = video
        self.problem = problem
        super().__init__(f"{video}: {problem}")
