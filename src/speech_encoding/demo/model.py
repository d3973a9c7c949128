"""The demo model: a small random-weight Whisper, saved in Hugging Face format."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel


def demo_whisper_config(spec: Mapping) -> WhisperConfig:
    """A Whisper config with the demo's encoder shape and a minimal decoder."""
    return WhisperConfig(
        num_mel_bins=spec["num_mel_bins"], d_model=spec["d_model"],
        encoder_layers=spec["encoder_layers"], encoder_attention_heads=spec["attention_heads"],
        encoder_ffn_dim=spec["ffn_dim"], decoder_layers=1,
        decoder_attention_heads=spec["attention_heads"], decoder_ffn_dim=spec["ffn_dim"],
        vocab_size=64, max_target_positions=16, pad_token_id=0, bos_token_id=1, eos_token_id=2,
        decoder_start_token_id=3, begin_suppress_tokens=None, suppress_tokens=None)


def write_demo_model(spec: Mapping, out_dir: str | Path) -> None:
    """Build the random model from `spec['seed']` and save it with its feature extractor."""
    torch.manual_seed(spec["seed"])
    model = WhisperModel(demo_whisper_config(spec)).eval()
    model.save_pretrained(out_dir)
    WhisperFeatureExtractor(feature_size=spec["num_mel_bins"]).save_pretrained(out_dir)
