"""Snippet windows over a stream of frames, holding no more than one window in memory."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np

from vadkit.types import SnippetSpec

Snippet = tuple[int, int, int, np.ndarray]
"""``(window_index, start, end, frames)``: frames ``[start, end)`` stacked as ``(spec.length, H, W, C)``."""


def iter_snippet_windows(frames: Iterable[np.ndarray], spec: SnippetSpec) -> Iterator[Snippet]:
    """The windows of ``spec`` over ``frames``, as soon as each is complete.

    Windows are those of :meth:`SnippetSpec.windows` for the number of frames the stream turns out to have.
    Under ``rounding="ceil"`` a window that passes the last frame is padded by repeating the last real frame
    (``end`` then passes the frame count). Only the last ``spec.length`` frames are kept, whatever the stride,
    so memory does not grow with the length of the video.

    Args:
        frames: ``(H, W, C)`` arrays in frame order (a reader's ``iter_frames()``).
        spec: window length, stride and rounding (``crops`` is not used here).

    Yields:
        ``(window_index, start, end, frames)`` with ``frames`` a new ``(spec.length, H, W, C)`` array.
    """
    recent: deque[np.ndarray] = deque(maxlen=spec.length)
    window = 0
    count = 0
    for count, frame in enumerate(frames, start=1):
        recent.append(frame)
        start = window * spec.stride
        if count == start + spec.length:
            yield window, start, count, np.stack(recent)
            window += 1
    held = list(recent)
    first_held = count - len(held)
    for index, (start, end) in enumerate(spec.windows(count)[window:], start=window):
        real = held[start - first_held :] if start < count else []
        yield index, start, end, np.stack(real + [held[-1]] * (spec.length - len(real)))
