"""Column-wise Pearson correlation, its exact two-sided p-value, and Benjamini-Hochberg FDR."""

from __future__ import annotations

import numpy as np
from scipy import special, stats


def column_correlation(predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Pearson r between matching columns; 0 where either column is constant."""
    p = predicted - predicted.mean(axis=0)
    a = actual - actual.mean(axis=0)
    norm = np.sqrt((p * p).sum(axis=0) * (a * a).sum(axis=0))
    r = np.divide((p * a).sum(axis=0), norm, out=np.zeros(p.shape[1]), where=norm > 0)
    return np.clip(r, -1.0, 1.0)


def correlation_pvalue(r: np.ndarray, n: int) -> np.ndarray:
    """Exact two-sided p-value of Pearson's r over n samples (the t-test on n - 2 dof)."""
    if n < 3:
        return np.ones_like(np.asarray(r, dtype=np.float64))
    r = np.clip(np.asarray(r, dtype=np.float64), -1.0, 1.0)
    return special.betainc((n - 2) / 2.0, 0.5, 1.0 - r * r)


def fdr_bh(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values), capped at 1."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    q_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def combine_pvalues_fisher(pvalues: np.ndarray) -> np.ndarray:
    """Fisher's method over axis 0 (folds): chi2 survival of -2 sum(log p) with 2k dof."""
    p = np.clip(np.asarray(pvalues, dtype=np.float64), np.finfo(np.float64).tiny, 1.0)
    statistic = -2.0 * np.log(p).sum(axis=0)
    return stats.chi2.sf(statistic, 2 * p.shape[0])
