"""Running a speech encoder over a story's sliding windows and pooling every layer."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from importlib import metadata

import numpy as np
import soundfile
import torch
import transformers
from tqdm import tqdm

from .errors import InputError
from .feature_files import check_save_dtype, extraction_settings, write_feature_folder
from .model_inputs import check_whisper_padding, encoder_inputs
from .speech_model import SpeechEncoder, load_encoder, resolve_device, resolve_dtype
from .window_workers import parallel_runs, thread_plan
from .windows import window_ends, window_length

log = logging.getLogger(__name__)

POOLS = ("last", "mean")


def pool_frames(hidden: torch.Tensor, pool: str) -> torch.Tensor:
    """(batch, frames, dim) -> (batch, dim) float32: the final frame or the mean over frames."""
    if pool == "last":
        return hidden[:, -1, :].float()
    if pool == "mean":
        return hidden.mean(dim=1, dtype=torch.float32)
    raise InputError(f"pool must be one of {POOLS}, got {pool!r}")


def pooled_layers(encoder: SpeechEncoder, inputs: torch.Tensor, pool: str) -> list[np.ndarray]:
    """One forward pass; hidden_states[L + 1] pooled for every layer L, as float32 arrays.

    A compute dtype below float32 runs under autocast: matrix products and attention in that
    dtype, layer norms, softmax and the residual stream in float32.
    """
    def reduce(hidden: torch.Tensor) -> torch.Tensor:
        return pool_frames(hidden, pool)

    lower = encoder.dtype != torch.float32
    with torch.inference_mode(), torch.autocast(encoder.device, encoder.dtype, enabled=lower):
        inputs = inputs.to(encoder.device)
        if encoder.whisper_blocks is not None:
            pooled = encoder.whisper_blocks.pooled(inputs, reduce, last_only=pool == "last")
        else:
            outputs = encoder.model(input_values=inputs, output_hidden_states=True)
            pooled = [reduce(hidden) for hidden in outputs.hidden_states[1:]]
        return [layer.cpu().numpy() for layer in pooled]


def check_sample_rate(encoder: SpeechEncoder, sample_rate: int) -> None:
    """The audio rate must be the rate the model's feature extractor expects."""
    expected = getattr(encoder.feature_extractor, "sampling_rate", sample_rate)
    if expected != sample_rate:
        raise InputError(f"model {encoder.name!r} expects {expected} Hz audio but target_sample_rate "
                         f"is {sample_rate}; set the feature set's target_sample_rate to {expected}")


def check_window_fits(encoder: SpeechEncoder, length: int, sample_rate: int,
                      whisper_padding: str) -> None:
    """Whisper takes at most 30 s: an error for `none`, a warning (truncation) for `pad30`."""
    if encoder.family != "whisper" or length <= encoder.feature_extractor.n_samples:
        return
    limit = encoder.feature_extractor.n_samples / sample_rate
    if whisper_padding == "none":
        raise InputError(f"whisper_padding 'none': context_size {length / sample_rate} s is longer "
                         f"than the {limit} s model {encoder.name!r} accepts; lower context_size")
    log.warning("context_size %s s is longer than Whisper's %s s input: every window is truncated "
                "to its first %s s (as the reference does)", length / sample_rate, limit, limit)


def extract_story(audio: np.ndarray, sample_rate: int, encoder: SpeechEncoder, chunk_size: float,
                  context_size: float, pool: str, batch_size: int, story: str = "?",
                  whisper_padding: str = "pad30", threads: int | None = None,
                  ) -> tuple[list[np.ndarray], np.ndarray]:
    """Features of every window of one story: a (windows x dims) array per layer, and end times.

    `threads` (default: torch's current count) are shared out by `window_workers.thread_plan`:
    on CPU, a batch's windows are split over that many worker threads.
    """
    check_sample_rate(encoder, sample_rate)
    ends = window_ends(len(audio), sample_rate, chunk_size, context_size, story)
    length = window_length(sample_rate, context_size)
    check_window_fits(encoder, length, sample_rate, whisper_padding)
    plan = thread_plan(encoder.device, threads or torch.get_num_threads(), batch_size)

    def pooled_windows(windows: Sequence[np.ndarray]) -> list[np.ndarray]:
        inputs = encoder_inputs(encoder, windows, sample_rate, whisper_padding)
        return pooled_layers(encoder, inputs, pool)

    per_layer: list[list[np.ndarray]] = [[] for _ in range(encoder.n_layers)]
    with (parallel_runs(plan) as run,
          tqdm(total=len(ends), desc=story, unit="window", file=sys.stderr, mininterval=2.0) as bar):
        for first in range(0, len(ends), batch_size):
            batch_ends = ends[first:first + batch_size]
            windows = [audio[end - length:end] for end in batch_ends]
            for part in run(pooled_windows, windows):
                for collected, layer in zip(per_layer, part):
                    collected.append(layer)
            bar.update(len(batch_ends))
    features = [np.concatenate(chunks).astype(np.float32) for chunks in per_layer]
    return features, ends / sample_rate


def use_threads(threads: int | None) -> int:
    """Set torch's intra-op thread count (when given) and return the count in use, logged."""
    if threads is not None:
        torch.set_num_threads(max(int(threads), 1))
    log.info("torch uses %d threads", torch.get_num_threads())
    return torch.get_num_threads()


def library_versions() -> dict[str, str]:
    """Versions of the libraries that decide the features' values."""
    try:
        own = metadata.version("speech-encoding")
    except metadata.PackageNotFoundError:
        own = "not installed"
    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "numpy": np.__version__, "speech_encoding": own}


def extract_story_file(audio_path: str, out_dir: str, story: str, model: str, chunk_size: float,
                       context_size: float, pool: str, target_sample_rate: int, device: str,
                       batch_size: int, dtype: str = "float32", whisper_padding: str = "pad30",
                       save_dtype: str = "float32", threads: int | None = None) -> dict:
    """Extract one story's features from its resampled audio into a feature folder."""
    device = resolve_device(device)
    resolve_dtype(dtype, device)
    check_whisper_padding(whisper_padding)
    check_save_dtype(save_dtype)
    threads = use_threads(threads)
    audio, rate = soundfile.read(audio_path, dtype="float32")
    if rate != target_sample_rate:
        raise InputError(f"story {story!r}: {audio_path} is {rate} Hz, expected {target_sample_rate}")
    encoder = load_encoder(model, device, dtype)
    log.info("story %s: %.1f s of audio, model %s (%s, %d layers) on %s, %s, batch size %d", story,
             len(audio) / rate, model, encoder.family, encoder.n_layers, device, dtype, batch_size)
    layers, times = extract_story(audio, rate, encoder, chunk_size, context_size, pool,
                                  batch_size, story, whisper_padding, threads)
    extraction = extraction_settings(
        {"model": model, "chunk_size": chunk_size, "context_size": context_size, "pool": pool,
         "target_sample_rate": target_sample_rate, "dtype": dtype, "save_dtype": save_dtype,
         "whisper_padding": whisper_padding}, encoder.family)
    meta = {"story": story, "model": model, "model_revision": encoder.revision,
            "model_config_sha256": encoder.config_sha256, "family": encoder.family,
            "chunk_size": chunk_size, "context_size": context_size, "pool": pool,
            "sample_rate": rate, "extraction": extraction, "device": device,
            "batch_size": batch_size, "threads": threads,
            "window_workers": thread_plan(device, threads, batch_size).workers,
            "attn_implementation": ("fused-qkv sdpa" if encoder.family == "whisper" else
                                    getattr(encoder.model.config, "_attn_implementation", None)),
            "versions": library_versions()}
    write_feature_folder(out_dir, layers, times, meta, save_dtype)
    return meta
