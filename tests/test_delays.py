import numpy as np
import pytest

from speech_encoding.design_matrix.delays import stack_delays


def reference_stack(data, delays):
    n_rows, n_cols = data.shape
    out = np.zeros((n_rows, n_cols * len(delays)))
    for b, d in enumerate(delays):
        for t in range(n_rows):
            if 0 <= t - d < n_rows:
                out[t, b * n_cols:(b + 1) * n_cols] = data[t - d]
    return out


@pytest.mark.parametrize("delays", [[1, 2, 3, 4], [0], [-2, 3], [3, 1], [7], [9, -9]])
def test_stack_delays_matches_definition(delays):
    data = np.random.default_rng(0).normal(size=(7, 3))
    result = stack_delays(data, delays)
    assert result.shape == (7, 3 * len(delays))
    np.testing.assert_allclose(result, reference_stack(data, delays), atol=0)


def test_stack_delays_delay_past_the_end_is_all_zero():
    data = np.random.default_rng(1).normal(size=(5, 2)) + 10.0
    np.testing.assert_array_equal(stack_delays(data, [5]), np.zeros((5, 2)))


@pytest.mark.parametrize("delays", [[1, 2, 3, 4], [0, -2, 5], [11]])
def test_circpad_wraps_rows_around(delays):
    data = np.random.default_rng(3).normal(size=(7, 3))
    n = len(data)
    expected = np.zeros((n, 3 * len(delays)))
    for block, d in enumerate(delays):
        for t in range(n):
            expected[t, 3 * block:3 * (block + 1)] = data[(t - d) % n]
    np.testing.assert_array_equal(stack_delays(data, delays, circpad=True), expected)
