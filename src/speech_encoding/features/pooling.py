"""The registry of poolings: how a window's frames of one layer become one feature vector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..registry import Registry

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Pooling:
    """`reduce` maps (batch, frames, dim) to (batch, dim) float32; `reads_last_only` says that it
    reads nothing but the final frame (so the final block may compute that frame alone)."""

    reduce: Callable[[torch.Tensor], torch.Tensor]
    reads_last_only: bool


def last_frame(hidden: torch.Tensor) -> torch.Tensor:
    """(batch, frames, dim) -> (batch, dim) float32: the final frame.

    Parameters
    ----------
    hidden : torch.Tensor
        (batch, frames, dim) one layer's output, any float dtype.

    Returns
    -------
    torch.Tensor
        (batch, dim) float32.
    """
    return hidden[:, -1, :].float()


def mean_frames(hidden: torch.Tensor) -> torch.Tensor:
    """(batch, frames, dim) -> (batch, dim) float32: the mean over frames.

    Parameters
    ----------
    hidden : torch.Tensor
        (batch, frames, dim) one layer's output, any float dtype.

    Returns
    -------
    torch.Tensor
        (batch, dim) float32 (accumulated in float32).
    """
    import torch

    return hidden.mean(dim=1, dtype=torch.float32)


POOLS: Registry[Pooling] = Registry("pooling", "feature_sets[].pool", [
    ("last", Pooling(last_frame, reads_last_only=True)),
    ("mean", Pooling(mean_frames, reads_last_only=False)),
])
