"""Column-wise Pearson correlation, its exact two-sided p-value, and Benjamini-Hochberg FDR."""

from __future__ import annotations

import numpy as np
from scipy import special


def centred_columns(predicted: np.ndarray, actual: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-centred `predicted` and `actual`, and the product of their column norms (the
    denominator of Pearson r)."""
    p = predicted - predicted.mean(axis=0)
    a = actual - actual.mean(axis=0)
    return p, a, np.sqrt((p * p).sum(axis=0) * (a * a).sum(axis=0))


def column_correlation(predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Pearson r between matching columns; 0 where either column is constant.

    Parameters
    ----------
    predicted : np.ndarray
        (n_rows, n_columns) float array.
    actual : np.ndarray
        (n_rows, n_columns) float array.

    Returns
    -------
    np.ndarray
        (n_columns,) float64, clipped to [-1, 1].
    """
    p, a, norm = centred_columns(predicted, actual)
    r = np.divide((p * a).sum(axis=0), norm, out=np.zeros(p.shape[1]), where=norm > 0)
    return np.clip(r, -1.0, 1.0)


def correlation_pvalue(r: np.ndarray, n: int) -> np.ndarray:
    """Exact two-sided p-value of Pearson's r over n samples (the t-test on n - 2 dof).

    Parameters
    ----------
    r : np.ndarray
        Correlations, any shape.
    n : int
        Number of samples each r was computed over; below 3, every p-value is 1.

    Returns
    -------
    np.ndarray
        Same shape as `r`, float64.
    """
    if n < 3:
        return np.ones_like(np.asarray(r, dtype=np.float64))
    r = np.clip(np.asarray(r, dtype=np.float64), -1.0, 1.0)
    return special.betainc((n - 2) / 2.0, 0.5, 1.0 - r * r)


def fdr_bh(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (adjusted p-values), capped at 1.

    Parameters
    ----------
    pvalues : np.ndarray
        (m,) p-values.

    Returns
    -------
    np.ndarray
        (m,) float64 q-values, in the order of `pvalues`.
    """
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
    """Fisher's method over axis 0 (folds): chi2 survival of -2 sum(log p) with 2k dof.

    Parameters
    ----------
    pvalues : np.ndarray
        (k, ...) p-values of k folds (e.g. (n_folds, n_voxels)); zeros count as the smallest
        positive float64.

    Returns
    -------
    np.ndarray
        (...) float64 combined p-values, e.g. (n_voxels,).
    """
    p = np.clip(np.asarray(pvalues, dtype=np.float64), np.finfo(np.float64).tiny, 1.0)
    statistic = -2.0 * np.log(p).sum(axis=0)
    return special.chdtrc(2 * p.shape[0], statistic)  # the chi-square survival function


def combine_pvalues_cauchy(pvalues: np.ndarray) -> np.ndarray:
    """The Cauchy combination over axis 0 (folds), valid under dependence between the folds.

    T = mean_k cot(pi p_k) (= tan((0.5 - p_k) pi)); p = 1/2 - arctan(T) / pi (Liu & Xie 2020,
    J. Am. Stat. Assoc. 115:393). Its tail does not depend on the correlation between the folds'
    statistics, which outer folds of nested CV share through their overlapping training rows.

    Parameters
    ----------
    pvalues : np.ndarray
        (k, ...) p-values of k folds; zeros count as the smallest positive float64.

    Returns
    -------
    np.ndarray
        (...) float64 combined p-values, e.g. (n_voxels,).
    """
    p = np.clip(np.asarray(pvalues, dtype=np.float64), np.finfo(np.float64).tiny, 1.0)
    statistic = np.mean(1.0 / np.tan(np.pi * p), axis=0)
    # arctan(1 / T) / pi keeps its precision where T is large (tiny combined p)
    with np.errstate(divide="ignore"):
        return np.where(statistic > 0, np.arctan(1.0 / statistic) / np.pi,
                        0.5 - np.arctan(statistic) / np.pi)
