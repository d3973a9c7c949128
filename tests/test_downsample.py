import itertools
import math

import numpy as np
import pytest

from speech_encoding.design_matrix.downsample import METHODS, downsample, rect_downsample
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
        downsample(np.zeros((3, 1)), np.arange(3.0), np.arange(3.0), 1.0, method="gabor")


def test_rect_downsample_unsorted_times_raise_value_error():
    with pytest.raises(ValueError):
        rect_downsample(np.zeros((3, 1)), np.array([0.0, 2.0, 1.0]), np.arange(3.0), 1.0)


# ---------------------------------------------------------------------------------------------
# Plain loop references for the other methods, written from the definitions (not from the code).


def reference_cutoff(tr_times, tr, cutoff_mult):
    if len(tr_times) == 1:
        return cutoff_mult / tr
    mean_spacing = (tr_times[-1] - tr_times[0]) / (len(tr_times) - 1)
    return cutoff_mult / mean_spacing


def reference_lanczos_weight(x, window):
    if x == 0:
        return 1.0
    if abs(x) > window:
        return 0.0
    return window * math.sin(math.pi * x) * math.sin(math.pi * x / window) / (math.pi * x) ** 2


def reference_lanczos(data, times, tr_times, tr, window=3, cutoff_mult=1.0, rectify=False):
    cutoff = reference_cutoff(tr_times, tr, cutoff_mult)
    n_features = data.shape[1]
    out = np.zeros((len(tr_times), 2 * n_features if rectify else n_features))
    for i in range(len(tr_times)):
        for j in range(len(times)):
            weight = reference_lanczos_weight((tr_times[i] - times[j]) * cutoff, window)
            for k in range(n_features):
                value = data[j, k]
                if not rectify:
                    out[i, k] += weight * value
                elif value < 0:
                    out[i, k] += weight * value
                else:
                    out[i, n_features + k] += weight * value
    return out


def reference_sinc_weight(d, bandwidth, window, causal):
    if abs(d) > window / (2 * bandwidth):
        return 0.0
    if causal and d < 0:
        return 0.0
    if d == 0:
        return 2 * bandwidth
    return 2 * bandwidth * math.sin(2 * math.pi * bandwidth * d) / (2 * math.pi * bandwidth * d)


def reference_sinc(data, times, tr_times, tr, window=3, cutoff_mult=1.0, causal=False, renorm=False):
    bandwidth = reference_cutoff(tr_times, tr, cutoff_mult)
    out = np.zeros((len(tr_times), data.shape[1]))
    for i in range(len(tr_times)):
        weights = [reference_sinc_weight(tr_times[i] - times[j], bandwidth, window, causal)
                   for j in range(len(times))]
        total = sum(weights)
        if renorm and total != 0:
            weights = [w / total for w in weights]
        for j in range(len(times)):
            for k in range(data.shape[1]):
                out[i, k] += weights[j] * data[j, k]
    return out


def reference_interval_rows(times, tr_times, i):
    rows = []
    for j in range(len(times)):
        after_previous = i == 0 or times[j] > tr_times[i - 1]
        if after_previous and times[j] <= tr_times[i]:
            rows.append(j)
    return rows


def reference_per_interval(data, times, tr_times, pick):
    out = np.zeros((len(tr_times), data.shape[1]))
    for i in range(len(tr_times)):
        rows = reference_interval_rows(times, tr_times, i)
        if rows:
            out[i] = pick(data[rows])
    return out


def reference_average(data, times, tr_times, tr):
    return reference_per_interval(data, times, tr_times, lambda rows: np.mean(rows, axis=0))


def reference_last(data, times, tr_times, tr):
    return reference_per_interval(data, times, tr_times, lambda rows: rows[-1])


def random_case(seed=10):
    """37 samples at irregular sorted times (a gap around 8-12 s, some past the last TR, three
    exactly on TR times) and 9 slightly irregular TR times about 2 s apart, 3 features."""
    rng = np.random.default_rng(seed)
    tr = 2.0
    tr_times = 1.0 + tr * np.arange(9) + rng.uniform(-0.2, 0.2, 9)
    times = np.sort(np.concatenate([rng.uniform(-2.0, 8.0, 20), rng.uniform(12.0, 22.0, 14),
                                    tr_times[[0, 3, 8]]]))
    data = rng.normal(size=(len(times), 3))
    return data, times, tr_times, tr


LANCZOS_CASES = [dict(zip(("window", "cutoff_mult", "rectify"), combo))
                 for combo in itertools.product((1, 2.5, 3), (1.0, 0.6), (False, True))]
SINC_CASES = [dict(zip(("window", "cutoff_mult", "causal", "renorm"), combo))
              for combo in itertools.product((1, 3), (1.0, 1.7), (False, True), (False, True))]


def test_interface_lists_methods_and_their_options():
    options = {name: METHODS.lookup(name).options for name in METHODS}
    assert options == {"rect": (), "lanczos": ("window", "cutoff_mult", "rectify"),
                       "sinc": ("window", "cutoff_mult", "causal", "renorm"),
                       "average": (), "last": ()}
    assert METHODS.names == ("rect", "lanczos", "sinc", "average", "last")


KERNEL_CASES = ([("lanczos", reference_lanczos, options) for options in [{}] + LANCZOS_CASES] +
                [("sinc", reference_sinc, options) for options in [{}] + SINC_CASES])


@pytest.mark.parametrize("method, reference, options", KERNEL_CASES,
                         ids=lambda value: getattr(value, "__name__", str(value)))
def test_kernel_methods_match_loop_reference(method, reference, options):
    data, times, tr_times, tr = random_case()
    result = downsample(data, times, tr_times, tr, method=method, **options)
    expected = reference(data, times, tr_times, tr, **options)
    assert result.dtype == np.float64
    assert result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("method, reference", [("average", reference_average),
                                               ("last", reference_last)])
def test_average_and_last_match_loop_reference(method, reference):
    data, times, tr_times, tr = random_case()
    result = downsample(data, times, tr_times, tr, method=method)
    expected = reference(data, times, tr_times, tr)
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10)
    # the case covers an empty interval (no samples between about 8 and 12 s) and dropped samples
    assert any(not reference_interval_rows(times, tr_times, i) for i in range(len(tr_times)))
    assert np.any(times > tr_times[-1])


@pytest.mark.parametrize("method, reference", [("lanczos", reference_lanczos),
                                               ("sinc", reference_sinc)])
def test_single_tr_time_uses_one_over_tr_as_cutoff(method, reference):
    data, times, _, _ = random_case()
    tr_times, tr = np.array([5.3]), 2.5
    result = downsample(data, times, tr_times, tr, method=method, cutoff_mult=0.8)
    expected = reference(data, times, tr_times, tr, cutoff_mult=0.8)
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-10)
    assert np.any(expected != 0)


def test_lanczos_weight_at_zero_lag_is_one():
    times = np.array([-30.0, 10.0, 45.0])  # only 10.0 lies within 3 lobes (6 s) of either TR
    data = np.array([[100.0, -7.0], [2.5, -1.25], [50.0, 9.0]])
    tr_times = np.array([10.0, 12.0])  # cutoff 0.5 Hz; the TR at 12 sees 10.0 at lobe zero x = 1
    result = downsample(data, times, tr_times, 2.0, method="lanczos")
    np.testing.assert_allclose(result[0], [2.5, -1.25], rtol=0, atol=1e-12)
    np.testing.assert_allclose(result[1], [0.0, 0.0], rtol=0, atol=1e-12)


def test_lanczos_rectify_shape_and_block_order():
    data, times, tr_times, tr = random_case()
    n_features = data.shape[1]
    plain = downsample(data, times, tr_times, tr, method="lanczos")
    rectified = downsample(data, times, tr_times, tr, method="lanczos", rectify=True)
    assert rectified.shape == (len(tr_times), 2 * n_features)
    # negative part first: positive-only data fills only the second block, negative-only the first
    positive = downsample(np.abs(data), times, tr_times, tr, method="lanczos", rectify=True)
    negative = downsample(-np.abs(data), times, tr_times, tr, method="lanczos", rectify=True)
    np.testing.assert_array_equal(positive[:, :n_features], 0.0)
    np.testing.assert_array_equal(negative[:, n_features:], 0.0)
    np.testing.assert_allclose(positive[:, n_features:],
                               downsample(np.abs(data), times, tr_times, tr, method="lanczos"),
                               rtol=0, atol=1e-12)
    assert np.abs(negative[:, :n_features]).max() > 0.1
    # the two blocks add back up to the unrectified output
    np.testing.assert_allclose(rectified[:, :n_features] + rectified[:, n_features:], plain,
                               rtol=0, atol=1e-12)


def test_sinc_renorm_rows_sum_to_one_when_nonzero():
    data, times, tr_times, tr = random_case()
    ones = np.ones((len(times), 2))
    ones[:, 1] = 3.0
    row_sums = downsample(ones, times, tr_times, tr, method="sinc", window=1, renorm=True)[:, 0]
    scaled = downsample(ones, times, tr_times, tr, method="sinc", window=1, renorm=True)[:, 1]
    nonzero = row_sums != 0
    np.testing.assert_allclose(row_sums[nonzero], 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(scaled[nonzero], 3.0, rtol=0, atol=1e-12)
    # the window reaches 1 s either side, so the TR near 11 s sits in the sample gap: a zero row
    assert nonzero.sum() >= 5 and (~nonzero).sum() >= 1
    unnormalised = downsample(ones, times, tr_times, tr, method="sinc", window=1)[:, 0]
    assert np.abs(unnormalised[nonzero] - 1.0).max() > 0.05


def test_sinc_causal_ignores_later_samples():
    data, times, tr_times, tr = random_case()
    causal = downsample(data, times, tr_times, tr, method="sinc", causal=True)
    acausal = downsample(data, times, tr_times, tr, method="sinc")
    for i in (1, 3, 6):
        changed = data.copy()
        changed[times > tr_times[i]] += 5.0
        np.testing.assert_allclose(
            downsample(changed, times, tr_times, tr, method="sinc", causal=True)[i], causal[i],
            rtol=0, atol=1e-12)
        assert np.abs(downsample(changed, times, tr_times, tr, method="sinc")[i] - acausal[i]).max() > 1e-3
    # the sample exactly at a TR time (d = 0) still counts, with weight 2B
    only = np.array([[4.0]])
    single = downsample(only, np.array([3.0]), np.array([1.0, 3.0]), 2.0, method="sinc", causal=True)
    np.testing.assert_allclose(single[1], [2 * 0.5 * 4.0], rtol=0, atol=1e-12)


def test_average_and_last_boundaries_drop_late_samples_and_zero_empty_intervals():
    tr_times = np.array([1.0, 2.0, 3.0, 4.0])
    times = np.array([0.5, 1.0, 1.5, 1.7, 3.2, 4.0, 4.5, 5.0])
    data = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [4.0, 40.0],
                     [5.0, 50.0], [6.0, 60.0], [7.0, 70.0], [8.0, 80.0]])
    # TR 0: time <= 1 (0.5, 1.0); TR 1: (1, 2] (1.5, 1.7); TR 2: (2, 3] none; TR 3: (3, 4] (3.2, 4.0)
    # 4.5 and 5.0 lie after the last TR time and are dropped
    expected_average = np.array([[1.5, 15.0], [3.5, 35.0], [0.0, 0.0], [5.5, 55.0]])
    expected_last = np.array([[2.0, 20.0], [4.0, 40.0], [0.0, 0.0], [6.0, 60.0]])
    np.testing.assert_allclose(downsample(data, times, tr_times, 1.0, method="average"),
                               expected_average, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(downsample(data, times, tr_times, 1.0, method="last"), expected_last)


@pytest.mark.parametrize("method, key", [("rect", "window"), ("lanczos", "causal"),
                                         ("lanczos", "renorm"), ("sinc", "rectify"),
                                         ("average", "window"), ("last", "cutoff_mult"),
                                         ("sinc", "split_indices")])
def test_option_not_valid_for_method_raises_input_error(method, key):
    with pytest.raises(InputError) as caught:
        downsample(np.zeros((3, 1)), np.arange(3.0), np.arange(3.0), 1.0, method=method, **{key: 1})
    assert f"downsample.{key}" in str(caught.value)


def test_unknown_method_message_names_setting_and_known_methods():
    with pytest.raises(InputError) as caught:
        downsample(np.zeros((3, 1)), np.arange(3.0), np.arange(3.0), 1.0, method="legacy_average")
    message = str(caught.value)
    assert "downsample.method" in message and "legacy_average" in message
    for method in ("rect", "lanczos", "sinc", "average", "last"):
        assert method in message


@pytest.mark.parametrize("method, options, key", [("lanczos", {"window": 0}, "window"),
                                                  ("sinc", {"cutoff_mult": -1.0}, "cutoff_mult"),
                                                  ("lanczos", {"rectify": "yes"}, "rectify"),
                                                  ("sinc", {"renorm": 1}, "renorm")])
def test_bad_option_values_raise_input_error(method, options, key):
    with pytest.raises(InputError) as caught:
        downsample(np.zeros((3, 1)), np.arange(3.0), np.arange(3.0), 1.0, method=method, **options)
    assert f"downsample.{key}" in str(caught.value)
