"""Cross-validation splits over the rows of a (time-series) training set.

Every function returns (train_rows, validation_rows) pairs of sorted index arrays. All types but
`timeseries` partition the rows: each row is validated exactly once and trained on otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import InputError

FOLDING_TYPES = ("chunked", "chunked_contiguous", "kfold", "timeseries", "group")
Split = tuple[np.ndarray, np.ndarray]


def row_chunks(n_rows: int, chunk_length: int) -> list[np.ndarray]:
    """Contiguous chunks of `chunk_length` rows; trailing rows join the last chunk."""
    n_chunks = max(n_rows // chunk_length, 1)
    starts = [i * chunk_length for i in range(n_chunks)] + [n_rows]
    return [np.arange(starts[i], starts[i + 1]) for i in range(n_chunks)]


def group_rows(groups: Sequence) -> list[np.ndarray]:
    """Rows of each group, groups in order of first appearance."""
    labels = np.asarray(groups)
    _, first = np.unique(labels, return_index=True)
    return [np.flatnonzero(labels == labels[i]) for i in np.sort(first)]


def deal(pieces: list[np.ndarray], n_folds: int, order: np.ndarray) -> list[np.ndarray]:
    """Give each fold `len(pieces) // n_folds` pieces in `order`; the last fold takes the rest."""
    per_fold = len(pieces) // n_folds
    bounds = [fold * per_fold for fold in range(n_folds)] + [len(pieces)]
    return [np.sort(np.concatenate([pieces[p] for p in order[bounds[f]:bounds[f + 1]]]))
            for f in range(n_folds)]


def validation_folds(n_rows: int, n_folds: int, folding_type: str, chunk_length: int, seed: int,
                     groups: Sequence | None = None, key: str = "ridge.n_inner_folds") -> list[np.ndarray]:
    """Validation rows of each fold for the partitioning types (all but `timeseries`).

    `chunked` shuffles chunks of `chunk_length` rows with `seed` and deals them to folds;
    `chunked_contiguous` deals them in order; `kfold` cuts contiguous folds; `group` deals whole
    groups (stories), shuffled with `seed`, so that no group is in two folds.
    """
    if folding_type == "kfold":
        if n_rows < n_folds:
            raise InputError(f"{key}={n_folds} folds need at least {n_folds} rows, got {n_rows}")
        return np.array_split(np.arange(n_rows), n_folds)
    if folding_type == "group":
        if groups is None or len(groups) != n_rows:
            raise ValueError("group folding needs one group label per row")
        pieces, what = group_rows(groups), "stories"
    elif folding_type in ("chunked", "chunked_contiguous"):
        pieces, what = row_chunks(n_rows, chunk_length), f"chunks of ridge.chunk_length={chunk_length} rows"
    else:
        raise InputError(f"ridge.folding_type: unknown {folding_type!r} (known: {', '.join(FOLDING_TYPES)})")
    if len(pieces) < n_folds:
        raise InputError(f"{key}={n_folds} needs at least {n_folds} {what}, but the {n_rows} rows "
                         f"give {len(pieces)}; lower {key} or change ridge.folding_type/chunk_length")
    shuffled = folding_type in ("chunked", "group")
    order = np.random.default_rng(seed).permutation(len(pieces)) if shuffled else np.arange(len(pieces))
    return deal(pieces, n_folds, order)


def timeseries_splits(n_rows: int, n_folds: int, key: str = "ridge.n_inner_folds") -> list[Split]:
    """Expanding window: cut n_folds + 1 blocks; fold k validates block k + 1 on all rows before it."""
    block = n_rows // (n_folds + 1)
    if block < 1:
        raise InputError(f"{key}={n_folds} timeseries folds need at least {n_folds + 1} rows, got {n_rows}")
    starts = [n_rows - (n_folds - k) * block for k in range(n_folds)] + [n_rows]
    return [(np.arange(starts[k]), np.arange(starts[k], starts[k + 1])) for k in range(n_folds)]


def cv_splits(n_rows: int, n_folds: int, folding_type: str, chunk_length: int, seed: int,
              groups: Sequence | None = None, key: str = "ridge.n_inner_folds") -> list[Split]:
    """(train_rows, validation_rows) for every fold; `key` names the fold count in errors."""
    if n_folds < 2:
        raise InputError(f"{key} must be >= 2, got {n_folds}")
    if folding_type == "timeseries":
        return timeseries_splits(n_rows, n_folds, key)
    all_rows = np.arange(n_rows)
    return [(np.setdiff1d(all_rows, held_out), held_out)
            for held_out in validation_folds(n_rows, n_folds, folding_type, chunk_length, seed,
                                             groups, key)]
