"""The reference extraction algorithm, written plainly (used by the tests and the benchmark).

Every window alone (batch size 1) through the model's own feature extractor and Hugging Face's
encoder forward, hidden_states[L + 1] for layer L, pooled over frames. For Whisper without
30 s padding, the encoder is Hugging Face's WhisperEncoder rebuilt with exactly as many positions
as the window has encoder frames, holding the first rows of the model's positional table.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from transformers import AutoFeatureExtractor, AutoModel
from transformers.models.whisper.modeling_whisper import WhisperEncoder


def load_reference(model_dir: str):
    """(feature extractor, encoder, is_whisper) as Hugging Face loads them."""
    extractor = AutoFeatureExtractor.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    is_whisper = model.config.model_type == "whisper"
    return extractor, (model.get_encoder() if is_whisper else model), is_whisper


def truncated_whisper_encoder(encoder, n_positions: int):
    """Hugging Face's WhisperEncoder with max_source_positions = n_positions, same weights."""
    config = copy.deepcopy(encoder.config)
    config.max_source_positions = n_positions
    short = WhisperEncoder(config).eval()
    state = encoder.state_dict()
    state["embed_positions.weight"] = state["embed_positions.weight"][:n_positions]
    short.load_state_dict(state)
    return short


def reference_loop(extractor, encoder, is_whisper: bool, audio: np.ndarray, rate: int,
                   chunk_size: float, context_size: float, pool: str,
                   whisper_padding: str = "pad30",
                   device: str = "cpu") -> tuple[list[np.ndarray], np.ndarray]:
    """Per layer a (windows x dims) array, and the window end times in seconds (the encoder
    must already be on `device`)."""
    chunk, context = round(chunk_size * rate), round(context_size * rate)
    layers, times, short = None, [], None
    i = 0
    while context + i * chunk <= len(audio):
        end = context + i * chunk
        window = audio[end - context:end]
        if not is_whisper:
            inputs = extractor(window, sampling_rate=rate, return_tensors="pt")["input_values"]
            model = encoder
        elif whisper_padding == "pad30":
            inputs = extractor(window, sampling_rate=rate, return_tensors="pt")["input_features"]
            model = encoder
        else:
            inputs = extractor(window, sampling_rate=rate, padding="longest",
                               return_tensors="pt")["input_features"]
            if inputs.shape[-1] % 2:
                raise ValueError("the reference needs an even number of log-mel frames per window")
            if short is None:
                short = truncated_whisper_encoder(encoder, inputs.shape[-1] // 2).to(device)
            model = short
        with torch.no_grad():
            hidden = model(inputs.to(device), output_hidden_states=True).hidden_states
        if layers is None:
            layers = [[] for _ in range(len(hidden) - 1)]
        for layer in range(len(hidden) - 1):
            frames = hidden[layer + 1][0]
            layers[layer].append((frames[-1] if pool == "last" else frames.mean(dim=0)).cpu().numpy())
        times.append(end / rate)
        i += 1
    return [np.stack(rows) for rows in layers], np.array(times)


def reference_features(model_dir: str, audio: np.ndarray, rate: int, chunk_size: float,
                       context_size: float, pool: str, whisper_padding: str = "pad30"):
    """The reference loop on a model loaded from `model_dir`."""
    return reference_loop(*load_reference(model_dir), audio, rate, chunk_size, context_size, pool,
                          whisper_padding)
