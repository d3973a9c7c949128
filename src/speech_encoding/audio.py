"""Audio input: read any soundfile-supported file, mix to mono, resample with resampy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import resampy
import soundfile

from .atomic_io import atomic_path
from .errors import InputError


def read_mono(path: str | Path, story: str) -> tuple[np.ndarray, int]:
    """Read audio as float32 mono (channels averaged) and its sample rate."""
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise InputError(f"story {story!r}: cannot read audio file {path}: {error}") from None
    if data.shape[0] == 0:
        raise InputError(f"story {story!r}: audio file {path} has no samples")
    mono = data.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise InputError(f"story {story!r}: audio file {path} contains NaN/inf samples")
    return mono, int(rate)


def resample(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Resample to `target_rate` (unchanged when the rates are equal)."""
    if rate == target_rate:
        return audio.astype(np.float32)
    return resampy.resample(audio, rate, target_rate, axis=0).astype(np.float32)


def write_wav(path: str | Path, audio: np.ndarray, rate: int) -> None:
    """Write float32 mono WAV atomically."""
    with atomic_path(path) as tmp:
        soundfile.write(str(tmp), audio, rate, subtype="FLOAT", format="WAV")


def resample_file(source: str | Path, target: str | Path, target_rate: int, story: str) -> dict:
    """Read, mix to mono, resample and write one story's audio; returns what was done."""
    audio, rate = read_mono(source, story)
    write_wav(target, resample(audio, rate, target_rate), target_rate)
    return {"story": story, "source_rate": rate, "target_rate": target_rate,
            "duration_s": len(audio) / rate}
