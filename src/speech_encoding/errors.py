"""The one exception type the library raises for bad input, so callers can tell it from bugs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

MAX_LISTED = 10


class InputError(ValueError):
    """Bad user input (config, manifest, audio, responses, model); the message names the culprit."""


def listed(problems: Sequence[str], heading: str) -> str:
    """`heading` and one indented line per problem, at most MAX_LISTED and then how many more."""
    lines = [f"  {problem}" for problem in problems[:MAX_LISTED]]
    if len(problems) > MAX_LISTED:
        lines.append(f"  ... and {len(problems) - MAX_LISTED} more")
    return "\n".join([heading, *lines])


def repeated(names: Sequence[str]) -> list[str]:
    """The names that occur more than once, sorted (for an error that names them)."""
    return sorted({name for name in names if names.count(name) > 1})


def raise_collected(problems: Sequence[str], heading: str) -> None:
    """Raise one InputError for every problem found (none: return): a single problem as it is,
    several as `listed` under `heading`, so that a user fixes them all in one go."""
    if len(problems) == 1:
        raise InputError(problems[0])
    if problems:
        raise InputError(listed(problems, f"{len(problems)} {heading}:"))


@contextmanager
def errors_within(where: str | None) -> Iterator[None]:
    """Prefix the message of an InputError raised inside with `where` (nothing when None)."""
    try:
        yield
    except InputError as error:
        if where is None:
            raise
        raise InputError(f"{where}: {error}") from None
