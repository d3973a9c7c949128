"""The machine's practical float32 matmul peak, which the benchmarks report their speed against."""

from __future__ import annotations

import time

import torch


def sync(device: str) -> None:
    """Wait for queued GPU work (a no-op on CPU)."""
    if device == "cuda":
        torch.cuda.synchronize()


def matmul_peak(device: str, size: int = 4096, repeats: int = 10) -> float:
    """Best GFLOP/s of a square float32 matmul over `repeats` timed runs (after one warm-up),
    with torch's current thread count."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    best = float("inf")
    for index in range(repeats + 1):
        sync(device)
        start = time.perf_counter()
        a @ b
        sync(device)
        if index:
            best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9
