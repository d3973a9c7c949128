"""Ridge regression through the SVD, with per-voxel alphas chosen by cross-validation.

Conventions (LeBel/Huth ridge): singular values <= `singcutoff` are dropped; with `normalpha`
the alphas are multiplied by the largest singular value of the training matrix; the shrinkage of
singular value s is s / (s**2 + alpha**2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .stats import column_correlation


@dataclass(frozen=True)
class RidgeSVD:
    """Truncated SVD of a training matrix: x = u @ diag(s) @ vt."""

    u: np.ndarray
    s: np.ndarray
    vt: np.ndarray


def decompose(x: np.ndarray, singcutoff: float) -> RidgeSVD:
    """Thin SVD of `x`, keeping singular values above `singcutoff`."""
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    keep = s > singcutoff
    return RidgeSVD(u[:, keep], s[keep], vt[keep])


def effective_alphas(alphas: np.ndarray, svd: RidgeSVD, normalpha: bool) -> np.ndarray:
    """Alphas as applied: scaled by the largest singular value when `normalpha`."""
    scale = svd.s[0] if (normalpha and svd.s.size) else 1.0
    return np.asarray(alphas, dtype=np.float64) * scale


def shrinkage(s: np.ndarray, alpha: float) -> np.ndarray:
    """Per-singular-value factor s / (s^2 + alpha^2)."""
    return s / (s * s + alpha * alpha)


def signed_sqrt_r2(predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """sign(R^2) * sqrt(|R^2|) per column, R^2 = 1 - SS_res / SS_tot (0 for a constant column)."""
    ss_res = ((actual - predicted) ** 2).sum(axis=0)
    ss_tot = ((actual - actual.mean(axis=0)) ** 2).sum(axis=0)
    r2 = np.divide(ss_tot - ss_res, ss_tot, out=np.zeros_like(ss_tot), where=ss_tot > 0)
    return np.sign(r2) * np.sqrt(np.abs(r2))


def score_columns(predicted: np.ndarray, actual: np.ndarray, use_corr: bool) -> np.ndarray:
    """Pearson r per column, or signed sqrt(R^2) when not `use_corr`."""
    return column_correlation(predicted, actual) if use_corr else signed_sqrt_r2(predicted, actual)


def alpha_scores(x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
                 alphas: np.ndarray, singcutoff: float, normalpha: bool,
                 use_corr: bool) -> np.ndarray:
    """Validation score of every alpha for every voxel, shape (n_alphas, n_voxels)."""
    svd = decompose(x_train, singcutoff)
    projected_y = svd.u.T @ y_train
    projected_x = x_val @ svd.vt.T
    scores = np.empty((len(alphas), y_train.shape[1]))
    for i, alpha in enumerate(effective_alphas(alphas, svd, normalpha)):
        predicted = projected_x @ (shrinkage(svd.s, alpha)[:, None] * projected_y)
        scores[i] = score_columns(predicted, y_val, use_corr)
    return scores


def cross_validated_scores(x: np.ndarray, y: np.ndarray, splits: Sequence[tuple[np.ndarray, np.ndarray]],
                           alphas: np.ndarray, singcutoff: float, normalpha: bool,
                           use_corr: bool) -> np.ndarray:
    """Alpha scores averaged over (train_rows, validation_rows) splits, (n_alphas, n_voxels)."""
    total = np.zeros((len(alphas), y.shape[1]))
    for train, held_out in splits:
        total += alpha_scores(x[train], y[train], x[held_out], y[held_out], alphas,
                              singcutoff, normalpha, use_corr)
    return total / len(splits)


def choose_alphas(scores: np.ndarray, alphas: np.ndarray, single_alpha: bool) -> np.ndarray:
    """Best alpha per voxel (or one best-on-average alpha for all); ties go to the larger alpha."""
    alphas = np.asarray(alphas, dtype=np.float64)
    descending = np.argsort(-alphas, kind="stable")
    if single_alpha:
        best = descending[np.argmax(scores.mean(axis=1)[descending])]
        return np.full(scores.shape[1], alphas[best])
    return alphas[descending[np.argmax(scores[descending], axis=0)]]


def predict_per_voxel_alpha(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                            voxel_alphas: np.ndarray, singcutoff: float,
                            normalpha: bool) -> np.ndarray:
    """Refit on all training rows with each voxel's alpha and predict `x_test`."""
    svd = decompose(x_train, singcutoff)
    projected_x = x_test @ svd.vt.T
    predicted = np.empty((x_test.shape[0], y_train.shape[1]))
    for alpha in np.unique(voxel_alphas):
        voxels = voxel_alphas == alpha
        applied = effective_alphas(np.array([alpha]), svd, normalpha)[0]
        coefficients = shrinkage(svd.s, applied)[:, None] * (svd.u.T @ y_train[:, voxels])
        predicted[:, voxels] = projected_x @ coefficients
    return predicted
