"""The torch device a stage computes on, chosen in one place from its config value."""

from __future__ import annotations

from ..errors import InputError

DEVICE_OPTIONS = ("auto", "cpu", "cuda")


def resolve_device(device: str, key: str) -> str:
    """'auto' becomes 'cuda' when available, else 'cpu'; cuda without a GPU is an error naming `key`."""
    import torch  # here, not at the top: planning checks device names without loading torch

    if device not in DEVICE_OPTIONS:
        raise InputError(f"{key}: unknown device {device!r} (known: {', '.join(DEVICE_OPTIONS)})")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError(f"{key} is 'cuda' but no CUDA device is available")
    return device
