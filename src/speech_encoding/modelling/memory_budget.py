"""How much memory and how many threads a fit job asks for, and how many voxels it can hold at
once within that memory."""

from __future__ import annotations

import os

MB = 2 ** 20
FIT_BASE_MB = 4000  # interpreter, torch, the decompositions of a typical design matrix
WORKING_FRACTION = 0.5  # of the job's memory, for the voxel batch's working set
FIT_THREADS = 8
SMALL_FIT_MB = 16  # inputs below this: the job's start (imports) outweighs its arithmetic


def fit_memory_mb(input_mb: float) -> int:
    """A fit job's memory request: a base, its (memory-mapped) inputs, and a working set as large."""
    return int(FIT_BASE_MB + 2 * input_mb)


def fit_threads(input_mb: float) -> int:
    """A fit job's threads: one for a small fit (so that several run side by side while each
    spends most of its time starting), else FIT_THREADS."""
    return 1 if input_mb < SMALL_FIT_MB else FIT_THREADS


def available_memory_bytes() -> int | None:
    """MemAvailable from /proc/meminfo (None where it cannot be read)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def working_memory_bytes(job_mem_mb: float | None) -> int:
    """Bytes the voxel batch may use: a fraction of the job's memory, or of what is free if less."""
    limits = [int(job_mem_mb * MB)] if job_mem_mb else []
    available = available_memory_bytes()
    if available is not None:
        limits.append(available)
    if not limits:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return int(WORKING_FRACTION * min(limits))


def bytes_per_voxel(n_rows: int, n_features: int, n_alphas: int, n_held_out: int,
                    n_null: int = 0) -> int:
    """Working set per voxel of a batch: float64 responses being prepared, their float32 copies and
    fold selections, projections, every alpha's predictions of the held-out rows, and the
    significance null's `n_null` draws."""
    return 8 * (4 * n_rows + 3 * n_features + n_alphas * n_held_out + n_null)


def auto_voxel_batch(n_voxels: int, n_rows: int, n_features: int, n_alphas: int,
                     n_held_out: int, working_bytes: int, n_null: int = 0) -> int:
    """The largest voxel batch whose working set fits in `working_bytes` (at least 1 voxel)."""
    per_voxel = bytes_per_voxel(n_rows, n_features, n_alphas, n_held_out, n_null)
    return int(min(n_voxels, max(1, working_bytes // per_voxel)))
