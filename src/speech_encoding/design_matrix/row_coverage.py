"""Which rows of a story's design matrix rest on real features.

A downsampled row draws on the windows whose times lie in its kernel's support (`downsample.
kernel_support`). It is *complete* when at least one window lies there and no window position
outside the audio does: neither the window before the first (it would start before the audio;
the first `context_size` seconds have no windows) nor the one after the last (it would end after
the audio). A row that takes only its latest window (`last`) is complete unless a later one is
missing: windows missing before its latest do not change it.

A delayed row is *usable* when every delay block comes from a complete row of the same story,
not from zero padding (or, with `fir_circpad`, from the other end of the story).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..features.windows import WindowGrid
from .downsample import Support


def _first_at_or_after(points: np.ndarray, bound: np.ndarray, closed: bool) -> np.ndarray:
    """Index of the first sorted point inside a lower bound (>= when closed, > when open)."""
    return np.searchsorted(points, bound, side="left" if closed else "right")


def _first_beyond(points: np.ndarray, bound: np.ndarray, closed: bool) -> np.ndarray:
    """Index of the first sorted point beyond an upper bound (> when closed, >= when open)."""
    return np.searchsorted(points, bound, side="right" if closed else "left")


def points_in_support(points: np.ndarray, support: Support) -> np.ndarray:
    """(n_trs,) how many of the sorted `points` lie in each row's support."""
    points = np.asarray(points, dtype=np.float64)
    lower = _first_at_or_after(points, support.lower, support.lower_closed)
    upper = _first_beyond(points, support.upper, support.upper_closed)
    return np.maximum(upper - lower, 0)


@dataclass(frozen=True)
class RowCoverage:
    """Per downsampled row: how many windows its kernel reaches, and whether it is complete."""

    n_windows: np.ndarray
    complete: np.ndarray


def row_coverage(grid: WindowGrid, support: Support) -> RowCoverage:
    """The coverage of every row of one story's TR grid by its windows.

    Parameters
    ----------
    grid : WindowGrid
        The story's window times (sorted) and the missing windows just outside the audio.
    support : Support
        Each row's kernel support (`downsample.kernel_support` of the story's TR times).

    Returns
    -------
    RowCoverage
        (n_trs,) window counts and completeness.
    """
    n_windows = points_in_support(grid.times, support)
    outside = points_in_support(np.array([grid.after]), support)
    if not support.latest_only:
        outside = outside + points_in_support(np.array([grid.before]), support)
    return RowCoverage(n_windows, (n_windows > 0) & (outside == 0))


@dataclass(frozen=True)
class DelayedRows:
    """Per delayed row: usable (every delay block a complete row of the story), padded (some
    block is zero padding, or wrapped around with fir_circpad), empty (some block comes from a
    row with no window in its kernel, a zero row)."""

    usable: np.ndarray
    padded: np.ndarray
    empty: np.ndarray


def delayed_rows(coverage: RowCoverage, delays: Sequence[int]) -> DelayedRows:
    """What each row of the delayed design matrix holds, from its rows' coverage and the delays."""
    n_rows = len(coverage.complete)
    rows = np.arange(n_rows)
    usable = np.ones(n_rows, dtype=bool)
    padded = np.zeros(n_rows, dtype=bool)
    empty = np.zeros(n_rows, dtype=bool)
    for delay in delays:
        source = rows - int(delay)
        inside = (source >= 0) & (source < n_rows)
        clipped = np.clip(source, 0, n_rows - 1)
        padded |= ~inside
        empty |= inside & (coverage.n_windows[clipped] == 0)
        usable &= inside & coverage.complete[clipped]
    return DelayedRows(usable, padded, empty)


def usable_span(usable: np.ndarray) -> slice | None:
    """The rows from the first usable one to the last (None when no row is usable)."""
    found = np.flatnonzero(usable)
    if len(found) == 0:
        return None
    return slice(int(found[0]), int(found[-1]) + 1)
