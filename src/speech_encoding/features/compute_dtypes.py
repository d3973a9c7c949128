"""The compute dtypes a speech model may run in, and the one rule that ties a dtype to a device.

Light at import (names only, no torch): planning checks a config with it.
"""

from __future__ import annotations

from ..errors import InputError

COMPUTE_DTYPES = ("float32", "float16", "bfloat16")


def check_compute_dtype(dtype: str, device: str, where: str = "feature set") -> None:
    """`dtype` must be known, and float16 needs a CUDA device (slow on CPU; bfloat16 is allowed)."""
    if dtype not in COMPUTE_DTYPES:
        raise InputError(f"{where}: dtype must be one of {', '.join(COMPUTE_DTYPES)}, got {dtype!r}")
    if dtype == "float16" and device != "cuda":
        raise InputError(f"{where}: dtype float16 needs a CUDA device, but the model runs on "
                         f"{device}; use dtype float32 or bfloat16 on CPU")
