"""Significance: the phase, circular-shift and block nulls against plain loops, their calibration
on seeded autocorrelated nulls (binomial tolerances), the t-test path equal to the tutorial's
output."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from conftest import ridge_settings, significance_settings
from ridge_reference import ALPHAS, make_data
from scipy import stats as sps

from speech_encoding.demo.simulated_responses import ar1, simulate_stories
from speech_encoding.modelling.fit import fit_stories, fit_train_test, nested_cv_table, train_test_table
from speech_encoding.modelling.response_batches import array_columns, paired
from speech_encoding.modelling.significance import (
    block_null_pvalues,
    combination_rule,
    draw_block_orders,
    draw_phase_rotations,
    draw_shifts,
    held_out_units,
    phase_null_pvalues,
    pvalue_function,
    shift_null_pvalues,
    ttest_pvalues,
)
from speech_encoding.modelling.stats import (
    column_correlation,
    combine_pvalues_cauchy,
    combine_pvalues_fisher,
    correlation_pvalue,
    fdr_bh,
)
from speech_encoding.run.settings import TUTORIAL_SIGNIFICANCE, SignificanceSettings

PERMUTATION = SignificanceSettings(method="permutation", alternative="greater", null="block",
                                   n_permutations=199, block_length=5, seed=3, combine=None)
SHIFT = dataclasses.replace(PERMUTATION, null="shift")
PHASE = dataclasses.replace(PERMUTATION, null="phase")


def loop_units(rows, groups):
    """Plain loop: a new unit where the story changes or the next held-out row is not the next row."""
    units, current = [], [0]
    for i in range(1, len(rows)):
        if groups[i] == groups[i - 1] and rows[i] == rows[i - 1] + 1:
            current.append(i)
        else:
            units.append(current)
            current = [i]
    return units + [current]


def loop_null_pvalues(pred, actual, units, rearranged, alternative):
    """Plain loop: rearrange each unit's responses as `rearranged(unit_rows, unit_index, draw)`
    says, correlate with the fixed predictions, count the nulls at least as large."""
    p = np.empty(pred.shape[1])
    for v in range(pred.shape[1]):
        observed = np.corrcoef(pred[:, v], actual[:, v])[0, 1]
        count = 0
        for draw in range(N_DRAWS):
            permuted = actual[:, v].copy()
            for u, unit in enumerate(units):
                permuted[unit] = rearranged(actual[unit, v], u, draw)
            null = np.corrcoef(pred[:, v], permuted)[0, 1]
            count += (abs(null) >= abs(observed)) if alternative == "two-sided" else null >= observed
        p[v] = (1 + count) / (1 + N_DRAWS)
    return p


N_DRAWS = 99


def loop_data():
    rng = np.random.default_rng(0)
    rows = np.r_[0:23, 40:60, 60:71, 90:107]  # story a: two runs; story b: one; c: one
    groups = ["a"] * 43 + ["b"] * 11 + ["c"] * 17
    pred, actual = ar1(71, 9, 0.6, rng), ar1(71, 9, 0.6, rng)
    actual[:, :3] += 0.5 * pred[:, :3]  # some voxels with signal
    return rows, groups, pred, actual


def test_held_out_units_are_the_loops_runs():
    rows, groups, _, _ = loop_data()
    units = held_out_units(rows, groups)
    assert [list(unit) for unit in units] == loop_units(rows, groups)
    assert [len(unit) for unit in units] == [23, 20, 11, 17]


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_shift_null_matches_the_loop(alternative):
    rows, groups, pred, actual = loop_data()
    units = held_out_units(rows, groups)
    shifts = draw_shifts([len(u) for u in units], N_DRAWS, seed=1)
    r = column_correlation(pred, actual)
    got = shift_null_pvalues(pred * np.arange(1, 10), actual, r, units, shifts, alternative)
    want = loop_null_pvalues(pred, actual, units,
                             lambda series, u, draw: np.roll(series, shifts[draw, u]), alternative)
    np.testing.assert_array_equal(got, want)
    assert got[:3].max() < 0.05 and got[3:].min() > 0.01


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
def test_block_null_matches_the_loop(alternative):
    rows, groups, pred, actual = loop_data()
    units = held_out_units(rows, groups)
    orders = draw_block_orders([len(u) for u in units], 4, N_DRAWS, seed=2)

    def rearranged(series, u, draw):
        order = orders[u][draw]
        whole = len(order) * 4
        blocks = [series[4 * b:4 * b + 4] for b in order]
        return np.concatenate(blocks + [series[whole:]])

    r = column_correlation(pred, actual)
    got = block_null_pvalues(pred * np.arange(1, 10), actual, r, units, orders, 4, alternative)
    want = loop_null_pvalues(pred, actual, units, rearranged, alternative)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert got[:3].max() <= 0.1 and got[3:].min() > 0.01


def phase_surrogate(series, rotation):
    """Plain definition: the series with its (one-sided) Fourier coefficients rotated."""
    return np.fft.irfft(np.fft.rfft(series) * rotation, n=len(series))


@pytest.mark.parametrize("alternative", ["greater", "two-sided"])
@pytest.mark.parametrize("draw_chunk", [7, 500])
def test_phase_null_matches_the_loop(alternative, draw_chunk, monkeypatch):
    monkeypatch.setattr("speech_encoding.modelling.significance.PHASE_DRAW_CHUNK", draw_chunk)
    rows, groups, pred, actual = loop_data()
    units = held_out_units(rows, groups)
    rotations = draw_phase_rotations([len(u) for u in units], N_DRAWS, seed=1)
    r = column_correlation(pred, actual)
    got = phase_null_pvalues(pred * np.arange(1, 10), actual, r, units, rotations, alternative)
    want = loop_null_pvalues(pred, actual, units,
                             lambda series, u, draw: phase_surrogate(series, rotations[u][draw]),
                             alternative)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    assert got[:3].max() < 0.05 and got[3:].min() > 0.01


def test_phase_draws_keep_each_units_mean_and_power_spectrum_and_follow_the_seed():
    rotations = draw_phase_rotations([30, 11, 2, 1], 500, seed=7)
    assert [rotation.shape for rotation in rotations] == [(500, 16), (500, 6), (500, 2), (500, 1)]
    for rotation in rotations:
        np.testing.assert_allclose(np.abs(rotation), 1.0, rtol=1e-12)
        np.testing.assert_array_equal(rotation[:, 0], 1.0)
    # even lengths: the Nyquist coefficient stays real, with both signs drawn
    assert set(np.unique(rotations[0][:, -1])) == {-1.0, 1.0} and not rotations[0][:, -1].imag.any()
    # every interior frequency's phase is uniform: its mean over draws is near 0 (sd about
    # 1/sqrt(2 * 500) per component), and the phases cover the circle
    for rotation in rotations[:2]:
        assert np.abs(rotation[:, 1:-1].mean(axis=0)).max() < 0.2
    angles = np.angle(rotations[1][:, 1:]).ravel()
    assert np.histogram(angles, bins=8, range=(-np.pi, np.pi))[0].min() > 0.5 * len(angles) / 8
    series = ar1(30, 1, 0.7, np.random.default_rng(0))[:, 0]
    surrogate = phase_surrogate(series, rotations[0][3])
    assert surrogate.mean() == pytest.approx(series.mean(), abs=1e-12)
    np.testing.assert_allclose(np.abs(np.fft.rfft(surrogate)), np.abs(np.fft.rfft(series)), atol=1e-9)
    assert not np.allclose(surrogate, series)
    np.testing.assert_array_equal(rotations[0], draw_phase_rotations([30, 11, 2, 1], 500, seed=7)[0])
    assert not np.array_equal(rotations[0], draw_phase_rotations([30, 11, 2, 1], 500, seed=8)[0])


def test_draws_cover_every_shift_and_block_order_and_follow_the_seed():
    shifts = draw_shifts([30, 12, 1], 2000, seed=7)
    assert set(np.unique(shifts[:, 1])) == set(range(12)) and not shifts[:, 2].any()
    assert shifts[:, 0].min() == 0 and shifts[:, 0].max() == 29
    np.testing.assert_array_equal(shifts, draw_shifts([30, 12, 1], 2000, seed=7))
    assert not np.array_equal(shifts, draw_shifts([30, 12, 1], 2000, seed=8))
    orders = draw_block_orders([30, 12, 3], 5, 2000, seed=7)
    assert [order.shape for order in orders] == [(2000, 6), (2000, 2), (2000, 0)]
    assert all(sorted(row) == list(range(6)) for row in orders[0])
    assert len({tuple(row) for row in orders[0]}) > 500  # many of the 720 orders
    np.testing.assert_array_equal(orders[0], draw_block_orders([30, 12, 3], 5, 2000, seed=7)[0])


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
    return pvalue_function(settings, held_out_units(np.arange(300), groups), settings.seed)(
        pred, actual, r)


def binomial_band(n, rate, sds=5):
    sd = np.sqrt(rate * (1 - rate) / n)
    return rate - sds * sd, rate + sds * sd


@pytest.mark.parametrize("null", [PERMUTATION, SHIFT, PHASE], ids=["block", "shift", "phase"])
@pytest.mark.parametrize("rho", [0.0, 0.7])
def test_permutation_null_is_calibrated_and_the_ttest_is_not(rho, null):
    low, high = binomial_band(N_NULL, 0.05)
    rejected = np.mean(null_pvalues(dataclasses.replace(null, block_length=10), rho) < 0.05)
    assert low <= rejected <= high, rejected
    if rho:
        ttest = dataclasses.replace(TUTORIAL_SIGNIFICANCE, alternative="greater")
        assert np.mean(null_pvalues(ttest, rho) < 0.05) > high


@pytest.mark.parametrize("null", [PERMUTATION, PHASE], ids=["block", "phase"])
def test_permutation_p_is_uniform_enough_to_control_fdr(null):
    p = null_pvalues(null, 0.7, seed=5)
    # under the global null, BH at 0.05 calls any voxel with probability <= 0.05
    assert not np.any(fdr_bh(p) <= 0.05)


def test_only_the_phase_null_stays_calibrated_at_rho_09():
    # Blocks of 10 rows cut the noise's autocorrelation at every block edge, so the block null is
    # too narrow when the noise is strongly autocorrelated; phases keep the whole power spectrum.
    low, high = binomial_band(N_NULL, 0.05)
    assert low <= np.mean(null_pvalues(dataclasses.replace(PHASE, n_permutations=999), 0.9) < 0.05) <= high
    assert np.mean(null_pvalues(dataclasses.replace(PERMUTATION, block_length=10), 0.9) < 0.05) > high


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
    table = nested_cv_table(x, array_columns(y), 10, np.repeat([0, 1], 120), settings,
                            significance=PERMUTATION)
    assert table["significant"][:3].all() and table["majority_significant"][:3].all()
    # each fold's p is at least 1 / 200, and so is their Cauchy combination (the default)
    assert table["p"].min() >= (1 / 200) * (1 - 1e-9)
    again = nested_cv_table(x, array_columns(y), 10, np.repeat([0, 1], 120), settings,
                            significance=PERMUTATION)
    np.testing.assert_array_equal(again["p"], table["p"])


# ---------- combining the outer folds of nested CV ----------

def loop_cauchy(p_folds):
    """Plain loop over voxels: T = mean tan((0.5 - p) pi), p = 0.5 - arctan(T) / pi."""
    out = []
    for column in np.asarray(p_folds).T:
        statistic = sum(math.tan((0.5 - p) * math.pi) for p in column) / len(column)
        out.append(0.5 - math.atan(statistic) / math.pi)
    return np.array(out)


def test_cauchy_combination_matches_the_definition():
    rng = np.random.default_rng(4)
    p_folds = rng.uniform(0.01, 0.99, size=(5, 200))
    np.testing.assert_allclose(combine_pvalues_cauchy(p_folds), loop_cauchy(p_folds), rtol=1e-9)
    equal = np.full((5, 3), [1e-3, 1e-9, 0.2])
    np.testing.assert_allclose(combine_pvalues_cauchy(equal), [1e-3, 1e-9, 0.2], rtol=1e-9)


def dependent_fold_pvalues(correlation, n_voxels=20000, n_folds=5, seed=0):
    """One-sided p-values of equicorrelated standard normal fold statistics (no signal)."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(size=n_voxels)
    z = np.sqrt(correlation) * shared + np.sqrt(1 - correlation) * rng.normal(size=(n_folds, n_voxels))
    return sps.norm.sf(z)


@pytest.mark.parametrize("correlation", [0.25, 0.5])
def test_cauchy_stays_calibrated_where_folds_are_dependent_and_fisher_does_not(correlation):
    # Outer folds' statistics correlate, about 1 / (n_folds - 1) at large alphas (each fold
    # trains on the others' held-out rows; see README, Significance). Cauchy's size is exact only
    # as the level goes to 0 and a little high at 0.05 (6% here): it must stay inside the
    # calibration target of 3-7% at 0.05 and within 1-1.5% at 0.01, with 20,000 voxels (binomial
    # sd 0.15% and 0.07%); Fisher's must not.
    p_folds = dependent_fold_pvalues(correlation)
    cauchy, fisher = combine_pvalues_cauchy(p_folds), combine_pvalues_fisher(p_folds)
    assert 0.03 <= np.mean(cauchy < 0.05) <= 0.07 and 0.01 <= np.mean(cauchy < 0.01) <= 0.015
    assert np.mean(fisher < 0.05) > 0.07 and np.mean(fisher < 0.01) > 0.015
    independent = dependent_fold_pvalues(0.0, seed=1)
    low, high = binomial_band(independent.shape[1], 0.05)
    assert low <= np.mean(combine_pvalues_fisher(independent) < 0.05) <= high


def test_the_combination_defaults_to_fisher_for_the_ttest_and_cauchy_otherwise():
    assert combination_rule(TUTORIAL_SIGNIFICANCE) == "fisher"
    assert combination_rule(PERMUTATION) == "cauchy"
    assert combination_rule(dataclasses.replace(TUTORIAL_SIGNIFICANCE, combine="cauchy")) == "cauchy"
    assert combination_rule(dataclasses.replace(PERMUTATION, combine="fisher")) == "fisher"


# ---------- the simulation the calibration runs on ----------
def lag1_autocorrelation(series: np.ndarray) -> float:
    """Mean over columns of the Pearson correlation of each column with itself one row later."""
    return float(np.mean([np.corrcoef(column[:-1], column[1:])[0, 1] for column in series.T]))


@pytest.mark.parametrize("feature_rho, noise_rho", [(0.3, 0.7), (0.9, 0.0)])
def test_simulated_stories_have_the_asked_autocorrelations(feature_rho, noise_rho):
    # The mean of 48 feature (or 240 noise) columns' lag-1 estimates over 400 rows has a standard
    # error below 0.01 and a bias of about -(1 + 3 rho) / 400 >= -0.01, so 0.05 cannot flake and
    # separates 0.3 from 0.9. The first delay block (delay 1) is the AR(1) series shifted down by
    # one row: its rows after the first are the undelayed features.
    features, responses = simulate_stories(noise_rho, np.zeros(40), 6, 400, seed=5,
                                           feature_rho=feature_rho)
    feature_lag1 = np.mean([lag1_autocorrelation(story[1:, :8]) for story in features.values()])
    noise_lag1 = np.mean([lag1_autocorrelation(story) for story in responses.values()])
    assert abs(feature_lag1 - feature_rho) < 0.05
    assert abs(noise_lag1 - noise_rho) < 0.05


# ---------- calibration through the fit, with the defaults ----------
# Seeded null simulations (no signal; smooth FIR-delayed features, AR(1) noise): with the schema's
# defaults the fraction of voxels with p < 0.05 must lie within 5 binomial standard deviations of
# 5% (2000 voxels: 2.6-7.4%) and at most 1% may be called at FDR 0.05; the tutorial's settings
# must fail the same band, so the simulation does carry the autocorrelation that breaks them.
TUTORIAL = {"method": "ttest", "alternative": "two-sided"}


def simulated_null_fit(mode: str, rho: float, ridge: dict | None = None,
                       significance: dict | None = None):
    features, responses = simulate_stories(rho, np.zeros(N_NULL), 6, 200, seed=11)
    splits = {story: "train" for story in features} | {"s5": "test"}
    settings = ridge_settings(mode=mode, **(ridge or {}))
    voxels, summary = fit_stories(features, responses, splits, None, settings,
                                  significance=significance_settings(**(significance or {})))
    return voxels, summary


@pytest.mark.parametrize("mode, rho", [("train_test", 0.7), ("nested_cv", 0.3), ("nested_cv", 0.7)])
def test_the_default_significance_is_calibrated_through_the_fit(mode, rho):
    low, high = binomial_band(N_NULL, 0.05)
    voxels, summary = simulated_null_fit(mode, rho)
    assert low <= np.mean(voxels["p"] < 0.05) <= high
    assert np.mean(voxels["significant"]) <= 0.01
    assert summary["significance_method"] == "permutation" and summary["significance_null"] == "phase"
    tutorial_folds = {"fold_remainder": "last"} | (
        {"outer_folding_type": "chunked", "fold_gap": 0, "outer_zscore": "story"}
        if mode == "nested_cv" else {})
    tutorial, summary = simulated_null_fit(mode, rho, tutorial_folds, TUTORIAL)
    assert np.mean(tutorial["p"] < 0.05) > high
    if mode == "nested_cv":
        assert summary["significance_combine"] == "fisher"


def test_nested_cv_null_r_is_centred_when_each_side_of_a_fold_is_zscored_alone():
    # Outer folds that cut through stories: z-scoring a whole story before folding hands the
    # held-out rows' mean and std to the training rows, and at noise autocorrelation 0.9 this lifts
    # the mean null r by about +0.007 (benchmarks/calibration.py: 40,000 voxels, three seeds).
    # Given the features, the voxels' r are independent draws, so the mean over 10,000 voxels has
    # standard error sd / 100 (about 0.0011): `split` must be within 4 of them of 0, `story`
    # (the tutorial's) above 4, which shows the simulation carries the leak.
    n_voxels = 10_000
    features, responses = simulate_stories(0.9, np.zeros(n_voxels), 6, 200, seed=12)
    splits = {story: "train" for story in features}
    mean_r = {}
    for zscore in ("split", "story"):
        voxels, _ = fit_stories(features, responses, splits, None,
                                ridge_settings(mode="nested_cv", outer_zscore=zscore),
                                significance=significance_settings(method="ttest"))
        r = voxels["r"].to_numpy()
        mean_r[zscore] = (r.mean(), r.std() / np.sqrt(n_voxels))
    mean, se = mean_r["split"]
    assert abs(mean) <= 4 * se, mean_r
    mean, se = mean_r["story"]
    assert mean >= 4 * se, mean_r
