"""Loading a speech encoder and its feature extractor, offline, from a hub id or a local folder."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoFeatureExtractor, AutoModel

from . import devices
from .errors import InputError
from .model_config import layer_count, load_config, model_family
from .whisper_encoder import WhisperBlocks

log = logging.getLogger(__name__)

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
# On CPU, the Whisper encoder runs on groups of windows of about this many positions in all
# (cache-sized work: one 16-30 s window, or several short ones), and its feed-forward layers on
# this many positions at a time.
CPU_CHUNK_ROWS = 2048
CPU_FFN_ROWS = 512


@dataclass
class SpeechEncoder:
    """An audio encoder ready to run: its family decides how a window becomes model input."""

    name: str
    family: str  # "whisper" (log-mel input_features) or "waveform" (input_values)
    model: torch.nn.Module
    feature_extractor: object
    n_layers: int
    revision: str | None
    device: str = "cpu"
    dtype: torch.dtype = torch.float32  # compute dtype: lower ones run under autocast
    config_sha256: str | None = None
    whisper_blocks: WhisperBlocks | None = None  # Whisper only: the encoder run block by block


def load_encoder(model: str, device: str, dtype: str = "float32") -> SpeechEncoder:
    """Load the encoder (Whisper: encoder only) and its feature extractor, in eval mode."""
    torch_dtype = resolve_dtype(dtype, device)
    config = load_config(model)
    family = model_family(config, model)
    network = AutoModel.from_pretrained(model, local_files_only=True)
    if family == "whisper":
        network = network.get_encoder()
    feature_extractor = AutoFeatureExtractor.from_pretrained(model, local_files_only=True)
    network.to(device=device).eval()
    log.info("model %s (%s) on %s, compute dtype %s", model, family, device, dtype)
    if torch_dtype != torch.float32 and device == "cpu":
        log.warning("dtype %s on CPU: usually slower than float32 unless the CPU has AMX", dtype)
    return SpeechEncoder(name=model, family=family, model=network,
                         feature_extractor=feature_extractor, n_layers=layer_count(config),
                         revision=getattr(config, "_commit_hash", None), device=device,
                         dtype=torch_dtype, config_sha256=config_sha256(model),
                         whisper_blocks=whisper_blocks(network, family, device))


def whisper_blocks(network: torch.nn.Module, family: str, device: str) -> WhisperBlocks | None:
    """The block runner of a Whisper encoder (cache-sized chunks on CPU, whole batches on GPU)."""
    if family != "whisper":
        return None
    if device == "cpu":
        return WhisperBlocks(network, CPU_CHUNK_ROWS, CPU_FFN_ROWS)
    return WhisperBlocks(network)


def resolve_device(device: str) -> str:
    """The feature set's device as a name: 'auto' becomes cuda when available, else cpu."""
    return devices.resolve_device(device, "feature set device").type


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    """The torch compute dtype; float16 is refused on CPU (slow there; bfloat16 is allowed)."""
    if dtype not in DTYPES:
        raise InputError(f"feature set dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if dtype == "float16" and device != "cuda":
        raise InputError(f"feature set dtype 'float16' needs a CUDA device, but extraction runs on "
                         f"{device}; use dtype float32 or bfloat16 on CPU")
    return DTYPES[dtype]


def config_sha256(model: str) -> str | None:
    """SHA-256 of the model's config.json (local folder or cache), or None if it cannot be found."""
    from transformers.utils import cached_file

    try:
        path = cached_file(model, "config.json", local_files_only=True)
    except (OSError, ValueError):
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
