"""Audio input: mono mixing, resampling, and errors naming the story and file."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile

from speech_encoding.data.audio import AudioLength, check_audio_file, read_mono, resample, resample_file
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


@pytest.mark.parametrize("frames, rate, target", [(22050 * 3 + 7, 22050, 16000), (44100 + 1, 44100, 16000),
                                                  (8000 * 2 + 3, 8000, 16000), (48001, 48000, 22050),
                                                  (1234, 16000, 16000)])
def test_planning_knows_the_resampled_length(frames, rate, target):
    """Auto trimming plans window times from the header: the length must be resample's."""
    audio = np.random.default_rng(0).uniform(-0.5, 0.5, frames).astype(np.float32)
    assert AudioLength(frames, rate).resampled(target) == len(resample(audio, rate, target))


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


def write_tone(path, frames=16000, channels=1, rate=16000, subtype="PCM_16"):
    data = 0.1 * np.sin(np.linspace(0, 200, frames * channels)).reshape(frames, channels)
    soundfile.write(path, data.astype(np.float32), rate, subtype=subtype)


def test_truncated_wav_is_refused(tmp_path):
    write_tone(tmp_path / "full.wav")
    whole = (tmp_path / "full.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(whole[: len(whole) // 2])
    assert check_audio_file(tmp_path / "full.wav", "full").duration == pytest.approx(1.0)
    with pytest.raises(InputError, match=r"story 'cut': audio file .*cut\.wav is truncated"):
        read_mono(tmp_path / "cut.wav", "cut")


def test_more_than_two_channels_is_refused(tmp_path):
    write_tone(tmp_path / "three.wav", channels=3)
    with pytest.raises(InputError, match=r"story 's': audio file .*three\.wav has 3 channels"):
        read_mono(tmp_path / "three.wav", "s")


def test_nan_samples_are_refused(tmp_path):
    data = np.zeros(800, np.float32)
    data[100] = np.nan
    soundfile.write(tmp_path / "nan.wav", data, 16000, subtype="FLOAT")
    with pytest.raises(InputError, match=r"story 'n': audio file .*nan\.wav contains NaN"):
        read_mono(tmp_path / "nan.wav", "n")


def test_unsupported_format_is_refused(tmp_path):
    (tmp_path / "story.xyz").write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(InputError, match=r"story 'x': cannot read audio file .*story\.xyz"):
        check_audio_file(tmp_path / "story.xyz", "x")


def test_audio_shorter_than_a_window_is_refused_from_the_header(tmp_path):
    write_tone(tmp_path / "short.wav", frames=8000)
    with pytest.raises(InputError, match=r"story 'short': .* is 0\.500 s long, shorter than one "
                                         r"window \(context_size 16\.0 s\)"):
        check_audio_file(tmp_path / "short.wav", "short", min_duration=16.0)
