"""Deterministic heap contents while encoding.

FFmpeg/x264 read some bytes of freshly allocated memory before writing them: with the same frames, the encoded
file then depends on what earlier work in the process left on the heap (measured: identical frames encoded
after other numpy work and decoding gave different H.264 bytes in roughly half the runs; after the first
file of a process only). glibc's ``M_PERTURB`` fills every allocation with a fixed byte while it is on, which
makes those reads, and the output, reproducible. Elsewhere (no glibc) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_M_PERTURB = -6  # glibc <malloc.h>
_PATTERN = 0x5A
_lock = threading.Lock()
_depth = 0


def _mallopt() -> ctypes._CFuncPtr | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return libc.mallopt
    except (OSError, AttributeError, TypeError):
        return None


_MALLOPT = _mallopt()


@contextmanager
def deterministic_heap() -> Iterator[None]:
    """Fill new heap allocations with a fixed byte inside the block (glibc ``mallopt(M_PERTURB)``); nested
    and concurrent blocks keep it on until the last one ends."""
    global _depth
    if _MALLOPT is None:
        yield
        return
    with _lock:
        _depth += 1
        if _depth == 1:
            _MALLOPT(_M_PERTURB, _PATTERN)
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _MALLOPT(_M_PERTURB, 0)
