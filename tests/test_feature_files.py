"""Feature folders: meta.json contents, saved dtype, and stale or mismatching folders refused."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from speech_encoding.design_matrix.downsample import downsample
from speech_encoding.errors import InputError
from speech_encoding.features.extract import extract_story_file
from speech_encoding.features.feature_files import cast_layer, read_layer

RATE = 16000
SETTINGS = {"chunk_size": 0.5, "context_size": 1.0, "pool": "mean", "target_sample_rate": RATE,
            "dtype": "float32", "save_dtype": "float32", "whisper_padding": "pad30"}


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "a.wav"
    audio = np.random.default_rng(7).standard_normal(int(3.2 * RATE)).astype(np.float32) * 0.1
    soundfile.write(path, audio, RATE, subtype="FLOAT")
    return str(path)


def extract(wav, out, model, **changes):
    settings = {**SETTINGS, **changes}
    extract_story_file(wav, str(out), "a", model, settings["chunk_size"], settings["context_size"],
                       settings["pool"], RATE, "cpu", 4, dtype=settings["dtype"],
                       whisper_padding=settings["whisper_padding"],
                       save_dtype=settings["save_dtype"])
    return {"model": model, **settings}


@pytest.fixture(scope="module")
def folder(tmp_path_factory, wav, tiny_whisper):
    out = tmp_path_factory.mktemp("features") / "a"
    return out, extract(wav, out, tiny_whisper)


def test_meta_records_settings_model_versions_and_shapes(folder, tiny_whisper):
    out, expected = folder
    meta = json.loads((out / "meta.json").read_text())
    assert meta["extraction"] == expected
    assert meta["story"] == "a" and meta["family"] == "whisper"
    assert (meta["n_windows"], meta["n_layers"], meta["dims"]) == (5, 2, [32, 32])
    assert meta["feature_dtype"] == "float32" and meta["batch_size"] == 4 and meta["device"] == "cpu"
    config_bytes = (Path(tiny_whisper) / "config.json").read_bytes()
    assert meta["model_config_sha256"] == hashlib.sha256(config_bytes).hexdigest()
    assert set(meta["versions"]) == {"torch", "transformers", "numpy", "speech_encoding"}
    data, times = read_layer(out, 1, expected=expected, story="a")
    assert data.shape == (5, 32) and data.dtype == np.float32
    np.testing.assert_allclose(times, [1.0, 1.5, 2.0, 2.5, 3.0], atol=1e-12)


def test_waveform_models_record_no_whisper_padding(tmp_path, wav, tiny_hubert):
    expected = extract(wav, tmp_path / "a", tiny_hubert)
    del expected["whisper_padding"]
    meta = json.loads((tmp_path / "a" / "meta.json").read_text())
    assert meta["extraction"] == expected and meta["family"] == "waveform"


@pytest.mark.parametrize("key, value", [("chunk_size", 0.25), ("pool", "last"), ("dtype", "bfloat16"),
                                        ("whisper_padding", "none"), ("save_dtype", "float16")])
def test_mismatching_settings_are_an_error_naming_folder_and_field(folder, key, value):
    out, expected = folder
    with pytest.raises(InputError, match=rf"{out}/meta.json: {key} is .* config asks for {value!r}"):
        read_layer(out, 0, expected={**expected, key: value}, story="a")


def test_other_story_missing_settings_and_older_meta_are_errors(folder, tmp_path):
    out, expected = folder
    with pytest.raises(InputError, match=r"meta.json: story is 'a', expected 'b'"):
        read_layer(out, 0, expected=expected, story="b")
    with pytest.raises(InputError, match=r"meta.json: model is .*'<absent>'"):
        read_layer(out, 0, expected={k: v for k, v in expected.items() if k != "model"})
    old = shutil.copytree(out, tmp_path / "old")
    meta = json.loads((out / "meta.json").read_text())
    del meta["extraction"]
    (old / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"old/meta.json has no extraction settings.*rerun extraction"):
        read_layer(old, 0, expected=expected, story="a")


def test_layer_files_must_match_meta(folder, tmp_path):
    out, expected = folder
    copy = shutil.copytree(out, tmp_path / "copy")
    np.save(copy / "layer0.npy", np.load(copy / "layer0.npy").astype(np.float64))
    with pytest.raises(InputError, match=r"layer0.npy holds float64 but meta.json says feature_dtype"):
        read_layer(copy, 0, expected=expected, story="a")
    np.save(copy / "layer1.npy", np.zeros((4, 32), np.float32))
    with pytest.raises(InputError, match=r"layer1.npy \(4, 32\).*n_windows 5"):
        read_layer(copy, 1)
    with pytest.raises(InputError, match="layer 2 requested but the model has 2 layers"):
        read_layer(copy, 2)
    (copy / "meta.json").unlink()
    with pytest.raises(InputError, match="incomplete feature folder"):
        read_layer(copy, 0)


def test_float16_files_are_half_the_size_and_read_back_as_float32(folder, tmp_path, wav, tiny_whisper):
    out, _ = folder
    expected = extract(wav, tmp_path / "a", tiny_whisper, save_dtype="float16")
    assert np.load(tmp_path / "a" / "layer1.npy").dtype == np.float16
    full, times = read_layer(out, 1)
    half, half_times = read_layer(tmp_path / "a", 1, expected=expected, story="a")
    assert half.dtype == np.float32
    np.testing.assert_array_equal(half_times, times)
    np.testing.assert_allclose(half, full, rtol=1e-3, atol=1e-4)  # float16 rounding: 2**-11 relative
    assert (tmp_path / "a" / "layer1.npy").stat().st_size < 0.6 * (out / "layer1.npy").stat().st_size
    tr_times = np.array([1.0, 3.0])
    np.testing.assert_allclose(downsample(half, half_times, tr_times, 2.0, method="rect"),
                               downsample(full, times, tr_times, 2.0, method="rect"),
                               rtol=1e-3, atol=1e-4)


def test_values_beyond_float16_range_are_refused():
    layer = np.array([[1.0, 7e4]], dtype=np.float32)
    with pytest.raises(InputError, match=r"layer 3 has values up to 7e\+04.*save_dtype float16.*float32"):
        cast_layer(layer, "float16", 3, Path("f"))
    assert cast_layer(layer, "float32", 3, Path("f")).dtype == np.float32
