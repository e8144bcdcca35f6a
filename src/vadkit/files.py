"""Atomic file writes: no final file name ever holds a partly written file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

TEMP_SUFFIX = ".tmp"
"""Suffix of a temporary file: ``<final name>.tmp``, or ``<final name>.tmp-<tag>``."""


def atomic_write(
    path: str | Path, write: Callable[[IO[bytes]], None], *, tag: str = "", durable: bool = False
) -> Path:
    """Write ``path`` through ``write`` into a temporary sibling (:data:`TEMP_SUFFIX`, then ``-<tag>`` when
    given, so that concurrent writers of one file do not share a temporary) and rename it into place.

    Args:
        path: the final file; its folder is created.
        write: writes the content to the binary handle it is given.
        tag: distinguishes the temporaries of concurrent writers.
        durable: flush and ``fsync`` the file before the rename, so the content is on disk when the final
            name appears (worth it for files a killed run must find whole).

    On any error the temporary file is removed and the error re-raised; ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + TEMP_SUFFIX + (f"-{tag}" if tag else ""))
    try:
        with open(temporary, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path
