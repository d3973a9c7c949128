"""Responses delivered a batch of voxels at a time, prepared for fitting (TargetBatches sources).

A source is a function from a voxel slice to float64 arrays of those voxels' columns; stories stay
memory-mapped on disk and only the requested columns are read, trimmed and z-scored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..design_matrix.preprocess import prepare_responses, rows_of, standardize_with, zscore_groups
from ..design_matrix.trimming import StoryRows
from .voxelwise_ridge import TargetBatches

ColumnSource = Callable[[slice], np.ndarray]


def story_columns(responses: Mapping[str, np.ndarray], stories: Sequence[str],
                  rows: Mapping[str, StoryRows] | None) -> ColumnSource:
    """Stories' responses trimmed to their kept rows, z-scored per story, stacked in `stories` order.

    Parameters
    ----------
    responses : mapping of str to np.ndarray
        Per story, its (n_rows, n_voxels) responses (may be memory-mapped).
    stories : sequence of str
    rows : mapping of str to StoryRows, or None
        Per story, the rows the fit keeps (None: every row).

    Returns
    -------
    ColumnSource
        `source(voxels)` gives the (n_rows, n_batch) float64 columns of a slice of voxels, n_rows
        the kept rows of every story.
    """
    return lambda voxels: np.vstack([prepare_responses(responses[story], rows_of(rows, story).targets,
                                                       voxels)
                                     for story in stories])


def array_columns(data: np.ndarray) -> ColumnSource:
    """Columns of an in-memory (or memory-mapped) array, as float64.

    Parameters
    ----------
    data : np.ndarray
        (n_rows, n_voxels) responses, any real dtype.

    Returns
    -------
    ColumnSource
        `source(voxels)` gives data[:, voxels] as an (n_rows, n_batch) float64 array.
    """
    return lambda voxels: np.asarray(data[:, voxels], dtype=np.float64)


def paired(train: ColumnSource, test: ColumnSource) -> TargetBatches:
    """Training and test responses from two sources.

    Parameters
    ----------
    train, test : ColumnSource
        Give (n_train, n_batch) and (n_test, n_batch) arrays for a slice of voxels.

    Returns
    -------
    TargetBatches
        `targets(voxels)` gives (train(voxels), test(voxels)).
    """
    return lambda voxels: (train(voxels), test(voxels))


def row_split(source: ColumnSource, train_rows: np.ndarray, test_rows: np.ndarray) -> TargetBatches:
    """Training and test rows of one source.

    Parameters
    ----------
    source : ColumnSource
        Gives (n_rows, n_batch) arrays for a slice of voxels.
    train_rows, test_rows : np.ndarray
        (n_train,) and (n_test,) int indices into the source's rows.

    Returns
    -------
    TargetBatches
        `targets(voxels)` gives the (n_train, n_batch) and (n_test, n_batch) parts, new arrays
        (integer indexing copies), which later steps may change in place.
    """

    def batch(voxels: slice) -> tuple[np.ndarray, np.ndarray]:
        columns = source(voxels)
        return columns[train_rows], columns[test_rows]

    return batch


def standardized(targets: TargetBatches) -> TargetBatches:
    """Both parts z-scored with the training part's column statistics.

    Parameters
    ----------
    targets : TargetBatches

    Returns
    -------
    TargetBatches
        Same shapes as `targets` gives, float64.
    """
    return lambda voxels: standardize_with(*targets(voxels))


def zscored_by_group(targets: TargetBatches, train_groups: np.ndarray,
                     test_groups: np.ndarray) -> TargetBatches:
    """Each part z-scored story by story (`zscore_groups`), in place, so that the voxel batch's
    memory stays as `memory_budget.bytes_per_voxel` counts it: no statistic crosses the split.

    Parameters
    ----------
    targets : TargetBatches
    train_groups, test_groups : np.ndarray
        (n_train,) and (n_test,) story of each training and test row.

    Returns
    -------
    TargetBatches
        Same shapes as `targets` gives, float64.
    """

    def batch(voxels: slice) -> tuple[np.ndarray, np.ndarray]:
        train, test = (np.asarray(part, dtype=np.float64) for part in targets(voxels))
        return (zscore_groups(train, train_groups, out=train),
                zscore_groups(test, test_groups, out=test))

    return batch
