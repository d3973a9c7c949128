"""Audio input: mono mixing, resampling, and errors naming the story and file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from speech_encoding.audio import read_mono, resample_file
from speech_encoding.errors import InputError


def test_channels_are_averaged(tmp_path):
    rng = np.random.default_rng(0)
    stereo = rng.uniform(-0.5, 0.5, (1000, 2)).astype(np.float32)
    soundfile.write(tmp_path / "s.wav", stereo, 8000, subtype="FLOAT")
    mono, rate = read_mono(tmp_path / "s.wav", "s")
    expected = np.array([(left + right) / 2 for left, right in stereo], dtype=np.float32)
    assert rate == 8000
    np.testing.assert_allclose(mono, expected, atol=1e-7)


def test_resampling_keeps_duration_frequency_and_amplitude(tmp_path):
    source_rate, target_rate, seconds, freq = 22050, 16000, 2.0, 440.0
    t = np.arange(int(source_rate * seconds)) / source_rate
    soundfile.write(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * freq * t), source_rate,
                    subtype="FLOAT")
    done = resample_file(tmp_path / "tone.wav", tmp_path / "out.wav", target_rate, "tone")
    out, rate = soundfile.read(tmp_path / "out.wav", dtype="float32")
    assert rate == target_rate and done["source_rate"] == source_rate
    assert abs(len(out) - seconds * target_rate) <= 1
    middle = out[2000:-2000]
    spectrum = np.abs(np.fft.rfft(middle))
    peak_hz = np.argmax(spectrum) * target_rate / len(middle)
    assert abs(peak_hz - freq) < 2.0
    assert np.sqrt(np.mean(middle ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_same_rate_is_copied_unchanged(tmp_path):
    audio = np.random.default_rng(1).uniform(-0.5, 0.5, 4000).astype(np.float32)
    soundfile.write(tmp_path / "a.wav", audio, 16000, subtype="FLOAT")
    resample_file(tmp_path / "a.wav", tmp_path / "b.wav", 16000, "a")
    np.testing.assert_array_equal(soundfile.read(tmp_path / "b.wav", dtype="float32")[0], audio)


def test_unreadable_audio_names_story_and_file(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"not audio at all")
    with pytest.raises(InputError, match=r"story 'x': cannot read audio file .*bad\.wav"):
        read_mono(tmp_path / "bad.wav", "x")


def test_empty_audio_is_refused(tmp_path):
    soundfile.write(tmp_path / "e.wav", np.zeros(0, np.float32), 16000)
    with pytest.raises(InputError, match=r"story 'e': audio file .*e\.wav has no samples"):
        read_mono(tmp_path / "e.wav", "e")
