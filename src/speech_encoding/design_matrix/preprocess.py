"""Per-story preparation of a design matrix and responses: trim, z-score, NaN to zero."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .trimming import StoryRows, check_alignment


def standardize_with(train: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Z-score both with the column mean and std (ddof 0) of `train`; constant columns only demeaned.

    Parameters
    ----------
    train : np.ndarray
        (n_train, n_columns) array whose column statistics are used.
    other : np.ndarray
        (n_other, n_columns) array standardised with them.

    Returns
    -------
    train, other : np.ndarray
        Same shapes as the inputs, float64.
    """
    train = np.asarray(train, dtype=np.float64)
    mean = train.mean(axis=0)
    centred = train - mean
    std = centred.std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    return centred / scale, (np.asarray(other, dtype=np.float64) - mean) / scale


def zscore_columns(data: np.ndarray) -> np.ndarray:
    """Z-score each column (ddof 0); a constant column is only demeaned.

    Parameters
    ----------
    data : np.ndarray
        (n_rows, n_columns) array.

    Returns
    -------
    np.ndarray
        (n_rows, n_columns) float64.
    """
    return standardize_with(data, data)[0]


def zscore_groups(data: np.ndarray, groups: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Z-score the rows of each group (story) separately, as `zscore_columns` does.

    Parameters
    ----------
    data : np.ndarray
        (n_rows, n_columns) array.
    groups : np.ndarray
        (n_rows,) group label of each row.
    out : np.ndarray, optional
        (n_rows, n_columns) float64 array that receives the result (may be `data` itself).

    Returns
    -------
    np.ndarray
        (n_rows, n_columns) float64: `out`, or a new array.
    """
    groups = np.asarray(groups)
    out = np.empty(data.shape, dtype=np.float64) if out is None else out
    for group in np.unique(groups):
        rows = groups == group
        out[rows] = zscore_columns(data[rows])
    return out


def prepare_features(features: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
    """Keep a story's feature `rows`, z-score the columns, zero NaN/inf.

    Parameters
    ----------
    features : np.ndarray
        (n_trs, n_features) delayed features of one story.
    rows : slice
        The feature rows the fit keeps (`StoryRows.features`).

    Returns
    -------
    np.ndarray
        (n_kept, n_features) float64.
    """
    x = np.asarray(features, dtype=np.float64)[rows]
    return np.nan_to_num(zscore_columns(x), nan=0.0, posinf=0.0, neginf=0.0)


def prepare_responses(responses: np.ndarray, rows: slice = slice(None),
                      voxels: slice = slice(None)) -> np.ndarray:
    """Keep a story's response `rows` and z-score the `voxels` columns (float64).

    Parameters
    ----------
    responses : np.ndarray
        (n_rows, n_voxels) responses of one story (may be memory-mapped: only the rows and columns
        needed are read).
    rows : slice
        The response rows the fit keeps (`StoryRows.targets`).
    voxels : slice
        The columns to prepare.

    Returns
    -------
    np.ndarray
        (n_kept, n_selected) float64; NaN is not replaced.
    """
    return zscore_columns(np.asarray(responses[rows, voxels], dtype=np.float64))


def rows_of(rows: Mapping[str, StoryRows] | None, story: str) -> StoryRows:
    """The rows a fit keeps of `story`: every row when `rows` is None."""
    return StoryRows() if rows is None else rows[story]


def stack_features(features: Mapping[str, np.ndarray], responses: Mapping[str, np.ndarray],
                   stories: Sequence[str], rows: Mapping[str, StoryRows] | None, subject: str,
                   split: str = "train"):
    """Check each story's alignment, trim and z-score its features, stack; also each row's story.

    Parameters
    ----------
    features : mapping of str to np.ndarray
        Per story, its (n_trs, n_features) delayed features.
    responses : mapping of str to np.ndarray
        Per story, its (n_rows, n_voxels) responses (only their row counts are read).
    stories : sequence of str
        The stories to stack, in order.
    rows : mapping of str to StoryRows, or None
        Per story, the rows the fit keeps (None: every row).
    subject, split : str
        For messages.

    Returns
    -------
    x : np.ndarray
        (n_rows, n_features) float64: every story's prepared features, stacked in `stories` order.
    groups : np.ndarray
        (n_rows,) str: the story of each row.
    """
    xs, groups = [], []
    for story in stories:
        kept = rows_of(rows, story)
        check_alignment(subject, story, split, len(features[story]), len(responses[story]), kept)
        xs.append(prepare_features(features[story], kept.features))
        groups.extend([story] * len(xs[-1]))
    return np.vstack(xs), np.array(groups)
