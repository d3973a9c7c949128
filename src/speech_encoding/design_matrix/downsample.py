"""Downsampling of features from window times onto a story's TR times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse

from ..errors import InputError
from ..registry import Registry

# Pairs this much (relative) beyond a kernel's support are kept in the band and then zeroed
# by the kernel's own |d| test, so rounding in the band search can never drop a sample.
_BAND_SLACK = 1e-6


def _as_arrays(data: np.ndarray, times: np.ndarray,
               tr_times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float64 copies of the inputs, checking shapes and that sample times are sorted."""
    data = np.asarray(data, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    tr_times = np.asarray(tr_times, dtype=np.float64)
    if data.ndim != 2 or times.shape != (data.shape[0],) or tr_times.ndim != 1:
        raise ValueError(f"expected data (n, f), times (n,), tr_times (m,); got "
                         f"{data.shape}, {times.shape}, {tr_times.shape}")
    if np.any(np.diff(times) < 0):
        raise ValueError("sample times must be sorted")
    return data, times, tr_times


def _interval_means(data: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Mean of data[lower[i]:upper[i]] for each i (prefix sums); zero rows where the slice is empty."""
    cumulative = np.vstack([np.zeros((1, data.shape[1])), np.cumsum(data, axis=0)])
    counts = (upper - lower)[:, None]
    sums = cumulative[upper] - cumulative[lower]
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def rect_downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float) -> np.ndarray:
    """Mean of the rows whose time lies in [t - tr/2, t + tr/2) for each TR time t; zeros where none.

    `times` must be sorted (window end times are).

    Parameters
    ----------
    data : np.ndarray
        (n_samples, n_features) features, one row per sample (e.g. per window), any real dtype.
    times : np.ndarray
        (n_samples,) time of each row in seconds, sorted ascending (window end times are).
    tr_times : np.ndarray
        (n_trs,) TR times in seconds.
    tr : float
        Repetition time in seconds: the width of each TR's interval.

    Returns
    -------
    np.ndarray
        (n_trs, n_features) float64.
    """
    data, times, tr_times = _as_arrays(data, times, tr_times)
    lower = np.searchsorted(times, tr_times - tr / 2, side="left")
    upper = np.searchsorted(times, tr_times + tr / 2, side="left")
    return _interval_means(data, lower, upper)


def _between_tr_bounds(times: np.ndarray, tr_times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per TR i, the sample index range [lower, upper) with tr_times[i-1] < time <= tr_times[i]."""
    if np.any(np.diff(tr_times) < 0):
        raise InputError("tr_times: TR times must be sorted ascending for average/last downsampling")
    upper = np.searchsorted(times, tr_times, side="right")
    lower = np.concatenate(([0], upper))[:-1]
    return lower, upper


def average_downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float) -> np.ndarray:
    """Mean of the samples with tr_times[i-1] < time <= tr_times[i] (time <= tr_times[0] for i = 0).

    Samples later than tr_times[-1] are dropped; a TR with no samples gets a zero row. `tr` is
    unused (kept for a uniform signature). LITcoder's average/last group samples by caller-supplied
    split indices rather than by time, so this boundary convention is this library's own.

    Parameters
    ----------
    data : np.ndarray
        (n_samples, n_features) features, one row per sample (e.g. per window), any real dtype.
    times : np.ndarray
        (n_samples,) time of each row in seconds, sorted ascending (window end times are).
    tr_times : np.ndarray
        (n_trs,) TR times in seconds. Must be sorted ascending (else InputError).
    tr : float
        Unused.

    Returns
    -------
    np.ndarray
        (n_trs, n_features) float64.
    """
    data, times, tr_times = _as_arrays(data, times, tr_times)
    return _interval_means(data, *_between_tr_bounds(times, tr_times))


def last_downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float) -> np.ndarray:
    """Last sample with tr_times[i-1] < time <= tr_times[i] (time <= tr_times[0] for i = 0).

    Samples later than tr_times[-1] are dropped; a TR with no samples gets a zero row. `tr` is
    unused (kept for a uniform signature). Same intervals as `average_downsample`.

    Parameters
    ----------
    data : np.ndarray
        (n_samples, n_features) features, one row per sample (e.g. per window), any real dtype.
    times : np.ndarray
        (n_samples,) time of each row in seconds, sorted ascending (window end times are).
    tr_times : np.ndarray
        (n_trs,) TR times in seconds. Must be sorted ascending (else InputError).
    tr : float
        Unused.

    Returns
    -------
    np.ndarray
        (n_trs, n_features) float64.
    """
    data, times, tr_times = _as_arrays(data, times, tr_times)
    lower, upper = _between_tr_bounds(times, tr_times)
    out = np.zeros((len(tr_times), data.shape[1]))
    filled = upper > lower
    out[filled] = data[upper[filled] - 1]
    return out


def _positive(name: str, value: Any) -> float:
    """`value` as a finite positive float, else InputError naming downsample.<name>."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, (bool, np.bool_)) or not np.isfinite(number) or number <= 0:
        raise InputError(f"downsample.{name}: must be a positive number, got {value!r}")
    return number


def _flag(name: str, value: Any) -> bool:
    """`value` as a bool, else InputError naming downsample.<name>."""
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"downsample.{name}: must be true or false, got {value!r}")
    return bool(value)


def _cutoff(tr_times: np.ndarray, tr: float, cutoff_mult: float) -> float:
    """Low-pass cutoff in Hz: cutoff_mult / mean TR spacing (cutoff_mult / tr with under two TR times)."""
    spacing = float(np.mean(np.diff(tr_times))) if len(tr_times) > 1 else float(tr)
    if not np.isfinite(spacing) or spacing <= 0:
        raise InputError(f"tr_times: mean TR spacing must be positive for the cutoff, got {spacing}")
    return cutoff_mult / spacing


def _band_pairs(times: np.ndarray, tr_times: np.ndarray,
                half_width: float) -> tuple[np.ndarray, np.ndarray]:
    """(TR, sample) index pairs with |tr_times[i] - times[j]| within half_width (plus slack); times sorted."""
    reach = half_width * (1 + _BAND_SLACK)
    lower = np.searchsorted(times, tr_times - reach, side="left")
    upper = np.searchsorted(times, tr_times + reach, side="right")
    counts = upper - lower
    rows = np.repeat(np.arange(len(tr_times)), counts)
    block_starts = np.repeat(np.cumsum(counts) - counts, counts)
    cols = np.arange(counts.sum()) - block_starts + np.repeat(lower, counts)
    return rows, cols


def lanczos_kernel(x: np.ndarray, window: float) -> np.ndarray:
    """Lanczos kernel window*sin(pi x)*sin(pi x/window)/(pi x)^2 (1 at x = 0), zero where |x| > window.

    Parameters
    ----------
    x : np.ndarray
        Time differences times the cutoff frequency, (tr_times[i] - times[j]) * cutoff; any shape.
    window : float
        Number of lobes on each side.

    Returns
    -------
    np.ndarray
        Same shape as `x`; float64 for float64 `x`.
    """
    return np.where(np.abs(x) > window, 0.0, np.sinc(x) * np.sinc(x / window))


def sinc_kernel(d: np.ndarray, bandwidth: float, window: float, causal: bool) -> np.ndarray:
    """2B sin(2 pi B d)/(2 pi B d) (2B at d = 0), zero where |d| > window/(2B), and where d < 0 if causal.

    Parameters
    ----------
    d : np.ndarray
        Time differences in seconds (TR time minus sample time), any shape.
    bandwidth : float
        B, in Hz.
    window : float
        Number of lobes on each side.
    causal : bool

    Returns
    -------
    np.ndarray
        Same shape as `d`; float64 for float64 `d`.
    """
    zero = np.abs(d) > window / (2 * bandwidth)
    if causal:
        zero |= d < 0
    return np.where(zero, 0.0, 2 * bandwidth * np.sinc(2 * bandwidth * d))


def _sparse_weights(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray,
                    shape: tuple[int, int]) -> sparse.csr_array:
    """The (TRs x samples) weight matrix from its banded entries."""
    return sparse.csr_array((weights, (rows, cols)), shape=shape)


def lanczos_weights(times: np.ndarray, tr_times: np.ndarray, cutoff: float,
                    window: float) -> sparse.csr_array:
    """Sparse W[i, j] = L((tr_times[i] - times[j]) * cutoff) with the Lanczos kernel L.

    Parameters
    ----------
    times : np.ndarray
        (n_samples,) float64 sample times in seconds, sorted ascending.
    tr_times : np.ndarray
        (n_trs,) float64 TR times in seconds.
    cutoff : float
        Cutoff frequency in Hz.
    window : float
        Number of lobes on each side.

    Returns
    -------
    scipy.sparse.csr_array
        (n_trs, n_samples) float64, nonzero only within window / cutoff seconds of each TR.
    """
    rows, cols = _band_pairs(times, tr_times, window / cutoff)
    weights = lanczos_kernel((tr_times[rows] - times[cols]) * cutoff, window)
    return _sparse_weights(rows, cols, weights, (len(tr_times), len(times)))


def _renormalised(rows: np.ndarray, weights: np.ndarray, n_rows: int) -> np.ndarray:
    """Weights divided by their row's sum; rows summing to zero stay zero."""
    row_sums = np.bincount(rows, weights=weights, minlength=n_rows)[rows]
    return np.divide(weights, row_sums, out=np.zeros_like(weights), where=row_sums != 0)


def sinc_weights(times: np.ndarray, tr_times: np.ndarray, bandwidth: float, window: float,
                 causal: bool, renorm: bool) -> sparse.csr_array:
    """Sparse W[i, j] = windowed sinc of d = tr_times[i] - times[j], optionally causal and row-normalised.

    Parameters
    ----------
    times : np.ndarray
        (n_samples,) float64 sample times in seconds, sorted ascending.
    tr_times : np.ndarray
        (n_trs,) float64 TR times in seconds.
    bandwidth : float
        Bandwidth in Hz.
    window : float
        Number of lobes on each side.
    causal : bool
        Zero weight for samples later than the TR time.
    renorm : bool
        Divide each row by its sum (rows summing to zero stay zero).

    Returns
    -------
    scipy.sparse.csr_array
        (n_trs, n_samples) float64, nonzero only within window / (2 bandwidth) seconds of each TR.
    """
    rows, cols = _band_pairs(times, tr_times, window / (2 * bandwidth))
    weights = sinc_kernel(tr_times[rows] - times[cols], bandwidth, window, causal)
    if renorm:
        weights = _renormalised(rows, weights, len(tr_times))
    return _sparse_weights(rows, cols, weights, (len(tr_times), len(times)))


def lanczos_downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float,
                       window: float = 3, cutoff_mult: float = 1.0, rectify: bool = False) -> np.ndarray:
    """W @ data with Lanczos weights; with rectify, [W @ min(data, 0) | W @ max(data, 0)].

    Parameters
    ----------
    data : np.ndarray
        (n_samples, n_features) features, one row per sample (e.g. per window), any real dtype.
    times : np.ndarray
        (n_samples,) time of each row in seconds, sorted ascending (window end times are).
    tr_times : np.ndarray
        (n_trs,) TR times in seconds.
    tr : float
        Repetition time in seconds; sets the cutoff when there are fewer than two TR times.
    window : float
        Number of lobes on each side (positive).
    cutoff_mult : float
        Cutoff frequency as a multiple of 1 / (mean TR spacing) (positive).
    rectify : bool

    Returns
    -------
    np.ndarray
        (n_trs, n_features) float64, or (n_trs, 2 * n_features) with `rectify` (negative part
        first).
    """
    data, times, tr_times = _as_arrays(data, times, tr_times)
    window, rectify = _positive("window", window), _flag("rectify", rectify)
    cutoff = _cutoff(tr_times, tr, _positive("cutoff_mult", cutoff_mult))
    weights = lanczos_weights(times, tr_times, cutoff, window)
    if rectify:
        return np.hstack([weights @ np.minimum(data, 0.0), weights @ np.maximum(data, 0.0)])
    return weights @ data


def sinc_downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float,
                    window: float = 3, cutoff_mult: float = 1.0, causal: bool = False,
                    renorm: bool = False) -> np.ndarray:
    """W @ data with windowed-sinc weights (bandwidth = the Lanczos cutoff rule).

    Parameters
    ----------
    data : np.ndarray
        (n_samples, n_features) features, one row per sample (e.g. per window), any real dtype.
    times : np.ndarray
        (n_samples,) time of each row in seconds, sorted ascending (window end times are).
    tr_times : np.ndarray
        (n_trs,) TR times in seconds.
    tr : float
        Repetition time in seconds; sets the bandwidth when there are fewer than two TR times.
    window : float
        Number of lobes on each side (positive).
    cutoff_mult : float
        Bandwidth as a multiple of 1 / (mean TR spacing) (positive).
    causal : bool
        Use only samples at or before each TR time.
    renorm : bool
        Normalise each TR's weights to sum to one.

    Returns
    -------
    np.ndarray
        (n_trs, n_features) float64.
    """
    data, times, tr_times = _as_arrays(data, times, tr_times)
    window = _positive("window", window)
    causal, renorm = _flag("causal", causal), _flag("renorm", renorm)
    bandwidth = _cutoff(tr_times, tr, _positive("cutoff_mult", cutoff_mult))
    return sinc_weights(times, tr_times, bandwidth, window, causal, renorm) @ data


class Support(NamedTuple):
    """The time interval each TR's row draws on: lower[i] to upper[i] seconds, each end closed
    (the sample at that time counts) or open; `latest_only` when a row takes only the latest
    sample in its interval (so earlier samples do not change it)."""

    lower: np.ndarray
    upper: np.ndarray
    lower_closed: bool
    upper_closed: bool
    latest_only: bool = False


def rect_support(tr_times: np.ndarray, tr: float, **_options: Any) -> Support:
    """[t - tr/2, t + tr/2) around each TR time t."""
    return Support(tr_times - tr / 2, tr_times + tr / 2, True, False)


def lanczos_support(tr_times: np.ndarray, tr: float, window: float = 3, cutoff_mult: float = 1.0,
                    **_options: Any) -> Support:
    """[t - h, t + h] with h = window / cutoff, where the Lanczos kernel is nonzero."""
    half = _positive("window", window) / _cutoff(tr_times, tr, _positive("cutoff_mult", cutoff_mult))
    return Support(tr_times - half, tr_times + half, True, True)


def sinc_support(tr_times: np.ndarray, tr: float, window: float = 3, cutoff_mult: float = 1.0,
                 causal: bool = False, **_options: Any) -> Support:
    """[t - h, t + h] with h = window / (2 bandwidth); [t - h, t] when causal."""
    bandwidth = _cutoff(tr_times, tr, _positive("cutoff_mult", cutoff_mult))
    half = _positive("window", window) / (2 * bandwidth)
    upper = tr_times if _flag("causal", causal) else tr_times + half
    return Support(tr_times - half, upper, True, True)


def average_support(tr_times: np.ndarray, tr: float, **_options: Any) -> Support:
    """(previous TR time, t] for each TR time t; (-inf, t] for the first."""
    return Support(np.concatenate(([-np.inf], tr_times[:-1])), tr_times, False, True)


def last_support(tr_times: np.ndarray, tr: float, **_options: Any) -> Support:
    """The intervals of `average_support`, of which a row takes only the latest sample."""
    return average_support(tr_times, tr)._replace(latest_only=True)


@dataclass(frozen=True)
class DownsampleMethod:
    """A downsampling function (data, times, tr_times, tr, **options), the options it takes, and
    the interval of sample times each TR's row draws on (tr_times, tr, **options)."""

    function: Callable[..., np.ndarray]
    support: Callable[..., Support]
    options: tuple[str, ...] = ()


METHODS: Registry[DownsampleMethod] = Registry("method", "downsample.method", [
    ("rect", DownsampleMethod(rect_downsample, rect_support)),
    ("lanczos", DownsampleMethod(lanczos_downsample, lanczos_support, ("window", "cutoff_mult", "rectify"))),
    ("sinc", DownsampleMethod(sinc_downsample, sinc_support, ("window", "cutoff_mult", "causal", "renorm"))),
    ("average", DownsampleMethod(average_downsample, average_support)),
    ("last", DownsampleMethod(last_downsample, last_support)),
])


def downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float,
               method: str = "rect", **options: Any) -> np.ndarray:
    """Put features sampled at `times` onto `tr_times` with the named method and its options.

    Parameters
    ----------
    data : np.ndarray
        (n_samples, n_features) features, one row per sample (window), any real dtype.
    times : np.ndarray
        (n_samples,) time of each row in seconds, sorted ascending.
    tr_times : np.ndarray
        (n_trs,) TR times in seconds (sorted ascending for 'average' and 'last').
    tr : float
        Repetition time in seconds.
    method : str
        A name in `METHODS`: 'rect', 'lanczos', 'sinc', 'average' or 'last'.
    **options
        The method's options (`DownsampleMethod.options`); any other is an InputError.

    Returns
    -------
    np.ndarray
        (n_trs, n_features) float64; (n_trs, 2 * n_features) for 'lanczos' with rectify.
    """
    chosen = METHODS.lookup(method)
    for key in options:
        if key not in chosen.options:
            raise InputError(f"downsample.{key}: option {key!r} is not valid for method {method!r} "
                             f"(valid: {', '.join(chosen.options) or 'none'})")
    return chosen.function(data, times, tr_times, tr, **options)


def kernel_support(tr_times: np.ndarray, tr: float, method: str = "rect", **options: Any) -> Support:
    """The interval of sample times each TR's row draws on, for the named method and its options.

    Parameters
    ----------
    tr_times : np.ndarray
        (n_trs,) TR times in seconds.
    tr : float
        Repetition time in seconds.
    method : str
        A name in `METHODS`.
    **options
        The method's options, as `downsample` takes them.

    Returns
    -------
    Support
        (n_trs,) lower and upper ends in seconds and whether each end is closed.
    """
    tr_times = np.asarray(tr_times, dtype=np.float64)
    return METHODS.lookup(method).support(tr_times, float(tr), **options)
