"""Model input for a batch of windows: Whisper log-mel frames (30 s padded or not) or waveforms."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np
import torch

from ..errors import InputError
from .speech_model import SpeechEncoder

log = logging.getLogger(__name__)

WHISPER_PADDINGS = ("pad30", "none")


def check_whisper_padding(whisper_padding: str) -> None:
    """whisper_padding must be a known mode."""
    if whisper_padding not in WHISPER_PADDINGS:
        raise InputError(f"whisper_padding must be one of {WHISPER_PADDINGS}, got {whisper_padding!r}")


def fed_length(encoder: SpeechEncoder, window: int, whisper_padding: str) -> int:
    """Samples each window becomes before Whisper's log-mel: 30 s (pad30) or its own length."""
    check_whisper_padding(whisper_padding)
    return encoder.feature_extractor.n_samples if whisper_padding == "pad30" else window


def encoder_inputs(encoder: SpeechEncoder, windows: Sequence[np.ndarray], sample_rate: int,
                   whisper_padding: str = "pad30") -> torch.Tensor:
    """Model input for a batch of windows, as the encoder's family takes it.

    Parameters
    ----------
    encoder : SpeechEncoder
    windows : sequence of np.ndarray
        n_windows (n_samples,) float32 mono windows of equal length.
    sample_rate : int
    whisper_padding : str
        'pad30' or 'none' (Whisper only).

    Returns
    -------
    torch.Tensor
        float32 CPU tensor: (n_windows, n_mels, n_frames) log-mel for Whisper (`whisper_log_mel`),
        (n_windows, n_samples) waveforms for the waveform family (`normalised_waveforms`).
    """
    return encoder.family.model_inputs(encoder, windows, sample_rate, whisper_padding)


def normalised_waveforms(encoder: SpeechEncoder, windows: Sequence[np.ndarray],
                         sample_rate: int) -> torch.Tensor:
    """(windows, samples) waveforms normalised by the model's feature extractor.

    Parameters
    ----------
    encoder : SpeechEncoder
    windows : sequence of np.ndarray
        n_windows (n_samples,) float32 mono windows of equal length.
    sample_rate : int

    Returns
    -------
    torch.Tensor
        (n_windows, n_samples) float32.
    """
    extractor = encoder.feature_extractor
    return torch.cat([extractor(window, sampling_rate=sample_rate, return_tensors="pt")
                      ["input_values"] for window in windows])


def whisper_log_mel(encoder: SpeechEncoder, windows: Sequence[np.ndarray], sample_rate: int,
                    whisper_padding: str) -> torch.Tensor:
    """(windows, mel bins, frames) Whisper log-mel features, padded to 30 s or not.

    Parameters
    ----------
    encoder : SpeechEncoder
    windows : sequence of np.ndarray
        n_windows (n_samples,) float32 mono windows of equal length.
    sample_rate : int
    whisper_padding : str
        'pad30': each window zero-padded to 30 s; 'none': the window's own length.

    Returns
    -------
    torch.Tensor
        (n_windows, n_mels, n_frames) float32 CPU tensor; n_frames = fed samples // hop_length
        (3000 for pad30).
    """
    extractor = encoder.feature_extractor
    options = {"sampling_rate": sample_rate, "return_tensors": "pt", "padding": "max_length",
               "max_length": fed_length(encoder, len(windows[0]), whisper_padding)}
    if encoder.device != "cpu":
        return batched_log_mel(extractor, windows, encoder.device, options)
    # On CPU, window by window is faster than one batched STFT (a smaller working set).
    if whisper_padding == "pad30":
        return torch.cat([padded_log_mel(extractor, window, sample_rate) for window in windows])
    return torch.cat([extractor(window, **options)["input_features"] for window in windows])


def check_whisper_window(encoder: SpeechEncoder, length: int, sample_rate: int,
                         whisper_padding: str) -> None:
    """Whisper takes at most 30 s: an error for `none`, a warning (truncation) for `pad30`."""
    if length <= encoder.feature_extractor.n_samples:
        return
    limit = encoder.feature_extractor.n_samples / sample_rate
    if whisper_padding == "none":
        raise InputError(f"whisper_padding 'none': context_size {length / sample_rate} s is longer "
                         f"than the {limit} s model {encoder.name!r} accepts; lower context_size")
    log.warning("context_size %s s is longer than Whisper's %s s input: every window is truncated "
                "to its first %s s (as the reference does)", length / sample_rate, limit, limit)


def padded_log_mel(extractor, window: np.ndarray, sample_rate: int) -> torch.Tensor:
    """Whisper's log-mel of `window` padded to 30 s, with the STFT run on its own frames only.

    Every frame whose STFT window lies wholly in the zero padding has the same value: the log
    floor, which the window's own frames set. So the extractor runs on the window plus enough
    zeros for one such frame, and that frame is repeated up to 30 s. The result is the
    extractor's 30 s output itself (the tests compare them), at about half the cost.

    Parameters
    ----------
    extractor : WhisperFeatureExtractor
    window : np.ndarray
        (n_samples,) float32 mono window.
    sample_rate : int

    Returns
    -------
    torch.Tensor
        (1, n_mels, n_frames) float32, n_frames = extractor.n_samples // hop_length (3000).
    """
    hop = extractor.hop_length
    padded = math.ceil((len(window) + extractor.n_fft) / hop) * hop
    if padded >= extractor.n_samples or getattr(extractor, "dither", 0.0):
        return extractor(window, sampling_rate=sample_rate, return_tensors="pt")["input_features"]
    own = extractor(window, sampling_rate=sample_rate, return_tensors="pt", padding="max_length",
                    max_length=padded)["input_features"]
    silence = own[..., -1:].expand(-1, -1, extractor.n_samples // hop - own.shape[-1])
    return torch.cat([own, silence], dim=-1)


def batched_log_mel(extractor, windows: Sequence[np.ndarray], device: str, options: dict) -> torch.Tensor:
    """Whisper log-mel of a batch of equal-length windows as one STFT on `device` (for GPUs).

    Parameters
    ----------
    extractor : WhisperFeatureExtractor
    windows : sequence of np.ndarray
        n_windows (n_samples,) float32 windows of equal length.
    device : str
        Where the STFT runs.
    options : dict
        The extractor's keyword arguments (rate, padding, max_length).

    Returns
    -------
    torch.Tensor
        (n_windows, n_mels, n_frames) float32 CPU tensor, n_frames = max_length // hop_length.
    """
    return extractor(list(windows), device=device, **options)["input_features"]
