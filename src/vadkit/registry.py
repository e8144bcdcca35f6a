"""Name registries in the timm style: one per kind of component (methods, extractors, datasets, protocols)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping from names to factories, filled by a decorator.

    >>> protocols = Registry("protocol")
    >>> @protocols.register("demo")
    ... def make(): return 1
    >>> protocols.create("demo")
    1
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., T]] = {}
        self._lazy: dict[str, str] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator registering ``factory`` under ``name``; a name can be registered once (a name
        announced by :meth:`register_lazy` is registered by the module it names)."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._entries[name] = factory
            self._lazy.pop(name, None)
            return factory

        return decorate

    def register_lazy(self, name: str, module: str) -> None:
        """Announce ``name`` as registered by ``module`` when that module is imported, which happens on the
        first :meth:`get` of the name: components with heavy imports (torch, transformers) cost nothing to
        the users of the others."""
        if name in self._entries or name in self._lazy:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._lazy[name] = module

    def get(self, name: str) -> Callable[..., T]:
        """The factory registered under ``name``; a KeyError lists the known names."""
        if name in self._lazy:
            module = self._lazy[name]
            importlib.import_module(module)
            if name not in self._entries:
                raise KeyError(f"{self.kind} {name!r}: importing {module} did not register it")
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names()) or "none"
            raise KeyError(f"unknown {self.kind} {name!r}; known: {known}") from None

    def create(self, name: str, **kwargs: object) -> T:
        """Call the factory registered under ``name`` with ``kwargs``."""
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        """Registered names (lazy ones included), sorted."""
        return sorted({*self._entries, *self._lazy})

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
