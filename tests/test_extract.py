"""Feature extraction against the reference algorithm: one window at a time, batch size 1.

Tolerances: float32 features within 1e-4 absolute of the reference. bfloat16 compute (autocast:
products in bfloat16, residual stream in float32): Whisper within 2e-3 absolute; HuBERT within
3e-2 (about 1.5% of its feature range: its convolutional feature encoder takes the raw waveform
in bfloat16).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from extraction_reference import load_reference, reference_features

from speech_encoding.errors import InputError
from speech_encoding.features.extract import extract_story, extract_story_file
from speech_encoding.features.families import family_of
from speech_encoding.features.model_config import inspect_model, load_config
from speech_encoding.features.model_inputs import batched_log_mel, encoder_inputs, padded_log_mel
from speech_encoding.features.speech_model import load_encoder, resolve_dtype
from speech_encoding.features.whisper_blocks import WhisperBlocks
from speech_encoding.run.devices import resolve_device

RATE = 16000


@pytest.fixture(scope="module")
def audio():
    return np.random.default_rng(5).standard_normal(int(3.3 * RATE)).astype(np.float32) * 0.1


@pytest.fixture(scope="module")
def reference(audio):
    """`reference_features` of `audio`, computed once per model and settings and shared by the
    tests (read-only arrays: the reference loop is the slowest part of this file)."""
    cache = {}

    def features(model_dir: str, chunk_size: float, context_size: float, pool: str,
                 whisper_padding: str = "pad30") -> tuple[list[np.ndarray], np.ndarray]:
        key = (model_dir, chunk_size, context_size, pool, whisper_padding)
        if key not in cache:
            layers, times = reference_features(model_dir, audio, RATE, *key[1:])
            for array in (*layers, times):
                array.flags.writeable = False
            cache[key] = layers, times
        return cache[key]
    return features


def assert_matches(features, times, expected, expected_times, atol=1e-4):
    assert len(times) == len(expected_times)
    np.testing.assert_array_equal(times, expected_times)
    assert len(features) == len(expected)
    for got, want in zip(features, expected):
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=atol, rtol=0)


@pytest.mark.parametrize("family", ["tiny_whisper", "tiny_hubert"])
@pytest.mark.parametrize("pool", ["last", "mean"])
def test_matches_reference_loop(request, family, pool, audio, reference):
    model_dir = request.getfixturevalue(family)
    expected, expected_times = reference(model_dir, 0.25, 1.0, pool)
    encoder = load_encoder(model_dir, "cpu")
    features, times = extract_story(audio, RATE, encoder, 0.25, 1.0, pool, batch_size=3, story="s",
                                    threads=1)
    assert len(times) == 10 and len(features) == 2
    assert_matches(features, times, expected, expected_times)


@pytest.mark.parametrize("pool", ["last", "mean"])
def test_wav2vec2_and_wavlm_match_reference_loop(tiny_other_waveform_model, pool, audio,
                                                 reference):
    expected, expected_times = reference(tiny_other_waveform_model, 0.25, 1.0, pool)
    encoder = load_encoder(tiny_other_waveform_model, "cpu")
    assert encoder.family.name == "waveform" and encoder.n_layers == 2
    features, times = extract_story(audio, RATE, encoder, 0.25, 1.0, pool, batch_size=3, story="s",
                                    threads=2)
    assert_matches(features, times, expected, expected_times)


@pytest.mark.parametrize("family", ["tiny_whisper", "tiny_hubert"])
def test_windows_split_over_worker_threads_match_reference_loop(request, family, audio, reference,
                                                               caplog):
    """3 threads and batches of 4 windows: 3 workers (2, 1 and 1 windows) with one torch thread
    each, and torch's own thread count restored afterwards."""
    model_dir = request.getfixturevalue(family)
    expected, expected_times = reference(model_dir, 0.25, 1.0, "mean")
    encoder = load_encoder(model_dir, "cpu")
    before = torch.get_num_threads()
    with caplog.at_level(logging.INFO, logger="speech_encoding"):
        features, times = extract_story(audio, RATE, encoder, 0.25, 1.0, "mean", batch_size=4,
                                        story="s", threads=3)
    assert "3 window worker(s), 1 torch thread(s) each" in caplog.text
    assert torch.get_num_threads() == before
    assert_matches(features, times, expected, expected_times)


@pytest.mark.parametrize("pool", ["last", "mean"])
def test_whisper_without_padding_matches_reference_with_truncated_positions(
        tiny_whisper, pool, audio, reference):
    expected, expected_times = reference(tiny_whisper, 0.25, 1.0, pool, "none")
    padded, _ = reference(tiny_whisper, 0.25, 1.0, pool, "pad30")
    assert not np.allclose(expected[0], padded[0], atol=1e-2)  # the option changes the features
    encoder = load_encoder(tiny_whisper, "cpu")
    features, times = extract_story(audio, RATE, encoder, 0.25, 1.0, pool, batch_size=4, story="s",
                                    whisper_padding="none")
    assert_matches(features, times, expected, expected_times)


@pytest.mark.parametrize("chunk_rows, ffn_rows", [(None, None), (1500, 512)])
def test_whisper_blocks_follow_hidden_states_convention(tiny_whisper, chunk_rows, ffn_rows):
    """Block outputs equal HF's hidden_states[1:], the last one after the final layer norm,
    whether the batch runs whole (GPU) or window by window (CPU chunks), and the final
    position alone (for `last` pooling) equals that row of the full output."""
    _, hf_encoder, _ = load_reference(tiny_whisper)
    features = torch.randn(2, 80, 3000, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        expected = hf_encoder(features, output_hidden_states=True).hidden_states[1:]
        blocks = WhisperBlocks(hf_encoder, chunk_rows, ffn_rows)
        got = blocks.pooled(features, lambda hidden: hidden)
        last_rows = blocks.pooled(features, lambda hidden: hidden[:, -1], last_only=True)
        before_norm = blocks.block(1, got[0])
    assert len(got) == len(expected) == len(last_rows) == 2
    for mine, rows, theirs in zip(got, last_rows, expected):
        torch.testing.assert_close(mine, theirs, atol=1e-5, rtol=0)
        torch.testing.assert_close(rows, theirs[:, -1], atol=1e-5, rtol=0)
    assert not torch.allclose(got[-1], before_norm, atol=1e-2)


def test_whisper_without_padding_refuses_windows_over_30_s(tiny_whisper):
    encoder = load_encoder(tiny_whisper, "cpu")
    with pytest.raises(InputError, match=r"whisper_padding 'none': context_size 31\.0 s .* 30\.0 s"):
        extract_story(np.zeros(31 * RATE, np.float32), RATE, encoder, 1.0, 31.0, "last", 1, "s",
                      whisper_padding="none")


def test_batched_log_mel_equals_window_by_window(tiny_whisper, audio):
    """The GPU route (one batched STFT), run here on CPU, gives the CPU route's input."""
    encoder = load_encoder(tiny_whisper, "cpu")
    windows = [audio[i * 4000:i * 4000 + RATE] for i in range(3)]
    for padding, frames in (("pad30", 3000), ("none", 100)):
        per_window = encoder_inputs(encoder, windows, RATE, padding)
        options = {"sampling_rate": RATE, "return_tensors": "pt", "padding": "max_length",
                   "max_length": 30 * RATE if padding == "pad30" else RATE}
        batched = batched_log_mel(encoder.feature_extractor, windows, "cpu", options)
        assert per_window.shape == batched.shape == (3, 80, frames)
        torch.testing.assert_close(batched, per_window, atol=1e-5, rtol=0)


@pytest.mark.parametrize("seconds", [1.0, 7.3771, 29.99])
def test_padded_log_mel_is_the_extractors_30_s_output(tiny_whisper, seconds):
    """Own frames plus repeated silence equal the extractor's padded output (29.99 s: fallback)."""
    extractor = load_encoder(tiny_whisper, "cpu").feature_extractor
    window = np.random.default_rng(3).standard_normal(round(seconds * RATE)).astype(np.float32)
    expected = extractor(window, sampling_rate=RATE, return_tensors="pt")["input_features"]
    got = padded_log_mel(extractor, window, RATE)
    assert got.shape == expected.shape == (1, 80, 3000)
    torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)


@pytest.mark.parametrize("family, atol", [("tiny_whisper", 2e-3), ("tiny_hubert", 3e-2)])
def test_bfloat16_on_cpu_is_close_to_float32_reference(request, family, atol, audio, reference):
    model_dir = request.getfixturevalue(family)
    expected, expected_times = reference(model_dir, 0.5, 1.0, "last")
    encoder = load_encoder(model_dir, "cpu", "bfloat16")
    assert encoder.dtype == torch.bfloat16
    features, times = extract_story(audio, RATE, encoder, 0.5, 1.0, "last", batch_size=2, story="s")
    assert_matches(features, times, expected, expected_times, atol=atol)
    assert max(np.abs(f - e).max() for f, e in zip(features, expected)) > 2e-5  # really bfloat16


def test_float16_is_refused_on_cpu_before_audio_is_read(tmp_path, tiny_whisper):
    with pytest.raises(InputError, match="dtype float16 needs a CUDA device.*float32 or bfloat16"):
        resolve_dtype("float16", "cpu")
    assert resolve_dtype("float16", "cuda") == torch.float16
    if not torch.cuda.is_available():
        with pytest.raises(InputError, match="float16"):
            extract_story_file(str(tmp_path / "missing.wav"), str(tmp_path / "out"), "a",
                               tiny_whisper, 0.5, 1.0, "last", RATE, "auto", 2, dtype="float16")


def test_auto_device_picks_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto", "feature set device") == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto", "feature set device") == "cpu"
    with pytest.raises(InputError, match="device is 'cuda' but no CUDA device"):
        resolve_device("cuda", "feature set device")


def test_threads_follow_the_request_and_are_logged(tmp_path, tiny_hubert, audio, caplog):
    soundfile.write(tmp_path / "a.wav", audio, RATE, subtype="FLOAT")
    before = torch.get_num_threads()
    try:
        with caplog.at_level(logging.INFO, logger="speech_encoding"):
            meta = extract_story_file(str(tmp_path / "a.wav"), str(tmp_path / "out"), "a",
                                      tiny_hubert, 1.0, 1.0, "last", RATE, "cpu", 4, threads=1)
        assert torch.get_num_threads() == 1 and meta["threads"] == 1 and meta["window_workers"] == 1
        assert "torch uses 1 threads" in caplog.text
    finally:
        torch.set_num_threads(before)


def test_model_inspection(tiny_whisper, tiny_hubert, tiny_other_waveform_model):
    assert inspect_model(tiny_whisper) == ("whisper", 2)
    assert inspect_model(tiny_hubert) == ("waveform", 2)
    for model in (tiny_whisper, tiny_hubert, tiny_other_waveform_model):
        config = load_config(model)  # transformers' own reading of the folder
        family = family_of(config.model_type, model)
        assert inspect_model(model) == (family.name, family.layer_count(config))


def test_model_inspection_imports_neither_torch_nor_transformers(tiny_whisper, tiny_hubert):
    """Every snakemake start plans the run, and a SLURM job starts snakemake: torch costs seconds."""
    code = ("import sys; from speech_encoding.features.model_config import inspect_model; "
            f"print(inspect_model({tiny_whisper!r}), inspect_model({tiny_hubert!r})); "
            "print(*sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    answers, modules = result.stdout.splitlines()
    assert answers == "('whisper', 2) ('waveform', 2)"
    assert not {"torch", "transformers"} & set(modules.split())


def test_a_layer_count_left_to_the_library_default_is_read_through_transformers(tmp_path,
                                                                                tiny_whisper):
    from transformers import WhisperConfig

    fields = json.loads((Path(tiny_whisper) / "config.json").read_text())
    del fields["encoder_layers"]
    (tmp_path / "config.json").write_text(json.dumps(fields))
    assert WhisperConfig().encoder_layers != 2
    assert inspect_model(str(tmp_path)) == ("whisper", WhisperConfig().encoder_layers)


def test_an_unreadable_config_json_is_named(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "whisper",')
    with pytest.raises(InputError, match=r"config\.json is not readable JSON"):
        inspect_model(str(tmp_path))


def test_unsupported_model_type_is_named(tmp_path):
    from transformers import BertConfig

    BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
               intermediate_size=8).save_pretrained(tmp_path)
    with pytest.raises(InputError, match=r"model_type 'bert'.*not a supported audio encoder"):
        inspect_model(str(tmp_path))


def test_model_missing_offline_says_how_to_provide_it(tmp_path):
    with pytest.raises(InputError, match="no usable model config.*huggingface-cli download"):
        inspect_model("no-such-org/no-such-model-xyz")
    with pytest.raises(InputError, match="local folder"):
        inspect_model(str(tmp_path))


def test_audio_shorter_than_a_window_names_story_and_durations(tiny_whisper):
    encoder = load_encoder(tiny_whisper, "cpu")
    with pytest.raises(InputError, match=r"story 'short': audio is 0\.500 s long.*context_size 1\.0 s"):
        extract_story(np.zeros(RATE // 2, np.float32), RATE, encoder, 0.25, 1.0, "last", 1, "short")


def test_wrong_sample_rate_is_refused(tiny_whisper):
    encoder = load_encoder(tiny_whisper, "cpu")
    with pytest.raises(InputError, match="expects 16000 Hz.*target_sample_rate is 8000"):
        extract_story(np.zeros(8000 * 2, np.float32), 8000, encoder, 0.25, 1.0, "last", 1)
