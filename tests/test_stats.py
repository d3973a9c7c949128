import numpy as np
import pytest
from scipy import stats as sps

from speech_encoding.modelling.stats import column_correlation, correlation_pvalue, fdr_bh


def reference_correlation(pred, actual):
    r = np.zeros(pred.shape[1])
    for j in range(pred.shape[1]):
        if np.ptp(pred[:, j]) == 0 or np.ptp(actual[:, j]) == 0:
            continue
        r[j] = np.corrcoef(pred[:, j], actual[:, j])[0, 1]
    return r


def reference_bh(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    q = np.empty(m)
    for rank_i, idx in enumerate(order, start=1):
        q[idx] = min(min(1.0, p[order[j - 1]] * m / j) for j in range(rank_i, m + 1))
    return q


def test_column_correlation_matches_corrcoef_and_pearsonr():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=(40, 6))
    pred = 0.5 * actual + rng.normal(size=(40, 6))
    r = column_correlation(pred, actual)
    np.testing.assert_allclose(r, reference_correlation(pred, actual), atol=1e-12)
    scipy_r = [sps.pearsonr(pred[:, j], actual[:, j])[0] for j in range(6)]
    np.testing.assert_allclose(r, scipy_r, atol=1e-12)


def test_column_correlation_constant_column_is_zero():
    rng = np.random.default_rng(1)
    pred = rng.normal(size=(20, 3))
    actual = rng.normal(size=(20, 3))
    pred[:, 0] = 2.5
    actual[:, 2] = -1.0
    r = column_correlation(pred, actual)
    np.testing.assert_allclose(r, reference_correlation(pred, actual), atol=1e-12)
    assert r[0] == 0.0 and r[2] == 0.0 and r[1] != 0.0


@pytest.mark.parametrize("n", [3, 5, 20, 100])
def test_correlation_pvalue_matches_pearsonr(n):
    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, 8))
    b = 0.3 * a + rng.normal(size=(n, 8))
    results = [sps.pearsonr(a[:, j], b[:, j]) for j in range(8)]
    r = np.array([res[0] for res in results])
    expected_p = np.array([res[1] for res in results])
    np.testing.assert_allclose(correlation_pvalue(r, n), expected_p, atol=1e-10)


def test_correlation_pvalue_perfect_correlation_is_zero():
    np.testing.assert_allclose(correlation_pvalue(np.array([1.0, -1.0]), 10), [0.0, 0.0], atol=0)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_correlation_pvalue_too_few_samples_is_one(n):
    np.testing.assert_allclose(correlation_pvalue(np.array([0.9, -0.2, 0.0]), n), 1.0, atol=0)


@pytest.mark.parametrize("p", [
    np.random.default_rng(3).uniform(size=25),
    np.random.default_rng(4).uniform(size=30) ** 4,
    np.array([0.01, 0.04, 0.04, 0.03, 0.9, 0.04, 0.5, 0.01]),  # ties
    np.array([0.8, 0.95, 0.99, 1.0]),                           # scaled values exceed 1
    np.array([0.02]),
])
def test_fdr_bh_matches_reference_and_scipy(p):
    q = fdr_bh(p)
    np.testing.assert_allclose(q, reference_bh(p), atol=1e-12)
    np.testing.assert_allclose(q, sps.false_discovery_control(p, method="bh"), atol=1e-12)
