"""Fitting one encoding model: train/test (LeBel) or nested cross-validation over all stories."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .folds import cv_splits
from .preprocess import prepare_story, standardize_with
from .ridge import choose_alphas, cross_validated_scores, predict_per_voxel_alpha
from .settings import RidgeSettings
from .stats import column_correlation, combine_pvalues_fisher, correlation_pvalue, fdr_bh
from .trimming import check_alignment

log = logging.getLogger(__name__)


def fit_and_predict(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                    settings: RidgeSettings, groups: Sequence | None = None,
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per-voxel alphas by inner CV on the training rows, refit on all of them, predict x_test."""
    alphas = np.asarray(settings.alphas)
    splits = cv_splits(len(x_train), settings.n_inner_folds, settings.folding_type,
                       settings.chunk_length, settings.seed, groups, key="ridge.n_inner_folds")
    log.info("alpha search: %d training rows, %d features, %d voxels, %d alphas, %d folds",
             *x_train.shape, y_train.shape[1], len(alphas), len(splits))
    scores = cross_validated_scores(x_train, y_train, splits, alphas, settings.singcutoff,
                                    settings.normalpha, settings.use_corr)
    voxel_alphas = choose_alphas(scores, alphas, settings.single_alpha)
    predicted = predict_per_voxel_alpha(x_train, y_train, x_test, voxel_alphas,
                                        settings.singcutoff, settings.normalpha)
    return predicted, voxel_alphas


def normalized(x_train, y_train, x_test, y_test, settings: RidgeSettings):
    """Apply the optional training-set standardisation of features and targets."""
    if settings.normalize_features:
        x_train, x_test = standardize_with(x_train, x_test)
    if settings.normalize_targets:
        y_train, y_test = standardize_with(y_train, y_test)
    return x_train, y_train, x_test, y_test


def significance(r: np.ndarray, n_rows: int, alpha_fdr: float) -> tuple[np.ndarray, ...]:
    """p-values of r over n_rows, BH q-values, and q <= alpha_fdr."""
    p = correlation_pvalue(r, n_rows)
    q = fdr_bh(p)
    return p, q, q <= alpha_fdr


def fit_train_test(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                   y_test: np.ndarray, settings: RidgeSettings,
                   groups: Sequence | None = None) -> pd.DataFrame:
    """Fit on the training rows and score the test rows.

    Returns one row per voxel: voxel, r, p, q, significant, alpha.
    """
    x_train, y_train, x_test, y_test = normalized(x_train, y_train, x_test, y_test, settings)
    predicted, voxel_alphas = fit_and_predict(x_train, y_train, x_test, settings, groups)
    r = column_correlation(predicted, y_test)
    p, q, significant = significance(r, len(x_test), settings.alpha_fdr)
    return pd.DataFrame({"voxel": np.arange(len(r)), "r": r, "p": p, "q": q,
                         "significant": significant, "alpha": voxel_alphas})


def fit_nested_cv(x: np.ndarray, y: np.ndarray, groups: Sequence, settings: RidgeSettings
                  ) -> pd.DataFrame:
    """Outer folds over all rows, each fitted as in train/test mode, then combined per voxel.

    r and alpha are averaged over outer folds; p-values are combined by Fisher's method and
    BH-corrected; `n_significant_folds` counts the folds where the voxel passed FDR within the
    fold, and `majority_significant` is true when that count is above half the folds.
    """
    groups = np.asarray(groups)
    outer = cv_splits(len(x), settings.n_outer_folds, settings.folding_type, settings.chunk_length,
                      settings.seed, groups, key="ridge.n_outer_folds")
    r_folds, p_folds, significant_folds, alpha_folds = [], [], [], []
    for fold, (train, test) in enumerate(outer):
        log.info("outer fold %d/%d: %d training rows, %d test rows", fold + 1, len(outer),
                 len(train), len(test))
        x_train, y_train, x_test, y_test = normalized(x[train], y[train], x[test], y[test], settings)
        predicted, voxel_alphas = fit_and_predict(x_train, y_train, x_test, settings, groups[train])
        r = column_correlation(predicted, y_test)
        p, _, significant = significance(r, len(test), settings.alpha_fdr)
        r_folds.append(r)
        p_folds.append(p)
        significant_folds.append(significant)
        alpha_folds.append(voxel_alphas)
    p = combine_pvalues_fisher(np.array(p_folds))
    q = fdr_bh(p)
    n_significant_folds = np.sum(significant_folds, axis=0)
    return pd.DataFrame({
        "voxel": np.arange(y.shape[1]), "r": np.mean(r_folds, axis=0), "p": p, "q": q,
        "significant": q <= settings.alpha_fdr, "alpha": np.mean(alpha_folds, axis=0),
        "n_significant_folds": n_significant_folds,
        "majority_significant": n_significant_folds >= len(outer) // 2 + 1,
    })


def subset_summary(r_subset: np.ndarray, name: str) -> dict:
    """median/mean/min/max of a subset's r as `<stat>_<name>_score` (0.0 each when empty)."""
    functions = {"median": np.median, "mean": np.mean, "min": np.min, "max": np.max}
    return {f"{stat}_{name}_score": float(f(r_subset)) if r_subset.size else 0.0
            for stat, f in functions.items()}


def score_summary(voxels: pd.DataFrame) -> dict:
    """The tutorial's summary metrics over a voxel table (and the majority mask in nested CV)."""
    r = voxels["r"].to_numpy()
    significant = voxels["significant"].to_numpy()
    summary = {
        "median_score": float(np.median(r)),
        "mean_score": float(np.mean(r)),
        "std_score": float(np.std(r)),
        "min_score": float(np.min(r)),
        "max_score": float(np.max(r)),
        "n_voxels": int(r.size),
        "n_significant": int(significant.sum()),
        "percent_significant": float(100.0 * significant.mean()),
        **subset_summary(r[significant], "significant"),
        "median_alpha": float(np.median(voxels["alpha"])),
    }
    if "majority_significant" in voxels:
        majority = voxels["majority_significant"].to_numpy()
        summary.update({"n_majority_significant": int(majority.sum()),
                        "percent_majority_significant": float(100.0 * majority.mean()),
                        **subset_summary(r[majority], "majority_significant")})
    return summary


def stack_prepared(features: Mapping[str, np.ndarray], responses: Mapping[str, np.ndarray],
                   stories: Sequence[str], split: str, trimming: Mapping, subject: str):
    """Trim and z-score each story with `split`'s slices, stack them; also each row's story."""
    xs, ys, groups = [], [], []
    for story in stories:
        check_alignment(subject, story, split, len(features[story]), len(responses[story]), trimming)
        x, y = prepare_story(features[story], responses[story], split, trimming)
        xs.append(x)
        ys.append(y)
        groups.extend([story] * len(x))
    return np.vstack(xs), np.vstack(ys), np.array(groups)


def fit_stories(features: Mapping[str, np.ndarray], responses: Mapping[str, np.ndarray],
                splits: Mapping[str, str], trimming: Mapping, settings: RidgeSettings,
                subject: str = "?") -> tuple[pd.DataFrame, dict]:
    """Prepare the stories (in the order of `splits`) and fit in the configured mode.

    train_test: training and test stories with their own trimming slices. nested_cv: every
    story with the train_* slices, concatenated, folds over all rows.
    """
    if settings.mode == "nested_cv":
        x, y, groups = stack_prepared(features, responses, list(splits), "train", trimming, subject)
        voxels = fit_nested_cv(x, y, groups, settings)
        rows = {"n_rows": int(len(x))}
    else:
        train = [story for story, split in splits.items() if split == "train"]
        test = [story for story, split in splits.items() if split == "test"]
        x_train, y_train, groups = stack_prepared(features, responses, train, "train", trimming, subject)
        x_test, y_test, _ = stack_prepared(features, responses, test, "test", trimming, subject)
        voxels = fit_train_test(x_train, y_train, x_test, y_test, settings, groups)
        rows = {"n_train_rows": int(len(x_train)), "n_test_rows": int(len(x_test))}
        x = x_train
    return voxels, {**score_summary(voxels), **rows, "n_features": int(x.shape[1]),
                    "mode": settings.mode}
