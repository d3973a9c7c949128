"""Audio input: read any soundfile-supported file, mix to mono, resample with resampy."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import soundfile

from ..errors import InputError
from ..run.atomic_io import atomic_path

MAX_CHANNELS = 2


def wav_bytes_missing(path: str | Path) -> int:
    """For a RIFF/WAVE file, how many bytes its data chunk declares beyond the end of the file.

    libsndfile silently reads a truncated WAV as a shorter one; this catches it. 0 for other formats.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return 0
        size = Path(path).stat().st_size
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return 0
            chunk_id, chunk_size = chunk[:4], int.from_bytes(chunk[4:], "little")
            if chunk_id == b"data":
                return max(chunk_size - (size - handle.tell()), 0)
            handle.seek(chunk_size + (chunk_size & 1), 1)


class AudioLength(NamedTuple):
    """An audio file's length in samples and its sample rate."""

    frames: int
    rate: int

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.frames / self.rate

    def resampled(self, target_rate: int) -> int:
        """Samples after `resample` to `target_rate` (resampy's length rule)."""
        if target_rate == self.rate:
            return self.frames
        return int(self.frames * float(target_rate) / float(self.rate))


def check_audio_file(path: str | Path, story: str, min_duration: float = 0.0) -> AudioLength:
    """Cheap checks from the header: readable, not truncated, 1-2 channels, long enough.

    Returns the length and sample rate.
    """
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError) as error:
        raise InputError(f"story {story!r}: cannot read audio file {path}: {error}") from None
    if info.frames == 0:
        raise InputError(f"story {story!r}: audio file {path} has no samples")
    if info.channels > MAX_CHANNELS:
        raise InputError(f"story {story!r}: audio file {path} has {info.channels} channels; "
                         f"expected mono or stereo")
    missing = wav_bytes_missing(path)
    if missing:
        raise InputError(f"story {story!r}: audio file {path} is truncated ({missing} bytes of "
                         "audio data missing); copy it again")
    length = AudioLength(int(info.frames), int(info.samplerate))
    if length.duration < min_duration:
        raise InputError(f"story {story!r}: audio file {path} is {length.duration:.3f} s long, shorter "
                         f"than one window (context_size {min_duration} s)")
    return length


def read_mono(path: str | Path, story: str) -> tuple[np.ndarray, int]:
    """Read audio as float32 mono (channels averaged) and its sample rate, after the file checks.

    Parameters
    ----------
    path : str or Path
        Any soundfile-readable file with 1 or 2 channels.
    story : str
        For messages.

    Returns
    -------
    audio : np.ndarray
        (n_samples,) float32.
    rate : int
        Sample rate in Hz.
    """
    check_audio_file(path, story)
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise InputError(f"story {story!r}: audio file {path} contains NaN/inf samples")
    return mono, int(rate)


def resample(audio: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    """Resample to `target_rate` (unchanged when the rates are equal).

    Parameters
    ----------
    audio : np.ndarray
        (n_samples,) mono audio.
    rate : int
        Its sample rate in Hz.
    target_rate : int

    Returns
    -------
    np.ndarray
        (int(n_samples * target_rate / rate),) float32.
    """
    import resampy  # here, not at the top: its numba import would slow every snakemake start

    if rate == target_rate:
        return audio.astype(np.float32)
    return resampy.resample(audio, rate, target_rate, axis=0).astype(np.float32)


def write_wav(path: str | Path, audio: np.ndarray, rate: int) -> None:
    """Write float32 mono WAV atomically.

    Parameters
    ----------
    path : str or Path
    audio : np.ndarray
        (n_samples,) mono audio, written as 32-bit float samples.
    rate : int
        Sample rate in Hz.
    """
    with atomic_path(path) as tmp:
        soundfile.write(str(tmp), audio, rate, subtype="FLOAT", format="WAV")


def resample_file(source: str | Path, target: str | Path, target_rate: int, story: str) -> dict:
    """Read, mix to mono, resample and write one story's audio; returns what was done."""
    audio, rate = read_mono(source, story)
    write_wav(target, resample(audio, rate, target_rate), target_rate)
    return {"story": story, "source_rate": rate, "target_rate": target_rate,
            "duration_s": len(audio) / rate}
