"""Which voxels a model predicts significantly: p-values of held-out r, BH q-values, the call.

Two methods (`significance.method`):
- `ttest`: the tutorial's t-test of Pearson r on n - 2 degrees of freedom, which assumes
  independent rows (invalid for autocorrelated BOLD: see README "Significance").
- `permutation`: each draw rearranges the held-out responses against the fixed predictions
  within units (runs of consecutive held-out rows of one story), keeping the autocorrelation of
  both series, and recomputes r over all held-out rows; `significance.null` says how: `phase`
  gives each unit's Fourier coefficients uniform random phases (keeping its whole power spectrum,
  so its autocorrelation at every lag), `shift` rolls each unit circularly by a uniform random
  shift, `block` permutes its whole blocks of `block_length` rows.
  p = (1 + #{null r >= r}) / (1 + n_permutations), with |r| for `two-sided`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..registry import Registry
from .stats import centred_columns, combine_pvalues_cauchy, combine_pvalues_fisher, correlation_pvalue, fdr_bh

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


def held_out_units(rows: np.ndarray, groups: Sequence) -> list[np.ndarray]:
    """Positions, among the held-out rows, of each run of consecutive rows of one story.

    Parameters
    ----------
    rows : np.ndarray
        (n,) sorted row indices of the held-out rows (in the fit's row numbering).
    groups : sequence
        (n,) story label of each held-out row.

    Returns
    -------
    list of np.ndarray
        Int arrays of positions 0..n-1 that partition them: a unit ends where the story changes
        or the next held-out row is not the next row (a fold's chunks are separate units).
    """
    labels = np.asarray(groups)
    rows = np.asarray(rows)
    breaks = np.flatnonzero((np.diff(rows) != 1) | (labels[1:] != labels[:-1])) + 1
    return np.split(np.arange(len(rows)), breaks)


def draw_shifts(unit_sizes: Sequence[int], n_permutations: int,
                seed: int | Sequence[int]) -> np.ndarray:
    """Circular shifts (n_permutations, n_units), each uniform over all of its unit's shifts.

    Every shift of a unit, 0 included, is equally likely: the draws are uniform over the group of
    circular shifts, which is what makes (1 + #{null >= r}) / (1 + n_permutations) a valid p when
    the noise is stationary. (Leaving out shifts near the alignment makes the null's draws
    resemble each other more than the observed r, and the test anti-conservative.)
    """
    rng = np.random.default_rng(seed)
    return np.stack([rng.integers(0, size, size=n_permutations) for size in unit_sizes], axis=1)


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
    return np.fft.irfft(cross_spectrum(centred_p, centred_a), n=len(centred_p), axis=0)


def cross_spectrum(centred_p: np.ndarray, centred_a: np.ndarray) -> np.ndarray:
    """conj(rfft(p)) * rfft(a) along rows: (n // 2 + 1, n_voxels) complex128."""
    return np.conj(np.fft.rfft(centred_p, axis=0)) * np.fft.rfft(centred_a, axis=0)


def exceedances(null_products: np.ndarray, norm: np.ndarray, r: np.ndarray,
                alternative: str) -> np.ndarray:
    """Per voxel, how many draws' null r reach r (on |r| for `two-sided`).

    A rearrangement of rows within units keeps each column's mean and norm, so a draw's null r is
    its cross-product over the observed r's denominator `norm`.
    """
    null = null_products * np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
    observed = np.asarray(r)
    if alternative == "two-sided":
        null, observed = np.abs(null), np.abs(observed)
    # the null and r are the same ratio up to rounding: a null equal to r counts, within a margin
    return np.sum(null >= observed - 1e-12, axis=0)


def exceedance_pvalues(null_products: np.ndarray, norm: np.ndarray, r: np.ndarray,
                       alternative: str) -> np.ndarray:
    """(1 + #{null r >= r}) / (1 + n_draws) per voxel, on |r| for `two-sided`; 1 where constant."""
    return counted_pvalues(exceedances(null_products, norm, r, alternative), len(null_products), norm)


def counted_pvalues(exceed: np.ndarray, n_draws: int, norm: np.ndarray) -> np.ndarray:
    """(1 + exceed) / (1 + n_draws), and 1 for constant columns (norm 0)."""
    return np.where(norm > 0, (1.0 + exceed) / (1.0 + n_draws), 1.0)


def shift_null_pvalues(predictions: np.ndarray, actual: np.ndarray, r: np.ndarray,
                       units: Sequence[np.ndarray], shifts: np.ndarray,
                       alternative: str) -> np.ndarray:
    """Circular-shift permutation p-values, vectorised over voxels.

    Draw b rolls each unit's held-out responses by `shifts[b, unit]` (as `np.roll` of that
    unit's rows) against the fixed predictions; every shift of a unit is computed at once by FFT.

    Parameters
    ----------
    predictions, actual : np.ndarray
        (n_rows, n_voxels) held-out predictions (any per-column scale) and responses.
    r : np.ndarray
        (n_voxels,) observed r.
    units : sequence of np.ndarray
        Positions of each unit among the n_rows (they partition the rows).
    shifts : np.ndarray
        (n_permutations, n_units) from `draw_shifts`.
    alternative : str
        `greater` or `two-sided`.

    Returns
    -------
    np.ndarray
        (n_voxels,) p-values, as `exceedance_pvalues`.
    """
    centred_p, centred_a, norm = centred_columns(predictions, actual)
    null = np.zeros((len(shifts), len(r)))
    for unit, unit_shifts in zip(units, shifts.T, strict=True):
        products = circular_cross_products(centred_p[unit], centred_a[unit])
        null += products[(-unit_shifts) % len(unit)]
    return exceedance_pvalues(null, norm, r, alternative)


# Draws of the phase null computed at a time: its memory per voxel does not grow with n_permutations.
PHASE_DRAW_CHUNK = 500


def draw_phase_rotations(unit_sizes: Sequence[int], n_permutations: int,
                         seed: int | Sequence[int]) -> list[np.ndarray]:
    """Per unit of n rows, (n_permutations, n // 2 + 1) unit complex numbers that rotate its rfft
    coefficients: a uniform phase at every frequency, 1 at frequency 0 (the unit's mean stays) and,
    for even n, a random sign at the Nyquist frequency (whose coefficient must stay real).

    The rotations form a group that contains every circular shift (a shift by k rotates frequency
    f by 2 pi f k / n), and under a null of independent uniform phases, which a stationary
    Gaussian series has, the observed series is one draw among them: the p is valid as for shifts,
    but with no floor at 1 / n.
    """
    rng = np.random.default_rng(seed)
    rotations = []
    for size in unit_sizes:
        rotation = np.exp(2j * np.pi * rng.random((n_permutations, size // 2 + 1)))
        rotation[:, 0] = 1.0
        if size % 2 == 0 and size > 1:
            rotation[:, -1] = rng.choice([-1.0, 1.0], size=n_permutations)
        rotations.append(rotation)
    return rotations


def spectral_cross_products(centred_p: np.ndarray, centred_a: np.ndarray) -> np.ndarray:
    """w[f] conj(P[f, v]) A[f, v] / n, so that sum_f Re(rotation[f] * result[f, v]) is
    sum_t p[t, v] a_rotated[t, v] (Parseval over the one-sided spectrum: frequencies that stand
    for a conjugate pair count twice).

    Parameters
    ----------
    centred_p, centred_a : np.ndarray
        (n, n_voxels) one unit's held-out predictions and responses.

    Returns
    -------
    np.ndarray
        (n // 2 + 1, n_voxels) complex128.
    """
    n = len(centred_p)
    weights = np.full(n // 2 + 1, 2.0 / n)
    weights[0] = 1.0 / n
    if n % 2 == 0:
        weights[-1] = 1.0 / n
    return weights[:, None] * cross_spectrum(centred_p, centred_a)


def phase_null_pvalues(predictions: np.ndarray, actual: np.ndarray, r: np.ndarray,
                       units: Sequence[np.ndarray], rotations: Sequence[np.ndarray],
                       alternative: str) -> np.ndarray:
    """Phase-randomisation p-values, vectorised over voxels.

    Draw b replaces each unit's held-out responses by `irfft(rfft(unit) * rotations[u][b])`, a
    series with the same mean and power spectrum (so the same circular autocorrelation and norm),
    against the fixed predictions; a draw's cross-product is a sum over frequencies, so the draws
    of a voxel batch are two matrix products per unit, taken `PHASE_DRAW_CHUNK` draws at a time.

    Parameters
    ----------
    predictions, actual, r, units, alternative
        As in `shift_null_pvalues`.
    rotations : sequence of np.ndarray
        Per unit, (n_permutations, n // 2 + 1) from `draw_phase_rotations`.

    Returns
    -------
    np.ndarray
        (n_voxels,) p-values, as `exceedance_pvalues`.
    """
    import torch  # the products run in the fit's thread pool (numpy's own would compete with it)

    def parts(values: np.ndarray) -> tuple:
        return (torch.from_numpy(np.ascontiguousarray(values.real)),
                torch.from_numpy(np.ascontiguousarray(values.imag)))

    centred_p, centred_a, norm = centred_columns(predictions, actual)
    crosses = [parts(spectral_cross_products(centred_p[unit], centred_a[unit])) for unit in units]
    turns = [parts(rotation) for rotation in rotations]
    n_draws = len(rotations[0]) if rotations else 0
    exceed = np.zeros(len(r), dtype=np.int64)
    for start in range(0, n_draws, PHASE_DRAW_CHUNK):
        draws = slice(start, start + PHASE_DRAW_CHUNK)
        null = torch.zeros((len(range(n_draws)[draws]), len(r)), dtype=torch.float64)
        for (cross_re, cross_im), (turn_re, turn_im) in zip(crosses, turns, strict=True):
            null.addmm_(turn_re[draws], cross_re).addmm_(turn_im[draws], cross_im, alpha=-1)
        exceed += exceedances(null.numpy(), norm, r, alternative)
    return counted_pvalues(exceed, n_draws, norm)


def draw_block_orders(unit_sizes: Sequence[int], block_length: int, n_permutations: int,
                      seed: int | Sequence[int]) -> list[np.ndarray]:
    """Per unit, (n_permutations, n_blocks) uniform random orders of its whole blocks."""
    rng = np.random.default_rng(seed)
    return [rng.permuted(np.tile(np.arange(size // block_length), (n_permutations, 1)), axis=1)
            for size in unit_sizes]


def block_null_pvalues(predictions: np.ndarray, actual: np.ndarray, r: np.ndarray,
                       units: Sequence[np.ndarray], orders: Sequence[np.ndarray],
                       block_length: int, alternative: str) -> np.ndarray:
    """Block-permutation p-values, vectorised over voxels.

    Each unit is cut into whole blocks of `block_length` rows from its start (the rows after the
    last whole block stay in place); draw b puts the responses' block `orders[u][b, i]` against
    the predictions' block i. Block cross-products C[i, j] are computed once per unit, so a draw
    costs one sum over blocks.

    Parameters
    ----------
    predictions, actual, r, units, alternative
        As in `shift_null_pvalues`.
    orders : sequence of np.ndarray
        Per unit, (n_permutations, n_blocks) from `draw_block_orders`.
    block_length : int

    Returns
    -------
    np.ndarray
        (n_voxels,) p-values, as `exceedance_pvalues`.
    """
    centred_p, centred_a, norm = centred_columns(predictions, actual)
    null = np.zeros((len(orders[0]) if orders else 0, len(r)))
    for unit, order in zip(units, orders, strict=True):
        n_blocks = order.shape[1]
        whole = unit[:n_blocks * block_length]
        rest = unit[n_blocks * block_length:]
        null += np.sum(centred_p[rest] * centred_a[rest], axis=0)
        blocks_p = centred_p[whole].reshape(n_blocks, block_length, -1)
        blocks_a = centred_a[whole].reshape(n_blocks, block_length, -1)
        cross = np.einsum("itv,jtv->ijv", blocks_p, blocks_a)
        for i in range(n_blocks):
            null += cross[i, order[:, i]]
    return exceedance_pvalues(null, norm, r, alternative)


def ttest_function(settings, units: Sequence[np.ndarray], seed) -> PValues:
    """p from r and the number of held-out rows alone."""
    n_rows = sum(len(unit) for unit in units)
    return lambda predictions, actual, r: ttest_pvalues(r, n_rows, settings.alternative)


def block_function(settings, units: Sequence[np.ndarray], seed) -> PValues:
    """Block permutations within each unit of the held-out rows, drawn once from `seed`."""
    orders = draw_block_orders([len(unit) for unit in units], settings.block_length,
                               settings.n_permutations, seed)
    return lambda predictions, actual, r: block_null_pvalues(
        predictions, actual, r, units, orders, settings.block_length, settings.alternative)


def shift_function(settings, units: Sequence[np.ndarray], seed) -> PValues:
    """Circular shifts within each unit of the held-out rows, drawn once from `seed`."""
    shifts = draw_shifts([len(unit) for unit in units], settings.n_permutations, seed)
    return lambda predictions, actual, r: shift_null_pvalues(predictions, actual, r, units, shifts,
                                                             settings.alternative)


def phase_function(settings, units: Sequence[np.ndarray], seed) -> PValues:
    """Uniform random phases for each unit of the held-out rows, drawn once from `seed`."""
    rotations = draw_phase_rotations([len(unit) for unit in units], settings.n_permutations, seed)
    return lambda predictions, actual, r: phase_null_pvalues(predictions, actual, r, units,
                                                             rotations, settings.alternative)


# The permutation method's nulls (`significance.null`), with the arguments of `pvalue_function`.
NULLS: Registry[Callable[..., PValues]] = Registry("permutation null", "significance.null", [
    ("block", block_function),
    ("phase", phase_function),
    ("shift", shift_function),
])


def permutation_function(settings, units: Sequence[np.ndarray], seed) -> PValues:
    """The `significance.null` of the held-out rows' units."""
    return NULLS.lookup(settings.null)(settings, units, seed)


# Each maps (significance settings, held-out rows' story labels, seed) to a PValues function.
METHODS: Registry[Callable[..., PValues]] = Registry("significance method", "significance.method", [
    ("permutation", permutation_function),
    ("ttest", ttest_function),
])
ALTERNATIVES = ("greater", "two-sided")


def draws_in_memory(settings) -> int:
    """Null values per voxel that a voxel batch's p-values hold at once (0 for the t-test): all
    draws for `block` and `shift`; for `phase`, a chunk of draws and the two products that fill it."""
    if settings.method != "permutation":
        return 0
    if settings.null == "phase":
        return 3 * min(settings.n_permutations, PHASE_DRAW_CHUNK)
    return settings.n_permutations


def pvalue_function(settings, units: Sequence[np.ndarray], seed: int | Sequence[int]) -> PValues:
    """The p-value function of held-out rows made of `units`.

    Parameters
    ----------
    settings
        The significance settings (method, alternative, n_permutations, ...).
    units : sequence of np.ndarray
        Positions of each run of consecutive rows of one story among the held-out rows
        (`held_out_units`); a null moves rows only within a unit.
    seed
        Seed of the null's draws (drawn once, so every voxel batch gets the same draws).

    Returns
    -------
    PValues
        (predictions, responses, r) of a voxel batch -> its (n_voxels,) p-values.
    """
    return METHODS.lookup(settings.method)(settings, units, seed)


def significance(p: np.ndarray, alpha_fdr: float,
                 tested: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """BH q-values of `p` over the tested voxels, and the call q <= alpha_fdr.

    Parameters
    ----------
    p : np.ndarray
        (n_voxels,) p-values.
    alpha_fdr : float
    tested : np.ndarray, optional
        (n_voxels,) bool: the voxels in the FDR family (None: all). The others (constant voxels,
        whose r means nothing) get q = 1 and are never significant.

    Returns
    -------
    q : np.ndarray
        (n_voxels,) float64 BH q-values.
    significant : np.ndarray
        (n_voxels,) bool.
    """
    p = np.asarray(p, dtype=np.float64)
    tested = np.ones(len(p), dtype=bool) if tested is None else np.asarray(tested, dtype=bool)
    q = np.ones(len(p))
    if tested.any():
        q[tested] = fdr_bh(p[tested])
    return q, tested & (q <= alpha_fdr)


# How nested CV combines its outer folds' p-values into one per voxel.
COMBINATIONS: Registry[Callable[[np.ndarray], np.ndarray]] = Registry(
    "fold combination", "significance.combine", [
        ("cauchy", combine_pvalues_cauchy),
        ("fisher", combine_pvalues_fisher),
    ])


def combination_rule(settings) -> str:
    """`significance.combine`, or its default: `fisher` (the tutorial's) for the t-test, `cauchy`
    otherwise."""
    if settings.combine is not None:
        return settings.combine
    return "fisher" if settings.method == "ttest" else "cauchy"


def combine_folds(p_folds: np.ndarray, significant_folds: np.ndarray, alpha_fdr: float,
                  rule: str = "fisher", tested: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Nested CV: one call per voxel from its outer folds' p-values and calls.

    Parameters
    ----------
    p_folds, significant_folds : np.ndarray
        (n_folds, n_voxels) p-values and within-fold FDR calls.
    alpha_fdr : float
    rule : str
        A name in `COMBINATIONS`: `cauchy` stays valid when the folds' p-values are dependent (they
        are: each fold's model trains on the other folds' held-out rows); `fisher` assumes
        independent folds (the tutorial's).
    tested : np.ndarray, optional
        (n_voxels,) bool: the FDR family, as in `significance`.

    Returns
    -------
    dict of np.ndarray, each (n_voxels,)
        p (combined over folds), q (BH), significant (q <= alpha_fdr),
        n_significant_folds, and majority_significant (significant in more than half the folds).
    """
    p = COMBINATIONS.lookup(rule)(p_folds)
    q, significant = significance(p, alpha_fdr, tested)
    n_significant_folds = np.sum(significant_folds, axis=0)
    return {"p": p, "q": q, "significant": significant,
            "n_significant_folds": n_significant_folds,
            "majority_significant": n_significant_folds >= len(p_folds) // 2 + 1}
