"""A Whisper encoder run block by block, on log-mel input of any length its positions cover.

Hugging Face's WhisperEncoder.forward only accepts exactly 30 s of log-mel frames. This runs the
same submodules (convolutions, positional table, transformer blocks, final layer norm) on however
many frames it is given, using the first positions of the table, and returns what
`hidden_states[1:]` holds: each block's output, the last one after the final layer norm.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.nn import functional

from .errors import InputError


def position_count(encoder: torch.nn.Module) -> int:
    """Number of positional embeddings (encoder frames after the strided convolution)."""
    return int(encoder.embed_positions.weight.shape[0])


def embed_frames(encoder: torch.nn.Module, features: torch.Tensor) -> torch.Tensor:
    """(batch, mel bins, frames) -> (batch, positions, d_model): convolutions plus positions."""
    convolved = functional.gelu(encoder.conv2(functional.gelu(encoder.conv1(features))))
    convolved = convolved.transpose(1, 2)
    n_positions = convolved.shape[1]
    if n_positions > position_count(encoder):
        raise InputError(f"log-mel input of {features.shape[-1]} frames needs {n_positions} positions "
                         f"but the Whisper encoder has {position_count(encoder)}")
    return convolved + encoder.embed_positions.weight[:n_positions]


def whisper_block_outputs(encoder: torch.nn.Module, features: torch.Tensor) -> Iterator[torch.Tensor]:
    """Each transformer block's output in turn (the last after the final layer norm)."""
    hidden = embed_frames(encoder, features)
    last = len(encoder.layers) - 1
    for index, block in enumerate(encoder.layers):
        hidden = block(hidden, None)
        yield encoder.layer_norm(hidden) if index == last else hidden
