"""Running a speech encoder over a story's sliding windows and pooling every layer."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import numpy as np
import soundfile
import torch
import transformers
from tqdm import tqdm

from .errors import InputError
from .feature_files import write_feature_folder
from .speech_model import SpeechEncoder, load_encoder, resolve_device
from .windows import window_ends, window_length

log = logging.getLogger(__name__)

POOLS = ("last", "mean")


def encoder_inputs(encoder: SpeechEncoder, windows: Sequence[np.ndarray], sample_rate: int) -> dict:
    """Feature-extractor output for a batch of windows (Whisper: log-mel padded to 30 s)."""
    batch = encoder.feature_extractor(list(windows), sampling_rate=sample_rate, return_tensors="pt")
    key = "input_features" if encoder.family == "whisper" else "input_values"
    return {key: batch[key]}


def pool_frames(hidden: torch.Tensor, pool: str) -> torch.Tensor:
    """(batch, frames, dim) -> (batch, dim): the final frame or the mean over frames."""
    if pool == "last":
        return hidden[:, -1, :]
    if pool == "mean":
        return hidden.mean(dim=1)
    raise InputError(f"pool must be one of {POOLS}, got {pool!r}")


def pooled_layers(encoder: SpeechEncoder, inputs: dict, pool: str, device: str) -> list[np.ndarray]:
    """One forward pass; hidden_states[L + 1] pooled for every layer L, as float32 arrays."""
    with torch.inference_mode():
        outputs = encoder.model(**{k: v.to(device) for k, v in inputs.items()},
                                output_hidden_states=True)
    hidden_states = outputs.hidden_states[1:]
    return [pool_frames(h, pool).float().cpu().numpy() for h in hidden_states]


def check_sample_rate(encoder: SpeechEncoder, sample_rate: int) -> None:
    """The audio rate must be the rate the model's feature extractor expects."""
    expected = getattr(encoder.feature_extractor, "sampling_rate", sample_rate)
    if expected != sample_rate:
        raise InputError(f"model {encoder.name!r} expects {expected} Hz audio but target_sample_rate "
                         f"is {sample_rate}; set the feature set's target_sample_rate to {expected}")


def extract_story(audio: np.ndarray, sample_rate: int, encoder: SpeechEncoder, chunk_size: float,
                  context_size: float, pool: str, batch_size: int, device: str,
                  story: str = "?") -> tuple[list[np.ndarray], np.ndarray]:
    """Features of every window of one story: a (windows x dims) array per layer, and end times."""
    check_sample_rate(encoder, sample_rate)
    ends = window_ends(len(audio), sample_rate, chunk_size, context_size, story)
    length = window_length(sample_rate, context_size)
    per_layer: list[list[np.ndarray]] = [[] for _ in range(encoder.n_layers)]
    with tqdm(total=len(ends), desc=story, unit="window", file=sys.stderr, mininterval=2.0) as bar:
        for first in range(0, len(ends), batch_size):
            batch_ends = ends[first:first + batch_size]
            windows = [audio[end - length:end] for end in batch_ends]
            layers = pooled_layers(encoder, encoder_inputs(encoder, windows, sample_rate), pool, device)
            for collected, layer in zip(per_layer, layers):
                collected.append(layer)
            bar.update(len(batch_ends))
    features = [np.concatenate(chunks).astype(np.float32) for chunks in per_layer]
    return features, ends / sample_rate


def extract_story_file(audio_path: str, out_dir: str, story: str, model: str, chunk_size: float,
                       context_size: float, pool: str, target_sample_rate: int, device: str,
                       batch_size: int) -> dict:
    """Extract one story's features from its resampled audio into a feature folder."""
    audio, rate = soundfile.read(audio_path, dtype="float32")
    if rate != target_sample_rate:
        raise InputError(f"story {story!r}: {audio_path} is {rate} Hz, expected {target_sample_rate}")
    device = resolve_device(device)
    encoder = load_encoder(model, device)
    log.info("story %s: %.1f s of audio, model %s (%s, %d layers) on %s", story,
             len(audio) / rate, model, encoder.family, encoder.n_layers, device)
    layers, times = extract_story(audio, rate, encoder, chunk_size, context_size, pool,
                                  batch_size, device, story)
    meta = {"story": story, "model": model, "model_revision": encoder.revision,
            "chunk_size": chunk_size, "context_size": context_size, "pool": pool,
            "sample_rate": rate, "versions": {"torch": torch.__version__,
                                              "transformers": transformers.__version__}}
    write_feature_folder(out_dir, layers, times, meta)
    return meta
