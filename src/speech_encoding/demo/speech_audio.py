"""Speech-like audio: voiced syllables with pitch contours and formants, noise bursts, pauses.

scipy.signal is imported inside the functions that use it: the Snakefile imports this package to
plan every run, and scipy.signal would add about a second to each snakemake start, which every
SLURM job pays twice."""

from __future__ import annotations

import numpy as np

# First three formants (Hz) of a few vowels, roughly: /a/, /i/, /u/, /e/, /o/.
VOWEL_FORMANTS = np.array([[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240],
                           [530, 1840, 2480], [570, 840, 2410]], dtype=np.float64)


def _envelope(n: int, rng: np.random.Generator) -> np.ndarray:
    attack = max(int(n * rng.uniform(0.1, 0.3)), 1)
    release = max(int(n * rng.uniform(0.2, 0.4)), 1)
    env = np.ones(n)
    env[:attack] = np.linspace(0.0, 1.0, attack)
    env[-release:] = np.minimum(env[-release:], np.linspace(1.0, 0.0, release))
    return env


def _resonator(freq: float, bandwidth: float, rate: int) -> tuple[np.ndarray, np.ndarray]:
    radius = np.exp(-np.pi * bandwidth / rate)
    theta = 2 * np.pi * freq / rate
    return np.array([1.0 - radius]), np.array([1.0, -2 * radius * np.cos(theta), radius ** 2])


def voiced_syllable(duration: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A glottal pulse train with a gliding pitch, shaped by three formant resonators.

    Parameters
    ----------
    duration : float
        In seconds.
    rate : int
        Sample rate in Hz.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
        (int(duration * rate),) float64, unnormalised.
    """
    from scipy import signal

    n = int(duration * rate)
    f0 = np.linspace(rng.uniform(90, 260), rng.uniform(90, 260), n)
    phase = np.cumsum(f0 / rate)
    pulses = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float64)
    formants = VOWEL_FORMANTS[rng.integers(len(VOWEL_FORMANTS))] * rng.uniform(0.9, 1.1, 3)
    voiced = np.zeros(n)
    for freq in formants:
        b, a = _resonator(min(freq, 0.45 * rate), rng.uniform(60, 160), rate)
        voiced += signal.lfilter(b, a, pulses)
    return voiced * _envelope(n, rng)


def noise_burst(duration: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Band-passed noise, like a fricative or a plosive release.

    Parameters
    ----------
    duration : float
        In seconds.
    rate : int
        Sample rate in Hz.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
        (int(duration * rate),) float64, unnormalised.
    """
    from scipy import signal

    n = int(duration * rate)
    low = rng.uniform(1500, 3500)
    high = min(low * rng.uniform(1.5, 2.5), 0.45 * rate)
    sos = signal.butter(2, [low, high], btype="bandpass", fs=rate, output="sos")
    return signal.sosfilt(sos, rng.standard_normal(n)) * _envelope(n, rng)


def speech_like_audio(duration: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """Phrases of words (syllables and bursts) at varying loudness, separated by pauses.

    Parameters
    ----------
    duration : float
        In seconds.
    rate : int
        Sample rate in Hz.
    rng : np.random.Generator

    Returns
    -------
    np.ndarray
        (int(duration * rate),) float32, peak amplitude 0.5.
    """
    n_total = int(duration * rate)
    pieces: list[np.ndarray] = []
    length = 0
    while length < n_total:
        loudness = rng.uniform(0.2, 1.0)
        for _ in range(rng.integers(2, 9)):
            for _ in range(rng.integers(1, 4)):
                piece = voiced_syllable(rng.uniform(0.08, 0.3), rate, rng)
                if rng.random() < 0.35:
                    piece = np.concatenate([noise_burst(rng.uniform(0.02, 0.12), rate, rng) * 0.3,
                                            piece])
                pieces.append(loudness * piece / (np.abs(piece).max() + 1e-12))
            pieces.append(np.zeros(int(rng.uniform(0.03, 0.2) * rate)))
        pieces.append(np.zeros(int(rng.uniform(0.3, 2.5) * rate)))
        length = sum(len(p) for p in pieces)
    audio = np.concatenate(pieces)[:n_total]
    audio += 1e-3 * rng.standard_normal(n_total)
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


def band_envelopes(audio: np.ndarray, rate: int, band_edges: list[float],
                   frame_s: float = 0.02) -> tuple[np.ndarray, np.ndarray]:
    """Log energy per frequency band on frames of `frame_s`: (frames x bands) and frame times.

    Parameters
    ----------
    audio : np.ndarray
        (n_samples,) mono audio.
    rate : int
        Sample rate in Hz.
    band_edges : list of float
        n_bands + 1 band edges in Hz; band b is [band_edges[b], band_edges[b + 1]).
    frame_s : float
        Frame length (and hop) in seconds.

    Returns
    -------
    envelopes : np.ndarray
        (n_frames, n_bands) log band energies, float32 for float32 `audio` (float64 for float64).
    times : np.ndarray
        (n_frames,) float64 frame centre times in seconds.
    """
    from scipy import signal

    nperseg = int(frame_s * rate)
    freqs, times, spectrum = signal.stft(audio, fs=rate, nperseg=nperseg, noverlap=0,
                                         boundary=None, padded=False)
    power = np.abs(spectrum) ** 2
    bands = [power[(freqs >= lo) & (freqs < hi)].sum(axis=0)
             for lo, hi in zip(band_edges[:-1], band_edges[1:])]
    return np.log(np.stack(bands, axis=1) + 1e-8), times
