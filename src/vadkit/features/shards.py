"""Splitting the videos of an extraction between the jobs of a job array (``--shard i/N``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vadkit.errors import ValidationError
from vadkit.features.inputs import VideoSource
from vadkit.io import natural_key

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``.

    The videos are put in natural order of their ids and dealt round-robin: the k-th goes to shard
    ``k mod count``. Shards are disjoint, together cover every video, and differ in size by at most one; the
    assignment does not depend on the order of the inputs (a list file and a folder search agree).
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValidationError(
                f"shard must be i/N with N >= 1 and 0 <= i < N, got {self.index}/{self.count}"
            )

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/N"`` (e.g. ``"0/4"``, for ``$SLURM_ARRAY_TASK_ID/4`` with 0-based array ids)."""
        match = _SHARD.match(text)
        if match is None:
            raise ValidationError(f"shard must be written i/N (e.g. 0/4), got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def tag(self) -> str:
        """A file-name-safe label, ``<index>of<count>``."""
        return f"{self.index}of{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def select(self, sources: Sequence[VideoSource]) -> list[VideoSource]:
        """The sources of this shard, in their input order."""
        ranked = sorted(sources, key=lambda source: (natural_key(source.video), source.video))
        mine = {source.video for source in ranked[self.index :: self.count]}
        return [source for source in sources if source.video in mine]


WHOLE = Shard(0, 1)
"""The single shard of an unsharded run."""
