import numpy as np
import pytest

from speech_encoding.downsample import downsample, rect_downsample
from speech_encoding.errors import InputError


def reference_rect(data, times, tr_times, tr):
    out = np.zeros((len(tr_times), data.shape[1]))
    for i, t in enumerate(tr_times):
        rows = [k for k in range(len(times)) if t - tr / 2 <= times[k] < t + tr / 2]
        if rows:
            out[i] = np.mean(data[rows], axis=0)
    return out


def test_rect_downsample_grid_times_on_window_boundaries():
    rng = np.random.default_rng(0)
    tr = 2.0
    times = np.arange(0.0, 20.0, 0.5)  # 0, 2, 4, ... lie exactly on the lower edges
    data = rng.normal(size=(len(times), 3))
    tr_times = 1.0 + 2.0 * np.arange(12)  # the last two TRs (21, 23) have no samples
    expected = reference_rect(data, times, tr_times, tr)
    np.testing.assert_allclose(rect_downsample(data, times, tr_times, tr), expected, atol=1e-10)
    # each covered TR averages exactly 4 samples, and the TRs past the data are zero rows
    np.testing.assert_allclose(expected[0], data[:4].mean(axis=0), atol=1e-12)
    np.testing.assert_array_equal(expected[-2:], 0.0)


def test_rect_downsample_random_sorted_times_with_gaps():
    rng = np.random.default_rng(1)
    tr = 2.0
    times = np.sort(np.concatenate([rng.uniform(0, 8, 15), rng.uniform(14, 20, 10), [4.0, 10.0]]))
    data = rng.normal(size=(len(times), 4))
    tr_times = 1.0 + 2.0 * np.arange(11)  # TRs at 9 and 13 are empty; t = 11 holds only 10.0
    result = rect_downsample(data, times, tr_times, tr)
    expected = reference_rect(data, times, tr_times, tr)
    np.testing.assert_allclose(result, expected, atol=1e-10)
    # the reference sees the empty TRs, and the sample at 10.0 only in [10, 12), not [8, 10)
    np.testing.assert_array_equal(expected[[4, 6]], 0.0)
    np.testing.assert_allclose(expected[5], data[times == 10.0][0], atol=0)


def test_downsample_rect_method_matches_rect_downsample():
    rng = np.random.default_rng(2)
    times = np.sort(rng.uniform(0, 10, 30))
    data = rng.normal(size=(30, 2))
    tr_times = np.arange(0.0, 11.0, 1.5)
    np.testing.assert_allclose(downsample(data, times, tr_times, 1.5, method="rect"),
                               reference_rect(data, times, tr_times, 1.5), atol=1e-10)


def test_downsample_unknown_method_raises_input_error():
    with pytest.raises(InputError):
        downsample(np.zeros((3, 1)), np.arange(3.0), np.arange(3.0), 1.0, method="lanczos")


def test_rect_downsample_unsorted_times_raise_value_error():
    with pytest.raises(ValueError):
        rect_downsample(np.zeros((3, 1)), np.array([0.0, 2.0, 1.0]), np.arange(3.0), 1.0)
