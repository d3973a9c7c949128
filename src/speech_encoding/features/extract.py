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

from ..errors import InputError
from ..run.devices import resolve_device
from .feature_files import check_save_dtype, extraction_settings, write_feature_folder
from .model_inputs import check_whisper_padding, encoder_inputs
from .pooling import POOLS
from .speech_model import SpeechEncoder, load_encoder, resolve_dtype
from .window_workers import parallel_runs, thread_plan
from .windows import window_ends, window_length

log = logging.getLogger(__name__)

def pooled_layers(encoder: SpeechEncoder, inputs: torch.Tensor, pool: str) -> list[np.ndarray]:
    """One forward pass; every layer's output pooled over frames, as float32 arrays.

    Parameters
    ----------
    encoder : SpeechEncoder
    inputs : torch.Tensor
        The batch's model input, as `encoder_inputs` makes it.
    pool : str
        A name in `pooling.POOLS`.

    Returns
    -------
    list of np.ndarray
        One (windows, dims) float32 array per layer (hidden_states[L + 1] for layer L).

    A compute dtype below float32 runs under autocast: matrix products and attention in that
    dtype, layer norms, softmax and the residual stream in float32.
    """
    pooling = POOLS.lookup(pool)
    lower = encoder.dtype != torch.float32
    with torch.inference_mode(), torch.autocast(encoder.device, encoder.dtype, enabled=lower):
        pooled = encoder.family.pooled_layers(encoder, inputs.to(encoder.device), pooling.reduce,
                                              pooling.reads_last_only)
        return [layer.cpu().numpy() for layer in pooled]


def check_sample_rate(encoder: SpeechEncoder, sample_rate: int) -> None:
    """The audio rate must be the rate the model's feature extractor expects."""
    expected = getattr(encoder.feature_extractor, "sampling_rate", sample_rate)
    if expected != sample_rate:
        raise InputError(f"model {encoder.name!r} expects {expected} Hz audio but target_sample_rate "
                         f"is {sample_rate}; set the feature set's target_sample_rate to {expected}")


def extract_story(audio: np.ndarray, sample_rate: int, encoder: SpeechEncoder, chunk_size: float,
                  context_size: float, pool: str, batch_size: int, story: str = "?",
                  whisper_padding: str = "pad30", threads: int | None = None,
                  ) -> tuple[list[np.ndarray], np.ndarray]:
    """Features of every window of one story: a (windows x dims) array per layer, and end times.

    `threads` (default: torch's current count) are shared out by `window_workers.thread_plan`:
    on CPU, a batch's windows are split over that many worker threads.

    Parameters
    ----------
    audio : np.ndarray
        (n_samples,) float32 mono audio at `sample_rate`.
    sample_rate : int
        Must be the rate the model's feature extractor expects.
    encoder : SpeechEncoder
    chunk_size, context_size : float
        Window stride and window length in seconds (see `windows.window_ends`).
    pool : str
        A name in `pooling.POOLS`.
    batch_size : int
        Windows per forward pass.
    story : str
        For messages and the progress bar.
    whisper_padding : str
        'pad30' or 'none' (Whisper models only).
    threads : int, optional

    Returns
    -------
    features : list of np.ndarray
        One (n_windows, dims) float32 array per layer, in layer order.
    times : np.ndarray
        (n_windows,) float64 end time of each window in seconds.
    """
    check_sample_rate(encoder, sample_rate)
    ends = window_ends(len(audio), sample_rate, chunk_size, context_size, story)
    length = window_length(sample_rate, context_size)
    encoder.family.check_window(encoder, length, sample_rate, whisper_padding)
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
    device = resolve_device(device, "feature set device")
    resolve_dtype(dtype, device)
    check_whisper_padding(whisper_padding)
    check_save_dtype(save_dtype)
    threads = use_threads(threads)
    audio, rate = soundfile.read(audio_path, dtype="float32")
    if rate != target_sample_rate:
        raise InputError(f"story {story!r}: {audio_path} is {rate} Hz, expected {target_sample_rate}")
    encoder = load_encoder(model, device, dtype)
    log.info("story %s: %.1f s of audio, model %s (%s, %d layers) on %s, %s, batch size %d", story,
             len(audio) / rate, model, encoder.family.name, encoder.n_layers, device, dtype, batch_size)
    layers, times = extract_story(audio, rate, encoder, chunk_size, context_size, pool,
                                  batch_size, story, whisper_padding, threads)
    extraction = extraction_settings(
        {"model": model, "chunk_size": chunk_size, "context_size": context_size, "pool": pool,
         "target_sample_rate": target_sample_rate, "dtype": dtype, "save_dtype": save_dtype,
         "whisper_padding": whisper_padding}, encoder.family.name)
    meta = {"story": story, "model": model, "model_revision": encoder.revision,
            "model_config_sha256": encoder.config_sha256, "family": encoder.family.name,
            "chunk_size": chunk_size, "context_size": context_size, "pool": pool,
            "sample_rate": rate, "extraction": extraction, "device": device,
            "batch_size": batch_size, "threads": threads,
            "window_workers": thread_plan(device, threads, batch_size).workers,
            "attn_implementation": encoder.family.attention(encoder),
            "versions": library_versions()}
    write_feature_folder(out_dir, layers, times, meta, save_dtype)
    return meta
