import numpy as np
import pytest

from speech_encoding.design_matrix.preprocess import prepare_features, prepare_responses, zscore_columns
from speech_encoding.design_matrix.trimming import explicit_rows


def reference_zscore(x, clean_nan=False):
    out = np.zeros(x.shape)
    for j in range(x.shape[1]):
        col = x[:, j]
        if clean_nan and np.any(np.isnan(col)):
            continue  # a column containing NaN becomes zeros
        if all(v == col[0] for v in col):
            continue  # a constant column is only demeaned, i.e. becomes zeros
        mean = sum(col) / len(col)
        std = np.sqrt(sum((v - mean) ** 2 for v in col) / len(col))
        out[:, j] = (col - mean) / std
    return out


def test_zscore_columns_matches_definition():
    x = np.random.default_rng(0).normal(loc=3.0, scale=2.0, size=(25, 5))
    z = zscore_columns(x)
    np.testing.assert_allclose(z, reference_zscore(x), atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-12)


@pytest.mark.parametrize("value", [0.0, 0.1, 7.7, -123.456])
def test_zscore_constant_column_becomes_zeros(value):
    x = np.random.default_rng(1).normal(size=(13, 3))
    x[:, 1] = value
    z = zscore_columns(x)
    np.testing.assert_allclose(z[:, 1], 0.0, atol=1e-12)
    np.testing.assert_allclose(z, reference_zscore(x), atol=1e-12)


TRIMMING = {
    "train_features_start": 2, "train_features_end": -1,
    "train_targets_start": 0, "train_targets_end": None,
    "test_features_start": 1, "test_features_end": 9,
    "test_targets_start": 3,  # test_targets_end missing -> None
}


@pytest.mark.parametrize("split, f_slice, t_slice", [
    ("train", slice(2, -1), slice(0, None)),
    ("test", slice(1, 9), slice(3, None)),
])
def test_prepare_features_and_responses_trim_then_zscore(split, f_slice, t_slice):
    rng = np.random.default_rng(2)
    features = rng.normal(size=(15, 4)) * 5 + 1
    responses = rng.normal(size=(12, 3)) * 2 - 4
    rows = explicit_rows(TRIMMING, split)
    x = prepare_features(features, rows.features)
    y = prepare_responses(responses, rows.targets)
    np.testing.assert_allclose(x, reference_zscore(features[f_slice]), atol=1e-12)
    np.testing.assert_allclose(y, reference_zscore(responses[t_slice]), atol=1e-12)


def test_prepare_by_default_keeps_all_rows():
    rng = np.random.default_rng(3)
    features, responses = rng.normal(size=(9, 2)), rng.normal(size=(9, 2))
    x, y = prepare_features(features), prepare_responses(responses)
    np.testing.assert_allclose(x, reference_zscore(features), atol=1e-12)
    np.testing.assert_allclose(y, reference_zscore(responses), atol=1e-12)


def test_prepare_nan_features_become_zero_but_responses_keep_nan():
    rng = np.random.default_rng(4)
    features = rng.normal(size=(10, 3))
    features[4, 1] = np.nan
    responses = rng.normal(size=(10, 2))
    responses[5, 0] = np.nan
    x, y = prepare_features(features), prepare_responses(responses)
    np.testing.assert_allclose(x, reference_zscore(features, clean_nan=True), atol=1e-12)
    np.testing.assert_array_equal(x[:, 1], 0.0)
    assert np.isnan(y[:, 0]).all()  # NaN mean spreads over the column; not cleaned
    np.testing.assert_allclose(y[:, 1], reference_zscore(responses[:, 1:])[:, 0], atol=1e-12)
