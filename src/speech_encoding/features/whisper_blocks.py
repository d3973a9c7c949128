"""A Whisper encoder's own weights run on log-mel input of any length its positions cover.

Hugging Face's WhisperEncoder.forward only accepts exactly 30 s of log-mel frames. This computes
the same network from the encoder's modules and weights (convolutions, the first rows of the
positional table, pre-norm transformer blocks, final layer norm) on however many frames it is
given, and gives what `hidden_states[1:]` holds: each block's output, the last one after the
final layer norm. Q, K and V are one fused projection, and attention is PyTorch's
scaled_dot_product_attention on strided views, which avoids the per-layer transposed copies.
When only the final position is read (`last` pooling), the final block computes that row alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
from torch.nn import functional

from ..errors import InputError


def position_count(encoder: torch.nn.Module) -> int:
    """Number of positional embeddings (encoder frames after the strided convolution)."""
    return int(encoder.embed_positions.weight.shape[0])


def embed_frames(encoder: torch.nn.Module, features: torch.Tensor) -> torch.Tensor:
    """(batch, mel bins, frames) -> (batch, positions, d_model): convolutions plus positions.

    Parameters
    ----------
    encoder : torch.nn.Module
        A Hugging Face WhisperEncoder.
    features : torch.Tensor
        (batch, n_mels, n_frames) float32 log-mel frames.

    Returns
    -------
    torch.Tensor
        (batch, positions, d_model) float32, positions = ceil(n_frames / 2) (the second
        convolution's stride); more positions than the encoder has is an InputError.
    """
    convolved = functional.gelu(encoder.conv2(functional.gelu(encoder.conv1(features))))
    convolved = convolved.transpose(1, 2)
    n_positions = convolved.shape[1]
    if n_positions > position_count(encoder):
        raise InputError(f"log-mel input of {features.shape[-1]} frames needs {n_positions} positions "
                         f"but the Whisper encoder has {position_count(encoder)}")
    return convolved + encoder.embed_positions.weight[:n_positions]


def fused_qkv(attention: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """One (3 d, d) weight and (3 d) bias for the Q, K and V projections (K has no bias).

    Parameters
    ----------
    attention : torch.nn.Module
        A Whisper attention module (q_proj, k_proj, v_proj).

    Returns
    -------
    weight : torch.Tensor
        (3 d, d), rows Q, K, V; the dtype and device of the projections' weights.
    bias : torch.Tensor
        (3 d,), zeros for K.
    """
    projections = (attention.q_proj, attention.k_proj, attention.v_proj)
    weight = torch.cat([p.weight for p in projections])
    bias = torch.cat([p.bias if p.bias is not None else torch.zeros_like(p.weight[:, 0])
                      for p in projections])
    return weight, bias


def split_heads(projected: torch.Tensor, heads: int, parts: int) -> torch.Tensor:
    """(batch, positions, parts * width) -> (parts, batch, heads, positions, width / heads), a view.

    Parameters
    ----------
    projected : torch.Tensor
        (batch, positions, parts * width), e.g. the fused Q, K, V projection (parts = 3).
    heads : int
    parts : int

    Returns
    -------
    torch.Tensor
        (parts, batch, heads, positions, width / heads), a view of `projected`.
    """
    batch, length, width = projected.shape
    return projected.view(batch, length, parts, heads, width // (parts * heads)).permute(2, 0, 3, 1, 4)


class WhisperBlocks:
    """A Whisper encoder prepared to run block by block (fused QKV weights built once).

    With `chunk_rows`, `pooled` runs the encoder on groups of whole windows of about that many
    positions in all, and with `ffn_rows` the feed-forward layers take that many positions at a
    time, so that the intermediate tensors stay in cache (on CPU this is markedly faster than one
    pass over a large batch, and gives the same numbers: every position is computed alike).
    """

    def __init__(self, encoder: torch.nn.Module, chunk_rows: int | None = None,
                 ffn_rows: int | None = None):
        self.encoder = encoder
        self.chunk_rows = chunk_rows
        self.ffn_rows = ffn_rows
        with torch.no_grad():
            self.qkv = [fused_qkv(block.self_attn) for block in encoder.layers]

    def self_attention(self, index: int, normed: torch.Tensor, last_only: bool) -> torch.Tensor:
        """Multi-head self-attention of block `index` on its layer-normed input; with
        `last_only`, only the final position's output (one query row against every key).

        Parameters
        ----------
        index : int
            The block.
        normed : torch.Tensor
            (batch, positions, d_model) layer-normed hidden states.
        last_only : bool

        Returns
        -------
        torch.Tensor
            (batch, positions, d_model), or (batch, 1, d_model) with `last_only`; float32, or the
            autocast dtype under autocast.
        """
        attention = self.encoder.layers[index].self_attn
        weight, bias = self.qkv[index]
        width, heads = normed.shape[-1], attention.num_heads
        if last_only:
            (query,) = split_heads(functional.linear(normed[:, -1:], weight[:width], bias[:width]),
                                   heads, 1)
            key, value = split_heads(functional.linear(normed, weight[width:], bias[width:]), heads, 2)
        else:
            query, key, value = split_heads(functional.linear(normed, weight, bias), heads, 3)
        mixed = functional.scaled_dot_product_attention(query, key, value, scale=attention.scaling)
        batch, _, rows, _ = mixed.shape
        return attention.out_proj(mixed.transpose(1, 2).reshape(batch, rows, width))

    def block(self, index: int, hidden: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        """One pre-norm transformer block: attention and feed-forward, each with a residual.

        The residual sums are out of place, so that under autocast the residual stream keeps
        the input's float32 while the projections run in lower precision.

        Parameters
        ----------
        index : int
            The block.
        hidden : torch.Tensor
            (batch, positions, d_model) float32 input of the block.
        last_only : bool
            Compute only the final position.

        Returns
        -------
        torch.Tensor
            (batch, positions, d_model), or (batch, 1, d_model) with `last_only`; float32.
        """
        layer = self.encoder.layers[index]
        attended = self.self_attention(index, layer.self_attn_layer_norm(hidden), last_only)
        hidden = (hidden[:, -1:] if last_only else hidden) + attended
        return hidden + self.feed_forward(index, hidden)

    def feed_forward(self, index: int, hidden: torch.Tensor) -> torch.Tensor:
        """The block's layer norm and two-layer MLP, on at most `ffn_rows` positions at a time.

        Parameters
        ----------
        index : int
            The block.
        hidden : torch.Tensor
            (..., d_model) hidden states, e.g. (batch, positions, d_model).

        Returns
        -------
        torch.Tensor
            Same shape as `hidden`; float32, or the autocast dtype under autocast.
        """
        layer = self.encoder.layers[index]
        rows = hidden.reshape(-1, hidden.shape[-1])
        parts = [rows] if self.ffn_rows is None else rows.split(self.ffn_rows)
        mlp = [layer.fc2(layer.activation_fn(layer.fc1(layer.final_layer_norm(part))))
               for part in parts]
        return torch.cat(mlp).view(hidden.shape)

    def outputs(self, features: torch.Tensor, last_only: bool = False) -> Iterator[torch.Tensor]:
        """Each transformer block's output in turn (the last after the final layer norm).

        With `last_only`, the final block computes only the final position (all that `last`
        pooling reads of it; the earlier blocks are needed in full as its keys and values).

        Parameters
        ----------
        features : torch.Tensor
            (batch, n_mels, n_frames) float32 log-mel frames.
        last_only : bool

        Yields
        ------
        torch.Tensor
            One float32 tensor per block: (batch, positions, d_model), positions =
            ceil(n_frames / 2); the last block's is (batch, 1, d_model) with `last_only`.
        """
        hidden = embed_frames(self.encoder, features)
        last = len(self.encoder.layers) - 1
        for index in range(last + 1):
            hidden = self.block(index, hidden, last_only and index == last)
            yield self.encoder.layer_norm(hidden) if index == last else hidden

    def pooled(self, features: torch.Tensor, reduce: Callable[[torch.Tensor], torch.Tensor],
               last_only: bool = False) -> list[torch.Tensor]:
        """`reduce` of every block's output for the whole batch, run in groups of windows
        (`last_only`: `reduce` reads only the final position).

        Parameters
        ----------
        features : torch.Tensor
            (batch, n_mels, n_frames) float32 log-mel frames.
        reduce : callable
            (batch, positions, d_model) -> (batch, dim), e.g. a pooling's `reduce`.
        last_only : bool

        Returns
        -------
        list of torch.Tensor
            One (batch, dim) tensor per block, in block order (float32 for the registered poolings).
        """
        groups = [features]
        if self.chunk_rows is not None:
            positions = math.ceil(features.shape[-1] / self.encoder.conv2.stride[0])
            groups = features.split(max(1, self.chunk_rows // positions))
        per_group = [[reduce(hidden) for hidden in self.outputs(group, last_only)] for group in groups]
        return [torch.cat(parts) for parts in zip(*per_group)]


# On CPU, the Whisper encoder runs on groups of windows of about this many positions in all
# (cache-sized work: one 16-30 s window, or several short ones), and its feed-forward layers on
# this many positions at a time.
CPU_CHUNK_ROWS = 2048
CPU_FFN_ROWS = 512


def runner_for(encoder: torch.nn.Module, device: str) -> WhisperBlocks:
    """The block runner for `device`: cache-sized chunks on CPU, whole batches elsewhere."""
    if device == "cpu":
        return WhisperBlocks(encoder, CPU_CHUNK_ROWS, CPU_FFN_ROWS)
    return WhisperBlocks(encoder)
