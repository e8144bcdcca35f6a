"""A memory-bounded least-recently-used cache of loaded videos (training sequences, validation inputs).

Caching changes speed only, never results: every cached value is a deterministic function of its key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Protocol, TypeVar

from vadkit.errors import ValidationError


class Sized(Protocol):
    """A value that knows its memory footprint."""

    @property
    def nbytes(self) -> int: ...


V = TypeVar("V", bound=Sized)


class LRUCache:
    """Values kept while their total ``nbytes`` stays within ``max_bytes``; the least recently used go first.

    A value larger than ``max_bytes`` is returned but not kept; ``max_bytes=0`` disables caching.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValidationError(f"LRUCache: max_bytes must be >= 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self._values: OrderedDict[Hashable, Sized] = OrderedDict()
        self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        """The value cached under ``key``, or ``load()``'s result (kept if it fits)."""
        if key in self._values:
            self._values.move_to_end(key)
            return self._values[key]  # type: ignore[return-value]
        value = load()
        if value.nbytes <= self.max_bytes:
            self._values[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._values.popitem(last=False)
                self._bytes -= dropped.nbytes
        return value
