"""A registry of the kinds of a thing (model families, downsampling methods, folding types,
ridge modes), each looked up by the name a config gives, with an error that names the config key
and the known names."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

from .errors import InputError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind, in a fixed order; `lookup` is the one way to get one by name."""

    def __init__(self, kind: str, key: str, entries: Iterable[tuple[str, T]]):
        self.kind = kind
        self.key = key
        self._entries = dict(entries)

    @property
    def names(self) -> tuple[str, ...]:
        """Every registered name, in registration order."""
        return tuple(self._entries)

    def entries(self) -> tuple[T, ...]:
        """Every registered entry, in registration order."""
        return tuple(self._entries.values())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, name: object) -> T:
        """The entry called `name`; an InputError naming the config key and the known names."""
        if not isinstance(name, str) or name not in self._entries:
            raise InputError(f"{self.key}: unknown {self.kind} {name!r} "
                             f"(known: {', '.join(self._entries)})")
        return self._entries[name]
