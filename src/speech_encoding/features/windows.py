"""Sliding windows over a story's audio: window i ends at context + i * chunk (in samples)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..errors import InputError


def window_ends(n_samples: int, sample_rate: int, chunk_size: float, context_size: float,
                story: str = "?") -> np.ndarray:
    """End sample of every full window that ends inside the audio.

    chunk_size (stride) and context_size (window length) are in seconds and rounded to whole
    samples; a story shorter than one window is an error naming the story and both durations.

    Parameters
    ----------
    n_samples : int
        Length of the audio in samples.
    sample_rate : int
    chunk_size : float
        Stride in seconds.
    context_size : float
        Window length in seconds.
    story : str
        For messages.

    Returns
    -------
    np.ndarray
        (n_windows,) int64 exclusive end sample of each window: window i is
        audio[ends[i] - context:ends[i]], n_windows = (n_samples - context) // chunk + 1.
    """
    chunk = window_length(sample_rate, chunk_size)
    context = window_length(sample_rate, context_size)
    if chunk < 1 or context < 1:
        raise InputError(f"chunk_size {chunk_size} s / context_size {context_size} s are shorter "
                         f"than one sample at {sample_rate} Hz")
    if n_samples < context:
        raise InputError(
            f"story {story!r}: audio is {n_samples / sample_rate:.3f} s long, shorter than one "
            f"window (context_size {context_size} s)")
    n_windows = (n_samples - context) // chunk + 1
    return context + chunk * np.arange(n_windows, dtype=np.int64)


def window_length(sample_rate: int, context_size: float) -> int:
    """Window length (or stride) in samples: `context_size` seconds rounded to whole samples."""
    return int(round(context_size * sample_rate))


class WindowGrid(NamedTuple):
    """A story's window end times in seconds, and where the windows just outside the audio would
    end: `before` the first (it would start before the audio) and `after` the last (it would end
    after the audio)."""

    times: np.ndarray
    before: float
    after: float


def window_grid(n_samples: int, sample_rate: int, chunk_size: float, context_size: float,
                story: str = "?") -> WindowGrid:
    """The window end times extraction writes to times.npy, with their missing neighbours."""
    ends = window_ends(n_samples, sample_rate, chunk_size, context_size, story)
    chunk = window_length(sample_rate, chunk_size)
    return WindowGrid(ends / sample_rate, (ends[0] - chunk) / sample_rate,
                      (ends[-1] + chunk) / sample_rate)
