"""Cross-validation splits over the rows of a (time-series) training set.

Every function returns (train_rows, validation_rows) pairs of sorted index arrays. All types but
`timeseries` partition the rows: each row is validated exactly once and trained on otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..errors import InputError
from ..registry import Registry

Split = tuple[np.ndarray, np.ndarray]


def row_chunks(n_rows: int, chunk_length: int) -> list[np.ndarray]:
    """Contiguous chunks of `chunk_length` rows; trailing rows join the last chunk.

    Parameters
    ----------
    n_rows : int
    chunk_length : int

    Returns
    -------
    list of np.ndarray
        max(n_rows // chunk_length, 1) int64 arrays of consecutive row indices covering every row.
    """
    n_chunks = max(n_rows // chunk_length, 1)
    starts = [i * chunk_length for i in range(n_chunks)] + [n_rows]
    return [np.arange(starts[i], starts[i + 1]) for i in range(n_chunks)]


def group_rows(groups: Sequence) -> list[np.ndarray]:
    """Rows of each group, groups in order of first appearance.

    Parameters
    ----------
    groups : sequence
        (n_rows,) group label of each row.

    Returns
    -------
    list of np.ndarray
        One sorted int array of row indices per group.
    """
    labels = np.asarray(groups)
    _, first = np.unique(labels, return_index=True)
    return [np.flatnonzero(labels == labels[i]) for i in np.sort(first)]


def deal(pieces: list[np.ndarray], n_folds: int, order: np.ndarray) -> list[np.ndarray]:
    """Give each fold `len(pieces) // n_folds` pieces in `order`; the last fold takes the rest.

    Parameters
    ----------
    pieces : list of np.ndarray
        Int arrays of row indices (chunks or groups).
    n_folds : int
    order : np.ndarray
        (len(pieces),) permutation of piece indices.

    Returns
    -------
    list of np.ndarray
        n_folds sorted int arrays: each fold's rows.
    """
    per_fold = len(pieces) // n_folds
    bounds = [fold * per_fold for fold in range(n_folds)] + [len(pieces)]
    return [np.sort(np.concatenate([pieces[p] for p in order[bounds[f]:bounds[f + 1]]]))
            for f in range(n_folds)]


def check_enough_pieces(pieces: list[np.ndarray], n_folds: int, what: str, n_rows: int,
                          key: str) -> None:
    """There must be at least one piece (chunk or story) per fold.

    Parameters
    ----------
    pieces : list of np.ndarray
        Int arrays of row indices.
    n_folds : int
    what : str
        What the pieces are, for the message.
    n_rows : int
    key : str
        The config key of the fold count, for the message.
    """
    if len(pieces) < n_folds:
        raise InputError(f"{key}={n_folds} needs at least {n_folds} {what}, but the {n_rows} rows "
                         f"give {len(pieces)}; lower {key} or change ridge.folding_type/chunk_length")


def chunk_pieces(n_rows: int, n_folds: int, chunk_length: int, key: str) -> list[np.ndarray]:
    """Chunks of `chunk_length` rows, at least one per fold.

    Parameters
    ----------
    n_rows, n_folds, chunk_length, key
        As in `cv_splits`.

    Returns
    -------
    list of np.ndarray
        Int64 arrays of consecutive row indices, as `row_chunks`.
    """
    pieces = row_chunks(n_rows, chunk_length)
    check_enough_pieces(pieces, n_folds, f"chunks of ridge.chunk_length={chunk_length} rows",
                        n_rows, key)
    return pieces


def chunked_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                  groups: Sequence | None, key: str) -> list[np.ndarray]:
    """Chunks of `chunk_length` rows, shuffled with `seed`, dealt to folds.

    Arguments as `cv_splits` passes them; returns each fold's validation rows (sorted int64).
    """
    pieces = chunk_pieces(n_rows, n_folds, chunk_length, key)
    return deal(pieces, n_folds, np.random.default_rng(seed).permutation(len(pieces)))


def chunked_contiguous_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                             groups: Sequence | None, key: str) -> list[np.ndarray]:
    """Chunks of `chunk_length` rows dealt to folds in order.

    Arguments as `cv_splits` passes them; returns each fold's validation rows (sorted int64).
    """
    pieces = chunk_pieces(n_rows, n_folds, chunk_length, key)
    return deal(pieces, n_folds, np.arange(len(pieces)))


def kfold_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                groups: Sequence | None, key: str) -> list[np.ndarray]:
    """Contiguous folds of (nearly) equal size.

    Arguments as `cv_splits` passes them; returns each fold's validation rows (sorted int64).
    """
    if n_rows < n_folds:
        raise InputError(f"{key}={n_folds} folds need at least {n_folds} rows, got {n_rows}")
    return np.array_split(np.arange(n_rows), n_folds)


def group_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                groups: Sequence | None, key: str) -> list[np.ndarray]:
    """Whole groups (stories), shuffled with `seed`, dealt to folds: no group is in two folds.

    Arguments as `cv_splits` passes them; returns each fold's validation rows (sorted int64).
    """
    if groups is None or len(groups) != n_rows:
        raise ValueError("group folding needs one group label per row")
    pieces = group_rows(groups)
    check_enough_pieces(pieces, n_folds, "stories", n_rows, key)
    return deal(pieces, n_folds, np.random.default_rng(seed).permutation(len(pieces)))


def partitioned(folds: Callable[..., list[np.ndarray]]) -> Callable[..., list[Split]]:
    """Splits from a function giving each fold's validation rows: the other rows train.

    Parameters
    ----------
    folds : callable
        (n_rows, n_folds, chunk_length, seed, groups, key) -> list of validation-row arrays.

    Returns
    -------
    callable
        Same arguments -> list of (train_rows, validation_rows) pairs of sorted int arrays.
    """

    def splits(n_rows: int, n_folds: int, chunk_length: int, seed: int,
               groups: Sequence | None, key: str) -> list[Split]:
        all_rows = np.arange(n_rows)
        return [(np.setdiff1d(all_rows, held_out), held_out)
                for held_out in folds(n_rows, n_folds, chunk_length, seed, groups, key)]

    return splits


def timeseries_splits(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                      groups: Sequence | None, key: str) -> list[Split]:
    """Expanding window: cut n_folds + 1 blocks; fold k validates block k + 1 on all rows before it.

    Arguments as `cv_splits` passes them; returns (train_rows, validation_rows) pairs.
    """
    block = n_rows // (n_folds + 1)
    if block < 1:
        raise InputError(f"{key}={n_folds} timeseries folds need at least {n_folds + 1} rows, got {n_rows}")
    starts = [n_rows - (n_folds - k) * block for k in range(n_folds)] + [n_rows]
    return [(np.arange(starts[k]), np.arange(starts[k], starts[k + 1])) for k in range(n_folds)]


# Each maps (n_rows, n_folds, chunk_length, seed, groups, key) to (train_rows, validation_rows) pairs.
FOLDING_TYPES: Registry[Callable[..., list[Split]]] = Registry(
    "folding type", "ridge.folding_type", [
        ("chunked", partitioned(chunked_folds)),
        ("chunked_contiguous", partitioned(chunked_contiguous_folds)),
        ("kfold", partitioned(kfold_folds)),
        ("timeseries", timeseries_splits),
        ("group", partitioned(group_folds)),
    ])


def cv_splits(n_rows: int, n_folds: int, folding_type: str, chunk_length: int, seed: int,
              groups: Sequence | None = None, key: str = "ridge.n_inner_folds") -> list[Split]:
    """(train_rows, validation_rows) for every fold; `key` names the fold count in errors.

    Parameters
    ----------
    n_rows : int
    n_folds : int
        At least 2.
    folding_type : str
        A name in `FOLDING_TYPES`.
    chunk_length : int
        Rows per chunk (chunked types only).
    seed : int
        Seed of the shuffle (chunked and group).
    groups : sequence, optional
        (n_rows,) group (story) label of each row; needed for 'group'.
    key : str

    Returns
    -------
    list of (np.ndarray, np.ndarray)
        n_folds pairs of sorted int64 arrays of row indices: training rows, validation rows.
    """
    if n_folds < 2:
        raise InputError(f"{key} must be >= 2, got {n_folds}")
    return FOLDING_TYPES.lookup(folding_type)(n_rows, n_folds, chunk_length, seed, groups, key)
