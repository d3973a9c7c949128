"""Cross-validation folds over the rows of a (time-series) training set."""

from __future__ import annotations

import numpy as np

from .errors import InputError

FOLDING_TYPES = ("chunked", "chunked_contiguous", "kfold")


def row_chunks(n_rows: int, chunk_length: int) -> list[np.ndarray]:
    """Contiguous chunks of `chunk_length` rows; trailing rows join the last chunk."""
    n_chunks = max(n_rows // chunk_length, 1)
    starts = [i * chunk_length for i in range(n_chunks)] + [n_rows]
    return [np.arange(starts[i], starts[i + 1]) for i in range(n_chunks)]


def validation_folds(n_rows: int, n_folds: int, folding_type: str, chunk_length: int,
                     seed: int) -> list[np.ndarray]:
    """Row indices held out in each fold (sorted); every row is held out exactly once.

    Chunked types deal `len(chunks) // n_folds` chunks (in shuffled or original order) to each
    fold, the last fold also taking the remainder.
    """
    if n_folds < 2:
        raise InputError(f"ridge.n_inner_folds must be >= 2, got {n_folds}")
    if folding_type == "kfold":
        if n_rows < n_folds:
            raise InputError(f"ridge.n_inner_folds={n_folds} folds need at least {n_folds} training "
                             f"rows, got {n_rows}")
        return np.array_split(np.arange(n_rows), n_folds)
    if folding_type not in FOLDING_TYPES:
        raise InputError(f"ridge.folding_type: unknown {folding_type!r} "
                         f"(known: {', '.join(FOLDING_TYPES)})")
    chunks = row_chunks(n_rows, chunk_length)
    if len(chunks) < n_folds:
        raise InputError(
            f"ridge.n_inner_folds={n_folds} needs at least {n_folds} chunks of ridge.chunk_length="
            f"{chunk_length} rows, but the training set has {n_rows} rows ({len(chunks)} chunk(s)); "
            "lower chunk_length or n_inner_folds")
    order = np.arange(len(chunks))
    if folding_type == "chunked":
        order = np.random.default_rng(seed).permutation(len(chunks))
    per_fold = len(chunks) // n_folds
    bounds = [fold * per_fold for fold in range(n_folds)] + [len(chunks)]
    return [np.sort(np.concatenate([chunks[c] for c in order[bounds[f]:bounds[f + 1]]]))
            for f in range(n_folds)]
