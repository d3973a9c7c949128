"""Nested cross-validation and training-set normalisation against plain references."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ridge_settings
from ridge_reference import ALPHAS, ref_choose, ref_cv_scores, ref_folds, ref_predict, ref_score
from scipy import stats as sps

from speech_encoding.design_matrix.trimming import StoryRows
from speech_encoding.modelling.fit import fit_stories, fit_train_test, nested_cv_table
from speech_encoding.modelling.response_batches import array_columns


def fit_nested_cv(x, y, groups, settings):
    """Nested CV of in-memory responses, as the fit stage runs it on memory-mapped ones."""
    return nested_cv_table(x, array_columns(y), y.shape[1], groups, settings)


def ref_standardize(train, test):
    """Column by column: subtract the training mean, divide by the training std (if > 0)."""
    train, test = train.copy(), test.copy()
    for c in range(train.shape[1]):
        mean, std = train[:, c].mean(), train[:, c].std()
        train[:, c] = (train[:, c] - mean) / (std if std > 0 else 1.0)
        test[:, c] = (test[:, c] - mean) / (std if std > 0 else 1.0)
    return train, test


def ref_zscore_by_story(data, stories):
    """Each story's rows standardised with their own statistics (`ref_standardize`)."""
    out = np.array(data, dtype=np.float64)
    for story in set(stories):
        rows = [i for i in range(len(data)) if stories[i] == story]
        out[rows] = ref_standardize(out[rows], out[rows])[0]
    return out


def ref_fit(x_train, y_train, x_test, n_inner, chunk_length, seed, normalize):
    if normalize:
        x_train, x_test = ref_standardize(x_train, x_test)
    inner = ref_folds(len(x_train), n_inner, "chunked", chunk_length, seed)
    scores = ref_cv_scores(x_train, y_train, inner, ALPHAS, 1e-10, True, True)
    alphas = ref_choose(scores, ALPHAS, False)
    return ref_predict(x_train, y_train, x_test, alphas, 1e-10, True), alphas


def ref_nested(x, y, n_outer, n_inner, chunk_length, seed, alpha_fdr, normalize, gap=0,
               outer="chunked", zscore="story", stories=None):
    """Outer `outer` folds (inner ones chunked); training rows are those at more than `gap` rows
    from every held-out row (gap only with one story). With zscore "split", each story's training
    rows and its held-out rows are z-scored separately in every fold."""
    stories = np.zeros(len(x)) if stories is None else stories
    rs, ps, sigs, alphas = [], [], [], []
    for held_out in ref_folds(len(x), n_outer, outer, chunk_length, seed):
        train = [i for i in range(len(x)) if all(abs(i - j) > gap for j in held_out)]
        x_train, y_train, x_test, y_test = x[train], y[train], x[held_out], y[held_out]
        if zscore == "split":
            x_train, y_train = (ref_zscore_by_story(a, stories[train]) for a in (x_train, y_train))
            x_test, y_test = (ref_zscore_by_story(a, stories[held_out]) for a in (x_test, y_test))
        pred, chosen = ref_fit(x_train, y_train, x_test, n_inner, chunk_length, seed, normalize)
        r = ref_score(pred, y_test, use_corr=True)
        p = np.array([sps.pearsonr(pred[:, v], y_test[:, v])[1] for v in range(y.shape[1])])
        q = sps.false_discovery_control(p, method="bh")
        rs.append(r)
        ps.append(p)
        sigs.append(q <= alpha_fdr)
        alphas.append(chosen)
    combined = np.array([sps.combine_pvalues([p[v] for p in ps], method="fisher")[1]
                         for v in range(y.shape[1])])
    count = np.sum(sigs, axis=0)
    return {"r": np.mean(rs, axis=0), "p": combined, "alpha": np.mean(alphas, axis=0),
            "q": sps.false_discovery_control(combined, method="bh"), "n_significant_folds": count,
            "majority_significant": count > n_outer / 2}


def data(n_rows=120, n_features=10, n_voxels=7, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_rows, n_features)) * rng.uniform(0.5, 3, n_features)
    y = x @ rng.normal(size=(n_features, n_voxels)) + rng.normal(size=(n_rows, n_voxels)) * \
        np.linspace(1, 40, n_voxels)
    return x, y


# chunked outer folds with no gap, z-scored by story, and the t-test: the tutorial's nested CV
@pytest.mark.parametrize("normalize, gap, outer, zscore, n_stories", [
    (False, 0, "chunked", "story", 1), (True, 0, "chunked", "story", 1),
    (False, 3, "chunked", "story", 1), (False, 3, "kfold", "story", 1),
    (False, 3, "kfold", "split", 1), (True, 0, "chunked", "split", 3),
    (False, 0, "kfold", "split", 3)])
def test_nested_cv_matches_reference(normalize, gap, outer, zscore, n_stories):
    x, y = data(n_rows=160)
    stories = np.repeat(np.arange(n_stories), [160 - 50 * (n_stories - 1)] + [50] * (n_stories - 1))
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, n_outer_folds=4, chunk_length=8,
                              seed=2, mode="nested_cv", normalize_features=normalize, fold_gap=gap,
                              outer_folding_type=outer, outer_zscore=zscore)
    given = x.copy(), y.copy()
    got = fit_nested_cv(x, y, groups=stories, settings=settings)
    np.testing.assert_array_equal(x, given[0])  # z-scoring in place must not reach the inputs
    np.testing.assert_array_equal(y, given[1])
    want = ref_nested(x, y, 4, 3, 8, 2, 0.05, normalize, gap, outer, zscore, stories)
    # float32 products against a float64 reference: r to 1e-5, p and q relatively to 1e-3
    np.testing.assert_allclose(got["r"], want["r"], atol=1e-5, rtol=0)
    for column in ("p", "q"):
        np.testing.assert_allclose(got[column], want[column], rtol=1e-3, err_msg=column)
    np.testing.assert_array_equal(got["alpha"], want["alpha"])
    np.testing.assert_array_equal(got["n_significant_folds"], want["n_significant_folds"])
    np.testing.assert_array_equal(got["majority_significant"], want["majority_significant"])
    np.testing.assert_array_equal(got["significant"], want["q"] <= 0.05)
    assert got["significant"].any() and not got["significant"].all()


def test_train_test_normalize_features_uses_training_statistics():
    x, y = data(seed=4)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, chunk_length=8, seed=1,
                             normalize_features=True)
    got = fit_train_test(x[:90], y[:90], x[90:], y[90:], settings)
    pred, alphas = ref_fit(x[:90], y[:90], x[90:], 3, 8, 1, normalize=True)
    np.testing.assert_allclose(got["r"], ref_score(pred, y[90:], True), atol=1e-5, rtol=0)
    np.testing.assert_array_equal(got["alpha"], alphas)


def test_fit_stories_nested_mode_concatenates_every_story_in_order():
    rng = np.random.default_rng(7)
    stories = ["s3", "s1", "s2"]
    features = {s: rng.normal(size=(40, 6)) for s in stories}
    weights = rng.normal(size=(6, 5))
    responses = {s: features[s] @ weights + rng.normal(size=(40, 5)) for s in stories}
    rows = {s: StoryRows(slice(2, None), slice(2, None)) for s in stories}
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=2, n_outer_folds=3, folding_type="group",
                             mode="nested_cv")
    voxels, summary = fit_stories(features, responses, {s: "train" for s in stories}, rows,
                                  settings)
    assert summary["n_rows"] == 3 * 38 and summary["mode"] == "nested_cv"
    assert summary["n_majority_significant"] == int(voxels["majority_significant"].sum())
    assert {"percent_majority_significant", "median_majority_significant_score"} <= set(summary)
    assert (voxels["r"] > 0.5).all()


def test_constant_and_zero_voxels_get_r0_p1_in_both_modes():
    x, y = data(seed=9)
    y[:, 0] = 3.0
    y[:, 1] = 0.0
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, n_outer_folds=3, chunk_length=8,
                             fold_gap=2)
    train_test = fit_train_test(x[:90], y[:90], x[90:], y[90:], settings)
    nested = fit_nested_cv(x, y, np.zeros(len(x)), settings)
    for voxels in (train_test, nested):
        assert np.isfinite(voxels[["r", "p", "q", "alpha"]].to_numpy()).all()
        np.testing.assert_array_equal(voxels["r"][:2], [0.0, 0.0])
        np.testing.assert_array_equal(voxels["p"][:2], [1.0, 1.0])
        assert not voxels["significant"][:2].any()
        # flagged, and outside the FDR family: the others' q is BH over the others alone
        np.testing.assert_array_equal(voxels["constant"], [True, True] + [False] * (y.shape[1] - 2))
        np.testing.assert_array_equal(voxels["q"][:2], [1.0, 1.0])
        others = voxels["p"].to_numpy()[2:]
        np.testing.assert_allclose(voxels["q"][2:], sps.false_discovery_control(others, method="bh"),
                                   rtol=1e-12)


def test_a_voxel_constant_in_the_test_rows_only_is_flagged_and_warned_about(caplog):
    x, y = data(seed=9)
    y[90:, 3] = 0.0  # varies in training, constant in the test rows
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, chunk_length=8)
    with caplog.at_level("WARNING"):
        voxels = fit_train_test(x[:90], y[:90], x[90:], y[90:], settings)
    np.testing.assert_array_equal(np.flatnonzero(voxels["constant"]), [3])
    assert [r.getMessage()[:14] for r in caplog.records if r.levelname == "WARNING"] == [
        "1 of 7 voxels "]
