"""Loading a speech encoder and its feature extractor, offline, from a hub id or a local folder."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import AutoFeatureExtractor, AutoModel

from .errors import InputError
from .model_config import layer_count, load_config, model_family

@dataclass
class SpeechEncoder:
    """An audio encoder ready to run: its family decides how a window becomes model input."""

    name: str
    family: str  # "whisper" (log-mel input_features) or "waveform" (input_values)
    model: torch.nn.Module
    feature_extractor: object
    n_layers: int
    revision: str | None


def load_encoder(model: str, device: str) -> SpeechEncoder:
    """Load the encoder (Whisper: encoder only) and its feature extractor, in eval mode."""
    config = load_config(model)
    family = model_family(config, model)
    network = AutoModel.from_pretrained(model, local_files_only=True)
    if family == "whisper":
        network = network.get_encoder()
    feature_extractor = AutoFeatureExtractor.from_pretrained(model, local_files_only=True)
    network.to(device).eval()
    return SpeechEncoder(name=model, family=family, model=network,
                         feature_extractor=feature_extractor, n_layers=layer_count(config),
                         revision=getattr(config, "_commit_hash", None))


def resolve_device(device: str) -> str:
    """'auto' becomes cuda when available, else cpu; an explicit cuda without one is an error."""
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("feature set device is 'cuda' but no CUDA device is available")
    return device
