"""Which voxels a model predicts significantly: p-values of held-out r, BH q-values, the call."""

from __future__ import annotations

import numpy as np

from .stats import combine_pvalues_fisher, correlation_pvalue, fdr_bh


def significance(r: np.ndarray, n_rows: int, alpha_fdr: float) -> tuple[np.ndarray, ...]:
    """p-values of held-out r, their BH q-values, and q <= alpha_fdr.

    Parameters
    ----------
    r : np.ndarray
        (n_voxels,) Pearson r of each voxel's prediction over `n_rows` held-out rows.
    n_rows : int
    alpha_fdr : float

    Returns
    -------
    p, q : np.ndarray
        (n_voxels,) float64 two-sided t-test p-values (n_rows - 2 dof) and BH q-values.
    significant : np.ndarray
        (n_voxels,) bool, q <= alpha_fdr.
    """
    p = correlation_pvalue(r, n_rows)
    q = fdr_bh(p)
    return p, q, q <= alpha_fdr


def combine_folds(p_folds: np.ndarray, significant_folds: np.ndarray,
                  alpha_fdr: float) -> dict[str, np.ndarray]:
    """Nested CV: one call per voxel from its outer folds' p-values and calls.

    Parameters
    ----------
    p_folds, significant_folds : np.ndarray
        (n_folds, n_voxels) p-values and within-fold FDR calls.
    alpha_fdr : float

    Returns
    -------
    dict of np.ndarray, each (n_voxels,)
        p (Fisher's method over folds), q (BH), significant (q <= alpha_fdr),
        n_significant_folds, and majority_significant (significant in more than half the folds).
    """
    p = combine_pvalues_fisher(p_folds)
    q = fdr_bh(p)
    n_significant_folds = np.sum(significant_folds, axis=0)
    return {"p": p, "q": q, "significant": q <= alpha_fdr,
            "n_significant_folds": n_significant_folds,
            "majority_significant": n_significant_folds >= len(p_folds) // 2 + 1}
