"""Fitting one encoding model (train/test mode): alphas by inner CV, refit, score held-out stories."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from .folds import validation_folds
from .preprocess import prepare_story
from .ridge import choose_alphas, cross_validated_scores, predict_per_voxel_alpha
from .settings import RidgeSettings
from .stats import column_correlation, correlation_pvalue, fdr_bh
from .trimming import check_alignment

log = logging.getLogger(__name__)


def fit_train_test(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                   y_test: np.ndarray, settings: RidgeSettings) -> pd.DataFrame:
    """Per-voxel alpha by inner CV on the training rows, refit, and score the test rows.

    Returns one row per voxel: voxel, r, p, q, significant, alpha.
    """
    alphas = np.asarray(settings.alphas)
    folds = validation_folds(x_train.shape[0], settings.n_inner_folds, settings.folding_type,
                             settings.chunk_length, settings.seed)
    log.info("alpha search: %d training rows, %d features, %d voxels, %d alphas, %d folds",
             *x_train.shape, y_train.shape[1], len(alphas), len(folds))
    scores = cross_validated_scores(x_train, y_train, folds, alphas, settings.singcutoff,
                                    settings.normalpha, settings.use_corr)
    voxel_alphas = choose_alphas(scores, alphas, settings.single_alpha)
    log.info("refit on all training rows; predicting %d test rows", x_test.shape[0])
    predicted = predict_per_voxel_alpha(x_train, y_train, x_test, voxel_alphas,
                                        settings.singcutoff, settings.normalpha)
    r = column_correlation(predicted, y_test)
    p = correlation_pvalue(r, x_test.shape[0])
    q = fdr_bh(p)
    return pd.DataFrame({"voxel": np.arange(len(r)), "r": r, "p": p, "q": q,
                         "significant": q <= settings.alpha_fdr, "alpha": voxel_alphas})


def score_summary(voxels: pd.DataFrame) -> dict:
    """The tutorial's summary metrics over a voxel table."""
    r = voxels["r"].to_numpy()
    significant = voxels["significant"].to_numpy()
    return {
        "median_score": float(np.median(r)),
        "mean_score": float(np.mean(r)),
        "std_score": float(np.std(r)),
        "min_score": float(np.min(r)),
        "max_score": float(np.max(r)),
        "n_voxels": int(r.size),
        "n_significant": int(significant.sum()),
        "percent_significant": float(100.0 * significant.mean()),
        **significant_score_summary(r[significant]),
        "median_alpha": float(np.median(voxels["alpha"])),
    }


def significant_score_summary(r_significant: np.ndarray) -> dict:
    """median/mean/min/max of the significant voxels' r (0.0 each when none is significant)."""
    functions = {"median": np.median, "mean": np.mean, "min": np.min, "max": np.max}
    return {f"{name}_significant_score": float(f(r_significant)) if r_significant.size else 0.0
            for name, f in functions.items()}


def fit_stories(features: dict[str, np.ndarray], responses: dict[str, np.ndarray],
                splits: dict[str, str], trimming: dict, settings: RidgeSettings,
                subject: str = "?") -> tuple[pd.DataFrame, dict]:
    """Prepare each story (trim, z-score), stack train and test stories in order, and fit."""
    prepared = {split: ([], []) for split in ("train", "test")}
    for story, split in splits.items():
        check_alignment(subject, story, split, len(features[story]), len(responses[story]), trimming)
        x, y = prepare_story(features[story], responses[story], split, trimming)
        prepared[split][0].append(x)
        prepared[split][1].append(y)
    (x_train, y_train), (x_test, y_test) = (
        (np.vstack(xs), np.vstack(ys)) for xs, ys in (prepared["train"], prepared["test"]))
    voxels = fit_train_test(x_train, y_train, x_test, y_test, settings)
    summary = {**score_summary(voxels), "n_train_rows": int(len(x_train)),
               "n_test_rows": int(len(x_test)), "n_features": int(x_train.shape[1])}
    return voxels, summary
