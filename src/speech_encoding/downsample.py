"""Downsampling of features from window times onto a story's TR times."""

from __future__ import annotations

import numpy as np

from .errors import InputError

METHODS = ("rect",)


def rect_downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float) -> np.ndarray:
    """Mean of the rows whose time lies in [t - tr/2, t + tr/2) for each TR time t; zeros where none.

    `times` must be sorted (window end times are).
    """
    data = np.asarray(data, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    if np.any(np.diff(times) < 0):
        raise ValueError("sample times must be sorted")
    lower = np.searchsorted(times, tr_times - tr / 2, side="left")
    upper = np.searchsorted(times, tr_times + tr / 2, side="left")
    cumulative = np.vstack([np.zeros((1, data.shape[1])), np.cumsum(data, axis=0)])
    counts = (upper - lower)[:, None]
    sums = cumulative[upper] - cumulative[lower]
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def downsample(data: np.ndarray, times: np.ndarray, tr_times: np.ndarray, tr: float,
               method: str = "rect") -> np.ndarray:
    """Put features sampled at `times` onto `tr_times` with the named method."""
    if method == "rect":
        return rect_downsample(data, times, tr_times, tr)
    raise InputError(f"downsample.method: unknown method {method!r} (known: {', '.join(METHODS)})")
