"""Which voxels a model predicts significantly: p-values of held-out r, BH q-values, the call.

Two methods (`significance.method`):
- `ttest`: the tutorial's t-test of Pearson r on n - 2 degrees of freedom, which assumes
  independent rows (invalid for autocorrelated BOLD: see README "Significance").
- `permutation`: a circular-shift null. Each draw shifts every test story's held-out responses
  circularly (within the story, by at least `block_length` rows from the true alignment) against
  the fixed predictions, which keeps the autocorrelation of both series, and recomputes r over all
  held-out rows. p = (1 + #{null r >= r}) / (1 + n_permutations), with |r| for `two-sided`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..registry import Registry
from .stats import combine_pvalues_fisher, correlation_pvalue, fdr_bh

# (predictions (n_rows, n_voxels), responses (n_rows, n_voxels), r (n_voxels,)) -> p (n_voxels,)
PValues = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def ttest_pvalues(r: np.ndarray, n_rows: int, alternative: str) -> np.ndarray:
    """The t-test p-value of Pearson r over `n_rows` rows.

    Parameters
    ----------
    r : np.ndarray
        (n_voxels,) held-out r.
    n_rows : int
    alternative : str
        `two-sided` (the tutorial's) or `greater` (half of it for r > 0, 1 - half for r <= 0).

    Returns
    -------
    np.ndarray
        (n_voxels,) float64 p-values.
    """
    two_sided = correlation_pvalue(r, n_rows)
    if alternative == "two-sided":
        return two_sided
    return np.where(np.asarray(r) > 0, two_sided / 2.0, 1.0 - two_sided / 2.0)


def story_units(groups: Sequence) -> list[np.ndarray]:
    """Row indices of each story (label) among the held-out rows, in order of first appearance."""
    labels = np.asarray(groups)
    _, first = np.unique(labels, return_index=True)
    return [np.flatnonzero(labels == labels[i]) for i in np.sort(first)]


def draw_shifts(unit_sizes: Sequence[int], n_permutations: int, block_length: int,
                seed: int | Sequence[int]) -> np.ndarray:
    """Circular shifts (n_permutations, n_units), each in [block_length, size - block_length].

    A unit too short for that range (size <= 2 * block_length) takes any shift in [1, size - 1]
    (none when size is 1); planning refuses a `block_length` that leaves a test story so.
    """
    rng = np.random.default_rng(seed)
    shifts = np.zeros((n_permutations, len(unit_sizes)), dtype=np.int64)
    for u, size in enumerate(unit_sizes):
        low, high = (block_length, size - block_length) if size > 2 * block_length else (1, size - 1)
        if high >= low:
            shifts[:, u] = rng.integers(low, high + 1, size=n_permutations)
    return shifts


def circular_cross_products(centred_p: np.ndarray, centred_a: np.ndarray) -> np.ndarray:
    """c[k, v] = sum_t p[t, v] a[(t + k) mod n, v] for every shift k, by FFT.

    Parameters
    ----------
    centred_p, centred_a : np.ndarray
        (n, n_voxels) one story's held-out predictions and responses.

    Returns
    -------
    np.ndarray
        (n, n_voxels) float64.
    """
    n = len(centred_p)
    spectrum = np.conj(np.fft.rfft(centred_p, axis=0)) * np.fft.rfft(centred_a, axis=0)
    return np.fft.irfft(spectrum, n=n, axis=0)


def shift_null_pvalues(predictions: np.ndarray, actual: np.ndarray, r: np.ndarray,
                       units: Sequence[np.ndarray], shifts: np.ndarray,
                       alternative: str) -> np.ndarray:
    """Circular-shift permutation p-values, vectorised over voxels.

    Draw b rolls each story's held-out responses by `shifts[b, story]` (as `np.roll` of that
    story's rows) against the fixed predictions. A roll within a story keeps each column's mean and
    norm, so the null r is a sum over stories of circular cross-products (every shift of a story at
    once by FFT) over the observed r's norm.

    Parameters
    ----------
    predictions, actual : np.ndarray
        (n_rows, n_voxels) held-out predictions (any per-column scale) and responses.
    r : np.ndarray
        (n_voxels,) observed r.
    units : sequence of np.ndarray
        Row indices of each story among the n_rows (they partition the rows).
    shifts : np.ndarray
        (n_permutations, n_units) from `draw_shifts`.
    alternative : str
        `greater` or `two-sided`.

    Returns
    -------
    np.ndarray
        (n_voxels,) (1 + #{null >= observed}) / (1 + n_permutations), on |r| for `two-sided`;
        1 where a column is constant.
    """
    centred_p = predictions - predictions.mean(axis=0)
    centred_a = actual - actual.mean(axis=0)
    norm = np.sqrt((centred_p ** 2).sum(axis=0) * (centred_a ** 2).sum(axis=0))
    null = np.zeros((len(shifts), len(r)))
    for unit, unit_shifts in zip(units, shifts.T, strict=True):
        products = circular_cross_products(centred_p[unit], centred_a[unit])
        null += products[(-unit_shifts) % len(unit)]
    null *= np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
    observed = np.abs(r) if alternative == "two-sided" else np.asarray(r)
    if alternative == "two-sided":
        null = np.abs(null)
    # the null and r are the same ratio up to rounding: a null equal to r counts, within a margin
    exceed = np.sum(null >= observed - 1e-12, axis=0)
    p = (1.0 + exceed) / (1.0 + len(shifts))
    return np.where(norm > 0, p, 1.0)


def ttest_function(settings, test_groups: Sequence, seed) -> PValues:
    """p from r and the number of held-out rows alone."""
    n_rows = len(test_groups)
    return lambda predictions, actual, r: ttest_pvalues(r, n_rows, settings.alternative)


def permutation_function(settings, test_groups: Sequence, seed) -> PValues:
    """Circular shifts within each story of the held-out rows, drawn once from `seed`."""
    units = story_units(test_groups)
    shifts = draw_shifts([len(u) for u in units], settings.n_permutations, settings.block_length,
                         seed)
    return lambda predictions, actual, r: shift_null_pvalues(predictions, actual, r, units, shifts,
                                                             settings.alternative)


# Each maps (significance settings, held-out rows' story labels, seed) to a PValues function.
METHODS: Registry[Callable[..., PValues]] = Registry("significance method", "significance.method", [
    ("permutation", permutation_function),
    ("ttest", ttest_function),
])
ALTERNATIVES = ("greater", "two-sided")


def pvalue_function(settings, test_groups: Sequence, seed: int | Sequence[int]) -> PValues:
    """The p-value function of held-out rows whose story labels are `test_groups`.

    Parameters
    ----------
    settings
        The significance settings (method, alternative, n_permutations, block_length).
    test_groups : sequence
        (n_rows,) story label of each held-out row; shifts stay within a story.
    seed
        Seed of the shifts (drawn once, so every voxel batch gets the same draws).

    Returns
    -------
    PValues
        (predictions, responses, r) of a voxel batch -> its (n_voxels,) p-values.
    """
    return METHODS.lookup(settings.method)(settings, test_groups, seed)


def significance(p: np.ndarray, alpha_fdr: float) -> tuple[np.ndarray, np.ndarray]:
    """BH q-values of `p` and the call q <= alpha_fdr.

    Parameters
    ----------
    p : np.ndarray
        (n_voxels,) p-values.
    alpha_fdr : float

    Returns
    -------
    q : np.ndarray
        (n_voxels,) float64 BH q-values.
    significant : np.ndarray
        (n_voxels,) bool.
    """
    q = fdr_bh(p)
    return q, q <= alpha_fdr


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
    q, significant = significance(p, alpha_fdr)
    n_significant_folds = np.sum(significant_folds, axis=0)
    return {"p": p, "q": q, "significant": significant,
            "n_significant_folds": n_significant_folds,
            "majority_significant": n_significant_folds >= len(p_folds) // 2 + 1}
