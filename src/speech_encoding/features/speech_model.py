"""Loading a speech encoder and its feature extractor, offline, from a hub id or a local folder."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import AutoFeatureExtractor, AutoModel

from .compute_dtypes import check_compute_dtype
from .families import ModelFamily
from .model_config import load_config, model_family

log = logging.getLogger(__name__)


@dataclass
class SpeechEncoder:
    """An audio encoder ready to run: its family decides how a window becomes model input."""

    name: str
    family: ModelFamily
    model: torch.nn.Module
    feature_extractor: object
    n_layers: int
    revision: str | None
    device: str = "cpu"
    dtype: torch.dtype = torch.float32  # compute dtype: lower ones run under autocast
    config_sha256: str | None = None
    block_runner: object | None = None  # the encoder run block by block, where the family has one


def load_encoder(model: str, device: str, dtype: str = "float32") -> SpeechEncoder:
    """Load the encoder (Whisper: encoder only) and its feature extractor, in eval mode."""
    torch_dtype = resolve_dtype(dtype, device)
    config = load_config(model)
    family = model_family(config, model)
    network = family.encoder_network(AutoModel.from_pretrained(model, local_files_only=True))
    feature_extractor = AutoFeatureExtractor.from_pretrained(model, local_files_only=True)
    network.to(device=device).eval()
    log.info("model %s (%s) on %s, compute dtype %s", model, family.name, device, dtype)
    if torch_dtype != torch.float32 and device == "cpu":
        log.warning("dtype %s on CPU: usually slower than float32 unless the CPU has AMX", dtype)
    return SpeechEncoder(name=model, family=family, model=network,
                         feature_extractor=feature_extractor, n_layers=family.layer_count(config),
                         revision=getattr(config, "_commit_hash", None), device=device,
                         dtype=torch_dtype, config_sha256=config_sha256(model),
                         block_runner=family.block_runner(network, device))


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    """The torch compute dtype, once `check_compute_dtype` allows it on `device`."""
    check_compute_dtype(dtype, device)
    return getattr(torch, dtype)


def config_sha256(model: str) -> str | None:
    """SHA-256 of the model's config.json (local folder or cache), or None if it cannot be found."""
    from transformers.utils import cached_file

    try:
        path = cached_file(model, "config.json", local_files_only=True)
    except (OSError, ValueError):
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None
