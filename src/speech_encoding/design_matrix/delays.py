"""FIR delay stacking: one column block per delay, in the order the delays are given."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def shift_rows(data: np.ndarray, delay: int) -> np.ndarray:
    """Row t of the result is row t - delay of `data`; rows shifted in from outside are zero.

    Parameters
    ----------
    data : np.ndarray
        (n_rows, ...) array, shifted along its first axis.
    delay : int
        Rows to shift down (negative: up).

    Returns
    -------
    np.ndarray
        Same shape and dtype as `data`.
    """
    shifted = np.zeros_like(data)
    n_rows = data.shape[0]
    if delay >= 0:
        shifted[delay:] = data[: max(n_rows - delay, 0)]
    else:
        shifted[: max(n_rows + delay, 0)] = data[-delay:]
    return shifted


def stack_delays(data: np.ndarray, delays: Sequence[int], circpad: bool = False) -> np.ndarray:
    """Concatenate `data` shifted by each delay (in TRs) along columns: [d0 block | d1 block | ...].

    With `circpad`, rows shifted out at one end wrap around to the other instead of zeros.

    Parameters
    ----------
    data : np.ndarray
        (n_trs, n_features) features on the TR grid.
    delays : sequence of int
        Delays in TRs, in the order of the column blocks.
    circpad : bool

    Returns
    -------
    np.ndarray
        (n_trs, len(delays) * n_features), same dtype as `data`; column k is delay
        delays[k // n_features] of feature k % n_features.
    """
    shift = (lambda d: np.roll(data, d, axis=0)) if circpad else (lambda d: shift_rows(data, d))
    return np.hstack([shift(int(d)) for d in delays])
