"""Feature extraction against the reference algorithm: one window at a time, batch size 1."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
import torch

from speech_encoding.errors import InputError
from speech_encoding.extract import extract_story, extract_story_file
from speech_encoding.feature_files import read_layer
from speech_encoding.model_config import inspect_model
from speech_encoding.speech_model import load_encoder

RATE = 16000


def reference_features(model_dir, audio, chunk_size, context_size, pool):
    """The definition, plainly: each window alone through extractor and encoder."""
    from transformers import AutoFeatureExtractor, AutoModel

    extractor = AutoFeatureExtractor.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    is_whisper = model.config.model_type == "whisper"
    encoder = model.get_encoder() if is_whisper else model
    chunk, context = round(chunk_size * RATE), round(context_size * RATE)
    layers, times = None, []
    i = 0
    while context + i * chunk <= len(audio):
        end = context + i * chunk
        inputs = extractor(audio[end - context:end], sampling_rate=RATE, return_tensors="pt")
        key = "input_features" if is_whisper else "input_values"
        with torch.no_grad():
            hidden = encoder(inputs[key], output_hidden_states=True).hidden_states
        if layers is None:
            layers = [[] for _ in range(len(hidden) - 1)]
        for layer in range(len(hidden) - 1):
            frames = hidden[layer + 1][0]
            layers[layer].append((frames[-1] if pool == "last" else frames.mean(dim=0)).numpy())
        times.append(end / RATE)
        i += 1
    return [np.stack(rows) for rows in layers], np.array(times)


@pytest.fixture(scope="module")
def audio():
    return np.random.default_rng(5).standard_normal(int(3.3 * RATE)).astype(np.float32) * 0.1


@pytest.mark.parametrize("family", ["tiny_whisper", "tiny_hubert"])
@pytest.mark.parametrize("pool", ["last", "mean"])
def test_matches_reference_loop(request, family, pool, audio):
    model_dir = request.getfixturevalue(family)
    expected, expected_times = reference_features(model_dir, audio, 0.25, 1.0, pool)
    encoder = load_encoder(model_dir, "cpu")
    features, times = extract_story(audio, RATE, encoder, 0.25, 1.0, pool, batch_size=3,
                                    device="cpu", story="s")
    assert len(times) == len(expected_times) == 10
    np.testing.assert_array_equal(times, expected_times)
    assert len(features) == len(expected) == 2
    for got, want in zip(features, expected):
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


def test_model_inspection(tiny_whisper, tiny_hubert):
    assert inspect_model(tiny_whisper) == ("whisper", 2)
    assert inspect_model(tiny_hubert) == ("waveform", 2)


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
        extract_story(np.zeros(RATE // 2, np.float32), RATE, encoder, 0.25, 1.0, "last", 1, "cpu",
                      "short")


def test_wrong_sample_rate_is_refused(tiny_whisper):
    encoder = load_encoder(tiny_whisper, "cpu")
    with pytest.raises(InputError, match="expects 16000 Hz.*target_sample_rate is 8000"):
        extract_story(np.zeros(8000 * 2, np.float32), 8000, encoder, 0.25, 1.0, "last", 1, "cpu")


def test_story_file_round_trip_with_meta(tmp_path, tiny_whisper, audio):
    soundfile.write(tmp_path / "a.wav", audio, RATE, subtype="FLOAT")
    extract_story_file(str(tmp_path / "a.wav"), str(tmp_path / "out"), "a", tiny_whisper, 0.5, 1.0,
                       "mean", RATE, "cpu", 4)
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["n_windows"] == 5 and meta["n_layers"] == 2 and meta["dims"] == [32, 32]
    assert meta["model"] == tiny_whisper and meta["pool"] == "mean"
    data, times = read_layer(tmp_path / "out", 1)
    assert data.shape == (5, 32)
    np.testing.assert_allclose(times, [1.0, 1.5, 2.0, 2.5, 3.0], atol=1e-12)
    with pytest.raises(InputError, match="layer 2 requested but the model has 2 layers"):
        read_layer(tmp_path / "out", 2)
    (tmp_path / "out" / "meta.json").unlink()
    with pytest.raises(InputError, match="incomplete feature folder"):
        read_layer(tmp_path / "out", 0)
