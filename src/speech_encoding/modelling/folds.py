"""Cross-validation splits over the rows of a (time-series) training set.

Every function returns (train_rows, validation_rows) pairs of sorted index arrays. `chunked`,
`chunked_contiguous`, `kfold` and `group` partition the rows: each row is validated exactly once
and trained on otherwise. The `*_trimmed` types validate each held-out piece without its first and
last `trim_size` rows, which neither train nor validate. A fold gap then drops the training rows
within `gap` rows of a validated row of the same story.

`remainder` says where what does not divide evenly goes (`ridge.fold_remainder`): `spread` gives
the chunks (or stories) left over after an even deal one each to the first folds, and the rows
left over after cutting chunks to the folds with fewer chunks, so that folds differ by at most one
chunk (`chunk_lengths`); `last` gives them all to the last fold and the last chunk (the tutorial
library's folds).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..errors import InputError
from ..registry import Registry

Split = tuple[np.ndarray, np.ndarray]


REMAINDERS = ("spread", "last")


def fold_counts(n_pieces: int, n_folds: int, remainder: str) -> list[int]:
    """Pieces per fold: `n_pieces // n_folds` each, and the leftover pieces one each to the first
    folds (`spread`) or all to the last fold (`last`)."""
    if remainder not in REMAINDERS:
        raise ValueError(f"fold remainder must be one of {REMAINDERS}, got {remainder!r}")
    per_fold, extra = divmod(n_pieces, n_folds)
    if remainder == "spread":
        return [per_fold + (fold < extra) for fold in range(n_folds)]
    return [per_fold] * (n_folds - 1) + [per_fold + extra]


def deal(pieces: list[np.ndarray], order: np.ndarray, counts: list[int]) -> list[list[np.ndarray]]:
    """Fold f takes the next `counts[f]` pieces of `order`.

    Parameters
    ----------
    pieces : list of np.ndarray
        Int arrays of row indices (chunks or groups).
    order : np.ndarray
        (len(pieces),) permutation of piece indices.
    counts : list of int
        Pieces per fold (`fold_counts`), summing to len(pieces).

    Returns
    -------
    list of list of np.ndarray
        Each fold's pieces (kept apart, so that trimmed types can trim each one).
    """
    bounds = np.concatenate([[0], np.cumsum(counts)]).astype(int)
    return [[pieces[p] for p in order[bounds[f]:bounds[f + 1]]] for f in range(len(counts))]


def chunk_lengths(n_rows: int, chunk_length: int, chunk_folds: np.ndarray, remainder: str) -> np.ndarray:
    """Rows of each chunk, in time order: `chunk_length`, plus the rows left over after them.

    `last`: the leftover rows join the last chunk. `spread`: they go one at a time, in turn, to the
    folds holding the fewest chunks, and within such a fold to its chunks in turn; since fewer
    than `chunk_length` rows are left over, every fold then holds between q and q + 1 chunks'
    worth of rows (q = chunks per fold, rounded down): folds differ by at most one chunk.

    Parameters
    ----------
    n_rows, chunk_length : int
    chunk_folds : np.ndarray
        (n_chunks,) the fold each chunk (in time order) is dealt to.
    remainder : str
    """
    lengths = np.full(len(chunk_folds), chunk_length)
    leftover = n_rows - lengths.sum()
    if remainder == "last":
        lengths[-1] += leftover
        return lengths
    counts = np.bincount(chunk_folds)
    short = np.flatnonzero(counts == counts[counts > 0].min())
    for i in range(leftover):
        fold_chunks = np.flatnonzero(chunk_folds == short[i % len(short)])
        lengths[fold_chunks[(i // len(short)) % len(fold_chunks)]] += 1
    return lengths


def check_enough_pieces(n_pieces: int, n_folds: int, what: str, n_rows: int, key: str) -> None:
    """There must be at least one piece (chunk or story) per fold.

    Parameters
    ----------
    n_pieces : int
        Chunks or stories.
    n_folds : int
    what : str
        What the pieces are, for the message.
    n_rows : int
    key : str
        The config key of the fold count, for the message.
    """
    if n_pieces < n_folds:
        raise InputError(f"{key}={n_folds} needs at least {n_folds} {what}, but the {n_rows} rows "
                         f"give {n_pieces}; lower {key} or change ridge.folding_type/chunk_length")


def dealt_chunks(n_rows: int, n_folds: int, chunk_length: int, key: str, remainder: str,
                 shuffle_seed: int | None) -> list[list[np.ndarray]]:
    """Contiguous chunks of about `chunk_length` rows dealt to folds, in time order or shuffled.

    Parameters
    ----------
    n_rows, n_folds, chunk_length, key, remainder
        As in `cv_splits`.
    shuffle_seed : int or None
        Seed of the chunks' shuffle before dealing; None deals them in time order.

    Returns
    -------
    list of list of np.ndarray
        Each fold's chunks: int64 arrays of consecutive row indices, covering every row once.
    """
    n_chunks = max(n_rows // chunk_length, 1)
    check_enough_pieces(n_chunks, n_folds, f"chunks of ridge.chunk_length={chunk_length} rows",
                        n_rows, key)
    order = (np.arange(n_chunks) if shuffle_seed is None
             else np.random.default_rng(shuffle_seed).permutation(n_chunks))
    counts = fold_counts(n_chunks, n_folds, remainder)
    chunk_folds = np.empty(n_chunks, dtype=int)
    chunk_folds[order] = np.repeat(np.arange(n_folds), counts)
    bounds = np.concatenate([[0], np.cumsum(chunk_lengths(n_rows, chunk_length, chunk_folds, remainder))])
    chunks = [np.arange(bounds[c], bounds[c + 1]) for c in range(n_chunks)]
    return deal(chunks, order, counts)


def chunked_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                  groups: Sequence | None, key: str, remainder: str) -> list[list[np.ndarray]]:
    """Chunks of `chunk_length` rows, shuffled with `seed`, dealt to folds.

    Arguments as `cv_splits` passes them; returns each fold's held-out pieces (as `deal`).
    """
    return dealt_chunks(n_rows, n_folds, chunk_length, key, remainder, shuffle_seed=seed)


def chunked_contiguous_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                             groups: Sequence | None, key: str, remainder: str) -> list[list[np.ndarray]]:
    """Chunks of `chunk_length` rows dealt to folds in order.

    Arguments as `cv_splits` passes them; returns each fold's held-out pieces (as `deal`).
    """
    return dealt_chunks(n_rows, n_folds, chunk_length, key, remainder, shuffle_seed=None)


def kfold_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                groups: Sequence | None, key: str, remainder: str) -> list[list[np.ndarray]]:
    """Contiguous folds of sizes that differ by at most one row, one piece each (any remainder).

    Arguments as `cv_splits` passes them; returns each fold's held-out pieces (as `deal`).
    """
    if n_rows < n_folds:
        raise InputError(f"{key}={n_folds} folds need at least {n_folds} rows, got {n_rows}")
    return [[block] for block in np.array_split(np.arange(n_rows), n_folds)]


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


def group_folds(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                groups: Sequence | None, key: str, remainder: str) -> list[list[np.ndarray]]:
    """Whole groups (stories), shuffled with `seed`, dealt to folds: no group is in two folds.

    Arguments as `cv_splits` passes them; returns each fold's held-out pieces (as `deal`).
    """
    if groups is None or len(groups) != n_rows:
        raise ValueError("group folding needs one group label per row")
    pieces = group_rows(groups)
    check_enough_pieces(len(pieces), n_folds, "stories", n_rows, key)
    order = np.random.default_rng(seed).permutation(len(pieces))
    return deal(pieces, order, fold_counts(len(pieces), n_folds, remainder))


def trimmed(piece: np.ndarray, trim_size: int) -> np.ndarray:
    """A held-out piece without its first and last `trim_size` rows (empty when that is all)."""
    return piece[trim_size:len(piece) - trim_size]


def partitioned(folds: Callable[..., list[list[np.ndarray]]],
                trim: bool = False) -> Callable[..., list[Split]]:
    """Splits from a function giving each fold's held-out pieces: the rows of other folds train.

    With `trim`, each piece is validated without its first and last `trim_size` rows, which then
    neither train nor validate (the tutorial's `kfold_trimmed` and `chunked_trimmed`).
    """

    def splits(n_rows: int, n_folds: int, chunk_length: int, seed: int,
               groups: Sequence | None, key: str, trim_size: int, remainder: str) -> list[Split]:
        all_rows = np.arange(n_rows)
        result = []
        for pieces in folds(n_rows, n_folds, chunk_length, seed, groups, key, remainder):
            held_out = np.sort(np.concatenate(pieces))
            validated = (np.sort(np.concatenate([trimmed(p, trim_size) for p in pieces]))
                         if trim else held_out)
            if not len(validated):
                raise InputError(f"ridge.trim_size={trim_size} leaves a fold of {len(held_out)} "
                                 f"held-out rows ({key}={n_folds}) nothing to validate; lower "
                                 "ridge.trim_size, or use longer chunks or fewer folds")
            result.append((np.setdiff1d(all_rows, held_out), validated))
        return result

    return splits


def timeseries_splits(n_rows: int, n_folds: int, chunk_length: int, seed: int,
                      groups: Sequence | None, key: str, trim_size: int,
                      remainder: str) -> list[Split]:
    """Expanding window: cut n_folds + 1 blocks; fold k validates block k + 1 on all rows before it.

    Arguments as `cv_splits` passes them (trim_size and remainder unused); returns
    (train_rows, validation_rows) pairs.
    """
    block = n_rows // (n_folds + 1)
    if block < 1:
        raise InputError(f"{key}={n_folds} timeseries folds need at least {n_folds + 1} rows, got {n_rows}")
    starts = [n_rows - (n_folds - k) * block for k in range(n_folds)] + [n_rows]
    return [(np.arange(starts[k]), np.arange(starts[k], starts[k + 1])) for k in range(n_folds)]


# Each maps (n_rows, n_folds, chunk_length, seed, groups, key, trim_size, remainder) to
# (train_rows, validation_rows) pairs.
FOLDING_TYPES: Registry[Callable[..., list[Split]]] = Registry(
    "folding type", "ridge.folding_type", [
        ("chunked", partitioned(chunked_folds)),
        ("chunked_trimmed", partitioned(chunked_folds, trim=True)),
        ("chunked_contiguous", partitioned(chunked_contiguous_folds)),
        ("kfold", partitioned(kfold_folds)),
        ("kfold_trimmed", partitioned(kfold_folds, trim=True)),
        ("timeseries", timeseries_splits),
        ("group", partitioned(group_folds)),
    ])


def near_rows(validated: np.ndarray, labels: np.ndarray, gap: int) -> np.ndarray:
    """Mask of the rows within `gap` rows of a validated row of the same story (label)."""
    mask = np.zeros(len(labels), dtype=bool)
    mask[validated] = True
    near = mask.copy()
    for shift in range(1, gap + 1):
        same = labels[shift:] == labels[:-shift]
        near[shift:] |= mask[:-shift] & same
        near[:-shift] |= mask[shift:] & same
    return near


def with_gap(splits: list[Split], gap: int, groups: Sequence | None, n_rows: int,
             gap_key: str) -> list[Split]:
    """Splits whose training rows keep `gap` rows away from every validated row of their story."""
    if gap == 0:
        return splits
    labels = np.zeros(n_rows, dtype=int) if groups is None else np.unique(
        np.asarray(groups), return_inverse=True)[1]
    result = []
    for fold, (train, validated) in enumerate(splits):
        kept = train[~near_rows(validated, labels, gap)[train]]
        if not len(kept):
            raise InputError(f"{gap_key}={gap} leaves fold {fold + 1} of {len(splits)} no training rows "
                             f"(of {n_rows}); lower {gap_key}")
        result.append((kept, validated))
    return result


def cv_splits(n_rows: int, n_folds: int, folding_type: str, chunk_length: int, seed: int,
              groups: Sequence | None = None, key: str = "ridge.n_inner_folds", trim_size: int = 0,
              gap: int = 0, gap_key: str = "ridge.inner_fold_gap",
              remainder: str = "spread") -> list[Split]:
    """(train_rows, validation_rows) for every fold.

    Parameters
    ----------
    n_rows, n_folds, folding_type, chunk_length, seed
        The rows and the `ridge` fold settings.
    groups : sequence, optional
        (n_rows,) story label of each row: `group` folds deal whole stories, and gaps stay
        within a story.
    key : str
        The fold-count key named in errors.
    trim_size : int
        Rows trimmed from each end of every held-out piece by the `*_trimmed` folding types.
    gap : int
        Training rows within `gap` rows of a validated row of the same story are dropped.
    gap_key : str
        The gap's key named in errors.
    remainder : str
        `spread` or `last`: where rows and pieces that do not divide evenly go (module docstring).

    Returns
    -------
    list of (np.ndarray, np.ndarray)
        Sorted training and validation row indices of each fold.
    """
    if n_folds < 2:
        raise InputError(f"{key} must be >= 2, got {n_folds}")
    splits = FOLDING_TYPES.lookup(folding_type)(n_rows, n_folds, chunk_length, seed, groups, key,
                                                trim_size, remainder)
    return with_gap(splits, gap, groups, n_rows, gap_key)


def inner_splits(n_rows: int, groups: Sequence | None, ridge) -> list[Split]:
    """The alpha search's folds over `n_rows` training rows, from the `ridge` settings (any object
    with its attributes, e.g. RidgeSettings)."""
    return cv_splits(n_rows, ridge.n_inner_folds, ridge.folding_type, ridge.chunk_length, ridge.seed,
                     groups, "ridge.n_inner_folds", ridge.trim_size, ridge.inner_fold_gap,
                     "ridge.inner_fold_gap", ridge.fold_remainder)


def outer_splits(n_rows: int, groups: Sequence | None, ridge) -> list[Split]:
    """Nested CV's outer folds over all `n_rows` rows, from the `ridge` settings."""
    return cv_splits(n_rows, ridge.n_outer_folds, ridge.outer_folding_type, ridge.chunk_length, ridge.seed,
                     groups, "ridge.n_outer_folds", ridge.trim_size, ridge.fold_gap, "ridge.fold_gap",
                     ridge.fold_remainder)
