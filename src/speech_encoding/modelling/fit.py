"""Fitting one encoding model: train/test (LeBel) or nested cross-validation over all stories."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict

import numpy as np
import pandas as pd

from ..design_matrix.preprocess import stack_features, standardize_with, zscore_groups
from ..design_matrix.trimming import StoryRows
from ..run.devices import resolve_device
from ..run.settings import TUTORIAL_SIGNIFICANCE, RidgeSettings, SignificanceSettings
from .folds import inner_splits, outer_splits
from .memory_budget import auto_voxel_batch, working_memory_bytes
from .modes import MODES
from .response_batches import (
    ColumnSource,
    array_columns,
    paired,
    row_split,
    standardized,
    story_columns,
    zscored_by_group,
)
from .scores import score_summary
from .significance import (
    PValues,
    combination_rule,
    combine_folds,
    draws_in_memory,
    held_out_units,
    pvalue_function,
)
from .significance import significance as fdr_significance
from .voxelwise_ridge import TargetBatches, VoxelScores, VoxelwiseRidge, fit_voxel_batches

log = logging.getLogger(__name__)


def fit_and_score(x_train: np.ndarray, x_test: np.ndarray, targets: TargetBatches, n_voxels: int,
                  settings: RidgeSettings, pvalues: PValues, n_null: int,
                  groups: Sequence | None = None, working_bytes: int | None = None,
                  weights_out: np.ndarray | None = None) -> VoxelScores:
    """Per-voxel alphas by inner CV on the training rows, refit on all of them; test r, p, alphas.

    Applies the optional training-set standardisation; responses arrive in voxel batches of
    `ridge.voxel_batch` (or as many as `working_bytes` holds when unset, with room for the
    `n_null` draws of the significance null).

    Parameters
    ----------
    x_train : np.ndarray
        (n_train, n_features) training design matrix (any float dtype; used as float64, then
        float32 products).
    x_test : np.ndarray
        (n_test, n_features) design matrix of the rows to predict.
    targets : TargetBatches
        `targets(voxels)` gives the (n_train, n_batch) training and (n_test, n_batch) test
        responses of a slice of voxels, as float arrays.
    n_voxels : int
    settings : RidgeSettings
    pvalues : PValues
        A voxel batch's p-values from its test predictions, responses and r
        (`significance.pvalue_function`).
    n_null : int
        Null draws per voxel that `pvalues` holds in memory (0 for a parametric test).
    groups : sequence, optional
        (n_train,) group (story) label of each training row, for `group` folding and fold gaps.
    working_bytes : int, optional
        Memory the voxel batches may use when `ridge.voxel_batch` is unset (None: a share of the
        free memory).
    weights_out : np.ndarray, optional
        (n_features, n_voxels) array (float32 in the pipeline) that receives the refit's weights.

    Returns
    -------
    VoxelScores
        Per voxel: r (0 for a constant voxel), p, the chosen alpha (before normalpha scaling), and
        whether its training or test responses are constant.
    """
    if settings.normalize_features:
        x_train, x_test = standardize_with(x_train, x_test)
    if settings.normalize_targets:
        targets = standardized(targets)
    splits = inner_splits(len(x_train), groups, settings)
    device = resolve_device(settings.device, "ridge.device")
    model = VoxelwiseRidge(x_train, x_test, splits, settings.alphas, settings.singcutoff,
                           settings.normalpha, settings.use_corr, device)
    voxel_batch = settings.voxel_batch or auto_voxel_batch(
        n_voxels, len(x_train) + len(x_test), x_train.shape[1], len(settings.alphas),
        max(len(held_out) for _, held_out in splits),
        working_memory_bytes(None) if working_bytes is None else working_bytes, n_null)
    log.info("alpha search: %d training rows, %d features, %d voxels in batches of %d, %d alphas, "
             "%d folds, device %s", len(x_train), x_train.shape[1], n_voxels, voxel_batch,
             len(settings.alphas), len(splits), device)
    return fit_voxel_batches(model, targets, n_voxels, voxel_batch, settings.single_alpha,
                             pvalues, weights_out)


def warn_constant(constant: np.ndarray) -> None:
    """One warning per fit with the count of constant voxels (e.g. outside the brain mask)."""
    if constant.any():
        log.warning("%d of %d voxels have constant responses over the training or test rows (for "
                    "example all zeros outside the brain mask): r = 0 and p = 1 mean nothing there, "
                    "so they are flagged `constant` in voxels.parquet and left out of the FDR "
                    "family and the summary's statistics", int(constant.sum()), len(constant))


def train_test_table(x_train: np.ndarray, x_test: np.ndarray, targets: TargetBatches,
                     n_voxels: int, settings: RidgeSettings, groups: Sequence | None = None,
                     significance: SignificanceSettings = TUTORIAL_SIGNIFICANCE,
                     test_groups: Sequence | None = None, **compute) -> pd.DataFrame:
    """Fit on the training rows, score the test rows: voxel, r, p, q, significant, alpha.

    Parameters
    ----------
    x_train, x_test, targets, n_voxels, settings, groups
        As in `fit_and_score`.
    significance : SignificanceSettings
        How p is computed (default: the tutorial's two-sided t-test).
    test_groups : sequence, optional
        (n_test,) story label of each test row; a permutation null shifts rows within a story
        (None: all one story).
    **compute
        `working_bytes` and `weights_out`, as in `fit_and_score`.

    Returns
    -------
    pd.DataFrame
        n_voxels rows: voxel (int), r, p, q (float64), significant (bool), alpha (float64),
        constant (bool: the voxel's training or test responses are constant; outside the FDR
        family and the summary's statistics).
    """
    test_groups = np.zeros(len(x_test)) if test_groups is None else test_groups
    units = held_out_units(np.arange(len(x_test)), test_groups)
    pvalues = pvalue_function(significance, units, significance.seed)
    scores = fit_and_score(x_train, x_test, targets, n_voxels, settings, pvalues,
                           draws_in_memory(significance), groups, **compute)
    warn_constant(scores.constant)
    q, significant = fdr_significance(scores.p, settings.alpha_fdr, ~scores.constant)
    return pd.DataFrame({"voxel": np.arange(n_voxels), "r": scores.r, "p": scores.p, "q": q,
                         "significant": significant, "alpha": scores.alphas,
                         "constant": scores.constant})


def fit_train_test(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                   y_test: np.ndarray, settings: RidgeSettings,
                   groups: Sequence | None = None, **compute) -> pd.DataFrame:
    """`train_test_table` on in-memory responses.

    Parameters
    ----------
    x_train : np.ndarray
        (n_train, n_features) training design matrix.
    y_train : np.ndarray
        (n_train, n_voxels) training responses (any real dtype; read as float64).
    x_test : np.ndarray
        (n_test, n_features) test design matrix.
    y_test : np.ndarray
        (n_test, n_voxels) test responses.
    settings : RidgeSettings
    groups : sequence, optional
        (n_train,) group (story) label of each training row, for `group` folding.
    **compute
        `working_bytes` and `weights_out` ((n_features, n_voxels)), as in `fit_and_score`.

    Returns
    -------
    pd.DataFrame
        As `train_test_table`: n_voxels rows of voxel, r, p, q, significant, alpha.
    """
    return train_test_table(x_train, x_test, paired(array_columns(y_train), array_columns(y_test)),
                            y_train.shape[1], settings, groups, **compute)


def nested_cv_table(x: np.ndarray, responses: ColumnSource, n_voxels: int, groups: Sequence,
                    settings: RidgeSettings, working_bytes: int | None = None,
                    weights_out: np.ndarray | None = None,
                    significance: SignificanceSettings = TUTORIAL_SIGNIFICANCE) -> pd.DataFrame:
    """Outer folds over all rows, each fitted as in train/test mode, then combined per voxel.

    With `settings.outer_zscore == "split"`, each story's training rows and its held-out rows
    are z-scored separately in every fold, so that no held-out row's value reaches training
    through a story's mean or std ("story": `x` and the responses are used as given, the
    tutorial's). r and alpha are averaged over outer folds; each fold's p comes from its own
    held-out rows (its null seeded by (significance.seed, fold)), and the folds' p-values are
    combined by `significance`'s rule and BH-corrected; `n_significant_folds` counts the folds
    where the voxel passed FDR within the fold, and `majority_significant` is
    true when that count is above half the folds.

    Parameters
    ----------
    x : np.ndarray
        (n_rows, n_features) design matrix of every row.
    responses : ColumnSource
        `responses(voxels)` gives the (n_rows, n_batch) float64 responses of a slice of voxels.
    n_voxels : int
    groups : sequence
        (n_rows,) group (story) label of each row.
    settings : RidgeSettings
    working_bytes : int, optional
        As in `fit_and_score`.
    weights_out : np.ndarray, optional
        (n_outer_folds, n_features, n_voxels) array that receives each outer fold's weights.
    significance : SignificanceSettings
        How each fold's p is computed (default: the tutorial's two-sided t-test).

    Returns
    -------
    pd.DataFrame
        n_voxels rows: voxel (int), r, p, q (float64), significant (bool), alpha (float64, the mean
        over folds), n_significant_folds (int), majority_significant (bool), constant (bool: the
        voxel's responses are constant over some fold's training or test rows).
    """
    groups = np.asarray(groups)
    outer = outer_splits(len(x), groups, settings)
    r_folds, p_folds, significant_folds, alpha_folds, constant_folds = [], [], [], [], []
    for fold, (train, test) in enumerate(outer):
        log.info("outer fold %d/%d: %d training rows, %d test rows", fold + 1, len(outer),
                 len(train), len(test))
        pvalues = pvalue_function(significance, held_out_units(test, groups[test]),
                                  [significance.seed, fold])
        x_train, x_test, targets = x[train], x[test], row_split(responses, train, test)
        if settings.outer_zscore == "split":
            x_train, x_test = zscore_groups(x_train, groups[train]), zscore_groups(x_test, groups[test])
            targets = zscored_by_group(targets, groups[train], groups[test])
        scores = fit_and_score(
            x_train, x_test, targets, n_voxels, settings, pvalues, draws_in_memory(significance),
            groups[train], working_bytes, None if weights_out is None else weights_out[fold])
        r_folds.append(scores.r)
        p_folds.append(scores.p)
        significant_folds.append(fdr_significance(scores.p, settings.alpha_fdr, ~scores.constant)[1])
        alpha_folds.append(scores.alphas)
        constant_folds.append(scores.constant)
    constant = np.any(constant_folds, axis=0)
    warn_constant(constant)
    combined = combine_folds(np.array(p_folds), np.array(significant_folds), settings.alpha_fdr,
                             combination_rule(significance), ~constant)
    return pd.DataFrame({"voxel": np.arange(n_voxels), "r": np.mean(r_folds, axis=0),
                         "p": combined["p"], "q": combined["q"],
                         "significant": combined["significant"],
                         "alpha": np.mean(alpha_folds, axis=0),
                         "n_significant_folds": combined["n_significant_folds"],
                         "majority_significant": combined["majority_significant"],
                         "constant": constant})


def fit_nested_cv_stories(features: Mapping[str, np.ndarray], responses: Mapping[str, np.ndarray],
                          splits: Mapping[str, str], rows: Mapping[str, StoryRows] | None,
                          settings: RidgeSettings, subject: str, working_bytes: int | None,
                          weights_out: Callable[[tuple[int, ...]], np.ndarray] | None,
                          significance: SignificanceSettings) -> tuple[pd.DataFrame, dict]:
    """Every story's kept rows, concatenated; outer folds over all rows.

    Parameters as `fit_stories`; returns the voxel table and the row counts and
    n_features that summary.json records.
    """
    n_voxels = next(iter(responses.values())).shape[1]
    stories = list(splits)
    x, groups = stack_features(features, responses, stories, rows, subject)
    weights = None if weights_out is None else weights_out(
        (settings.n_outer_folds, x.shape[1], n_voxels))
    voxels = nested_cv_table(x, story_columns(responses, stories, rows), n_voxels,
                             groups, settings, working_bytes, weights, significance)
    return voxels, {"n_rows": int(len(x)), "n_features": int(x.shape[1])}


def fit_train_test_stories(features: Mapping[str, np.ndarray],
                           responses: Mapping[str, np.ndarray], splits: Mapping[str, str],
                           rows: Mapping[str, StoryRows] | None, settings: RidgeSettings,
                           subject: str, working_bytes: int | None,
                           weights_out: Callable[[tuple[int, ...]], np.ndarray] | None,
                           significance: SignificanceSettings) -> tuple[pd.DataFrame, dict]:
    """Training and test stories, each with its kept rows; scored on the test stories' rows.

    Parameters as `fit_stories`; returns the voxel table and the row counts and
    n_features that summary.json records.
    """
    n_voxels = next(iter(responses.values())).shape[1]
    train = [story for story, split in splits.items() if split == "train"]
    test = [story for story, split in splits.items() if split == "test"]
    x, groups = stack_features(features, responses, train, rows, subject)
    x_test, test_groups = stack_features(features, responses, test, rows, subject, split="test")
    targets = paired(story_columns(responses, train, rows), story_columns(responses, test, rows))
    weights = None if weights_out is None else weights_out((x.shape[1], n_voxels))
    voxels = train_test_table(x, x_test, targets, n_voxels, settings, groups, significance,
                              test_groups, working_bytes=working_bytes, weights_out=weights)
    return voxels, {"n_train_rows": int(len(x)), "n_test_rows": int(len(x_test)),
                    "n_features": int(x.shape[1])}


def fit_stories(features: Mapping[str, np.ndarray], responses: Mapping[str, np.ndarray],
                splits: Mapping[str, str], rows: Mapping[str, StoryRows] | None,
                settings: RidgeSettings, subject: str = "?", working_bytes: int | None = None,
                weights_out: Callable[[tuple[int, ...]], np.ndarray] | None = None,
                significance: SignificanceSettings = TUTORIAL_SIGNIFICANCE
                ) -> tuple[pd.DataFrame, dict]:
    """Prepare the stories (in the order of `splits`) and fit them in `settings.mode`.

    Parameters
    ----------
    features : mapping of str to np.ndarray
        Per story, its (n_trs, n_features) delayed features.
    responses : mapping of str to np.ndarray
        Per story, its (n_rows, n_voxels) responses; may be memory-mapped: they are read a voxel
        batch at a time.
    splits : mapping of str to str
        Per story, 'train' or 'test' (ignored in nested_cv, where every story is used).
    rows : mapping of str to StoryRows, or None
        Per story, the feature and response rows the fit keeps (planned by `run.row_plan`;
        None keeps every row).
    settings, subject, working_bytes
        The ridge settings, the subject (for messages), and the memory the voxel batches may use.
    weights_out : callable, optional
        `weights_out(shape)` returns the float32 array that receives the weights:
        (n_features, n_voxels), or (n_outer_folds, n_features, n_voxels) in nested_cv.
    significance : SignificanceSettings
        How p is computed (default: the tutorial's two-sided t-test; the workflow passes the
        config's `significance` section).

    Returns
    -------
    voxels : pd.DataFrame
        One row per voxel: voxel, r, p, q, significant, alpha (and the nested_cv fold counts).
    summary : dict
        The summary metrics, row counts, n_features, mode and the significance settings
        (`significance_<key>`; summary.json).
    """
    mode = MODES.lookup(settings.mode)
    voxels, counts = mode.fit(features, responses, splits, rows, settings, subject,
                              working_bytes, weights_out, significance)
    recorded = {f"significance_{key}": value for key, value in asdict(significance).items()}
    recorded["significance_combine"] = combination_rule(significance)
    return voxels, {**score_summary(voxels), **counts, "mode": settings.mode, **recorded}
