"""Significance: the circular-shift null against a plain loop, its calibration on seeded
autocorrelated nulls (binomial tolerances), the t-test path equal to the tutorial's output."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import ridge_settings
from ridge_reference import ALPHAS, make_data
from scipy import stats as sps

from speech_encoding.modelling.fit import fit_nested_cv, fit_train_test, train_test_table
from speech_encoding.modelling.response_batches import array_columns, paired
from speech_encoding.modelling.significance import (
    draw_shifts,
    pvalue_function,
    shift_null_pvalues,
    story_units,
    ttest_pvalues,
)
from speech_encoding.modelling.stats import column_correlation, correlation_pvalue, fdr_bh
from speech_encoding.run.settings import TUTORIAL_SIGNIFICANCE, SignificanceSettings

PERMUTATION = SignificanceSettings(method="permutation", alternative="greater", n_permutations=199,
                                   block_length=5, seed=3)


def ar1(n_rows, n_columns, rho, rng):
    """AR(1) series along rows with unit variance, independent columns."""
    noise = rng.normal(size=(n_rows, n_columns))
    out = np.empty_like(noise)
    out[0] = noise[0]
    for t in range(1, n_rows):
        out[t] = rho * out[t - 1] + np.sqrt(1 - rho ** 2) * noise[t]
    return out


def loop_shift_pvalues(pred, actual, groups, shifts, alternative):
    """Plain loop: roll each story's responses by its shift, correlate, count."""
    units = [np.flatnonzero(np.asarray(groups) == g) for g in dict.fromkeys(groups)]
    p = np.empty(pred.shape[1])
    for v in range(pred.shape[1]):
        observed = np.corrcoef(pred[:, v], actual[:, v])[0, 1]
        count = 0
        for draw in shifts:
            rolled = actual[:, v].copy()
            for unit, shift in zip(units, draw):
                rolled[unit] = np.roll(actual[unit, v], shift)
            null = np.corrcoef(pred[:, v], rolled)[0, 1]
            count += (abs(null) >= abs(observed)) if alternative == "two-sided" else null >= observed
        p[v] = (1 + count) / (1 + len(shifts))
    return p


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_shift_null_matches_the_loop(alternative):
    rng = np.random.default_rng(0)
    groups = ["a"] * 23 + ["b"] * 31 + ["c"] * 17
    pred, actual = ar1(71, 9, 0.6, rng), ar1(71, 9, 0.6, rng)
    actual[:, :3] += 0.5 * pred[:, :3]  # some voxels with signal
    units = story_units(groups)
    shifts = draw_shifts([len(u) for u in units], 99, 4, seed=1)
    r = column_correlation(pred, actual)
    got = shift_null_pvalues(pred * np.arange(1, 10), actual, r, units, shifts, alternative)
    np.testing.assert_array_equal(got, loop_shift_pvalues(pred, actual, groups, shifts, alternative))
    assert got[:3].max() < 0.05 and got[3:].min() > 0.01


def test_shifts_stay_a_block_away_from_the_alignment_and_follow_the_seed():
    shifts = draw_shifts([30, 12, 11], 500, 5, seed=7)
    assert shifts[:, 0].min() >= 5 and shifts[:, 0].max() <= 25
    assert set(np.unique(shifts[:, 1])) == {5, 6, 7}
    assert shifts[:, 2].min() >= 1 and shifts[:, 2].max() <= 10  # 11 <= 2 x 5: any nonzero shift
    np.testing.assert_array_equal(shifts, draw_shifts([30, 12, 11], 500, 5, seed=7))
    assert not np.array_equal(shifts, draw_shifts([30, 12, 11], 500, 5, seed=8))


def test_one_sided_ttest_is_scipys():
    rng = np.random.default_rng(1)
    pred, actual = rng.normal(size=(40, 6)), rng.normal(size=(40, 6))
    actual[:, :2] += pred[:, :2]
    r = column_correlation(pred, actual)
    want = [sps.pearsonr(pred[:, v], actual[:, v], alternative="greater").pvalue for v in range(6)]
    np.testing.assert_allclose(ttest_pvalues(r, 40, "greater"), want, rtol=1e-10)
    np.testing.assert_array_equal(ttest_pvalues(r, 40, "two-sided"), correlation_pvalue(r, 40))


# Calibration on a seeded null: autocorrelated responses and smooth predictions, independent.
# Under a valid test, #(p < 0.05) of N null voxels is Binomial(N, 0.05) (up to the discreteness
# of p, which only lowers it); the tolerance is 5 standard deviations, so a valid method fails
# with probability < 1e-6, and it is a fixed seed anyway. The t-test must fail the same bound,
# so the test is not vacuous.
N_NULL = 2000


def null_pvalues(settings, rho, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat([0, 1], 150)
    pred = np.vstack([ar1(150, N_NULL, 0.9, rng), ar1(150, N_NULL, 0.9, rng)])
    actual = np.vstack([ar1(150, N_NULL, rho, rng), ar1(150, N_NULL, rho, rng)])
    r = column_correlation(pred, actual)
    return pvalue_function(settings, groups, settings.seed)(pred, actual, r)


def binomial_band(n, rate, sds=5):
    sd = np.sqrt(rate * (1 - rate) / n)
    return rate - sds * sd, rate + sds * sd


@pytest.mark.parametrize("rho", [0.0, 0.7])
def test_permutation_null_is_calibrated_and_the_ttest_is_not(rho):
    low, high = binomial_band(N_NULL, 0.05)
    rejected = np.mean(null_pvalues(PERMUTATION, rho) < 0.05)
    assert low <= rejected <= high, rejected
    if rho:
        ttest = dataclasses.replace(TUTORIAL_SIGNIFICANCE, alternative="greater")
        assert np.mean(null_pvalues(ttest, rho) < 0.05) > high


def test_permutation_p_is_uniform_enough_to_control_fdr():
    p = null_pvalues(PERMUTATION, 0.7, seed=5)
    # under the global null, BH at 0.05 calls any voxel with probability <= 0.05
    assert not np.any(fdr_bh(p) <= 0.05)


# ---------- through the fit ----------

def test_ttest_two_sided_gives_the_tutorials_p_q_and_calls():
    x_train, y_train, x_test, y_test = make_data(80, 40, 8, seed=2, n_voxels=12)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, folding_type="kfold")
    table = fit_train_test(x_train, y_train, x_test, y_test, settings)  # significance: the tutorial's
    p = correlation_pvalue(table["r"].to_numpy(), len(x_test))
    np.testing.assert_array_equal(table["p"], p)
    np.testing.assert_array_equal(table["q"], fdr_bh(p))
    np.testing.assert_array_equal(table["significant"], fdr_bh(p) <= 0.05)


def test_the_method_changes_only_p_q_and_the_call():
    x_train, y_train, x_test, y_test = make_data(80, 40, 8, seed=2, n_voxels=12)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, folding_type="kfold")
    targets = paired(array_columns(y_train), array_columns(y_test))
    ttest = train_test_table(x_train, x_test, targets, 12, settings)
    groups = np.repeat([0, 1], 20)
    permutation = train_test_table(x_train, x_test, targets, 12, settings,
                                   significance=PERMUTATION, test_groups=groups)
    batched = train_test_table(x_train, x_test, targets, 12,
                               dataclasses.replace(settings, voxel_batch=5),
                               significance=PERMUTATION, test_groups=groups)
    for column in ("voxel", "r", "alpha"):
        np.testing.assert_array_equal(permutation[column], ttest[column])
    np.testing.assert_array_equal(batched["p"], permutation["p"])  # the same draws in every batch
    assert not np.array_equal(permutation["p"], ttest["p"])
    assert permutation["p"].min() >= 1 / 200


def test_nested_cv_permutation_p_per_fold_combined():
    rng = np.random.default_rng(3)
    x = ar1(240, 8, 0.8, rng)
    y = ar1(240, 10, 0.7, rng)
    y[:, :3] += x @ rng.normal(size=(8, 3))
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, n_outer_folds=3, chunk_length=20,
                              fold_gap=5, mode="nested_cv")
    table = fit_nested_cv(x, y, np.repeat([0, 1], 120), settings, significance=PERMUTATION)
    assert table["significant"][:3].all() and table["majority_significant"][:3].all()
    # each fold's p is at least 1 / 200; Fisher over 3 folds bounds the combined p from below
    assert table["p"].min() >= sps.chi2.sf(-2 * 3 * np.log(1 / 200), 6) * (1 - 1e-12)
    again = fit_nested_cv(x, y, np.repeat([0, 1], 120), settings, significance=PERMUTATION)
    np.testing.assert_array_equal(again["p"], table["p"])
