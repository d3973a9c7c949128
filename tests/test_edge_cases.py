"""Numerical edge cases through the whole fit: every output finite, with a documented meaning."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ridge_settings
from ridge_reference import assert_best_within, ref_cv_scores, ref_folds, ref_predict, ref_score

from speech_encoding.design_matrix.delays import stack_delays
from speech_encoding.modelling.fit import fit_stories

ALPHAS = tuple(np.logspace(-1, 8, 10))


def stories(n_stories=3, n_rows=40, n_features=5, n_voxels=6, seed=0):
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(n_features, n_voxels))
    features = {f"s{i}": rng.normal(size=(n_rows, n_features)) for i in range(n_stories)}
    responses = {s: x @ weights + rng.normal(size=(n_rows, n_voxels)) for s, x in features.items()}
    splits = {s: "train" for s in features}
    splits[f"s{n_stories - 1}"] = "test"
    return features, responses, splits


def fit(features, responses, splits, **ridge):
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, chunk_length=5, **ridge)
    voxels, summary = fit_stories(features, responses, splits, None, settings)
    values = voxels[["r", "p", "q", "alpha"]].to_numpy()
    assert np.isfinite(values).all()
    assert all(np.isfinite(v) for v in summary.values() if isinstance(v, float))
    return voxels


@pytest.mark.parametrize("scale", [1e12, 1e-12])
def test_feature_scale_does_not_matter(scale):
    features, responses, splits = stories()
    reference = fit(features, responses, splits)
    scaled = fit({s: x * scale for s, x in features.items()}, responses, splits)
    np.testing.assert_allclose(scaled["r"], reference["r"], atol=1e-6)


def test_constant_feature_columns_are_harmless():
    features, responses, splits = stories()
    with_constants = {s: np.hstack([x, np.full((len(x), 2), 7.0)]) for s, x in features.items()}
    np.testing.assert_allclose(fit(with_constants, responses, splits)["r"],
                               fit(features, responses, splits)["r"], atol=1e-8)


def test_constant_and_all_zero_voxels_get_r0_p1():
    features, responses, splits = stories()
    for y in responses.values():
        y[:, 0] = 0.0
        y[:, 1] = -3.5
    voxels = fit(features, responses, splits)
    assert voxels["r"][:2].tolist() == [0.0, 0.0] and voxels["p"][:2].tolist() == [1.0, 1.0]


def zscored(x: np.ndarray) -> np.ndarray:
    """Each column minus its mean, over its std (ddof 0)."""
    return (x - x.mean(axis=0)) / x.std(axis=0)


def test_more_features_than_training_rows():
    """90 features, 40 training rows (the kernel form): the test r is that of a plain SVD ridge
    with the chosen alphas, and each chosen alpha is the best in a plain inner CV."""
    features, responses, splits = stories(n_rows=20, n_features=90)
    voxels = fit(features, responses, splits)
    x_train, y_train = (np.vstack([zscored(data[s]) for s in ("s0", "s1")])
                        for data in (features, responses))
    x_test, y_test = zscored(features["s2"]), zscored(responses["s2"])
    alphas = voxels["alpha"].to_numpy()
    prediction = ref_predict(x_train, y_train, x_test, alphas, 1e-10, True)
    # float32 products against a float64 reference
    np.testing.assert_allclose(voxels["r"], ref_score(prediction, y_test, True), atol=1e-5, rtol=0)
    folds = ref_folds(len(x_train), 3, "chunked", 5, 0)
    scores = ref_cv_scores(x_train, y_train, folds, ALPHAS, 1e-10, True, True)
    assert_best_within(alphas, ALPHAS, scores, 1e-4)


def test_single_training_story():
    features, responses, splits = stories(n_stories=2)
    voxels = fit(features, responses, splits)
    assert (voxels["r"] > 0.3).sum() >= 3


def test_test_story_shorter_than_the_delays_scores_zero():
    features, responses, splits = stories()
    short = "s2"
    features[short] = stack_delays(features[short][:3], [3])
    assert not features[short].any()
    responses[short] = responses[short][:3]
    voxels = fit(features, responses, splits)
    assert voxels["r"].tolist() == [0.0] * 6 and voxels["p"].tolist() == [1.0] * 6
