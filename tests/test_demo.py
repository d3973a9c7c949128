"""The embedded demo: deterministic from its seed, and responses driven as described."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import soundfile
from conftest import TINY_DEMO, validated

from speech_encoding.data.manifest import read_manifest
from speech_encoding.demo.dataset import BAND_EDGES, write_demo_dataset
from speech_encoding.demo.planning import demo_audio_length, demo_stories
from speech_encoding.demo.speech_audio import band_envelopes


def digest(folder) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo_dataset(tmp_path_factory):
    """The tiny demo's dataset, written once: the tests only read it."""
    folder = tmp_path_factory.mktemp("demo")
    write_demo_dataset(validated(TINY_DEMO)["demo"], folder)
    return folder


def test_same_seed_same_bytes_other_seed_other_data(tmp_path, demo_dataset):
    demo = validated(TINY_DEMO)["demo"]
    write_demo_dataset(demo, tmp_path / "b")
    write_demo_dataset({**demo, "seed": demo["seed"] + 1}, tmp_path / "c")
    assert digest(demo_dataset) == digest(tmp_path / "b")
    assert digest(demo_dataset)["audio/story01.wav"] != digest(tmp_path / "c")["audio/story01.wav"]


def test_manifest_matches_the_planned_stories(demo_dataset):
    demo = validated(TINY_DEMO)["demo"]
    written = read_manifest(demo_dataset / "stories.tsv")
    planned = demo_stories(demo, demo_dataset)
    assert [(s.name, s.split, s.n_trs, s.tr) for s in written] == \
           [(s.name, s.split, s.n_trs, s.tr) for s in planned]
    assert [s.audio for s in written] == [s.audio for s in planned]
    truth = json.loads((demo_dataset / "truth.json").read_text())
    assert set(truth) == {"s1", "s2"}
    assert truth["s1"]["driven_voxels"] != truth["s2"]["driven_voxels"]
    info = soundfile.info(str(demo_dataset / "audio" / "story01.wav"))
    assert (info.frames, info.samplerate) == demo_audio_length(demo)
    response = np.load(demo_dataset / "responses" / "s1" / "story01.npy")
    assert response.shape == (30, 40) and response.dtype == np.float32


def test_the_test_story_is_the_mean_of_its_repeats_with_the_planted_ceilings(demo_dataset):
    demo = validated(TINY_DEMO)["demo"]
    assert sorted(p.name for p in (demo_dataset / "repeats" / "s1").iterdir()) == ["story04.npy"]
    repeats = np.load(demo_dataset / "repeats" / "s1" / "story04.npy")
    assert repeats.shape == (demo["n_repeats"], 30, 40) and repeats.dtype == np.float32
    response = np.load(demo_dataset / "responses" / "s1" / "story04.npy")
    np.testing.assert_allclose(response, repeats.astype(np.float64).mean(axis=0), atol=1e-6)
    assert not np.allclose(repeats[0], repeats[1])  # each repeat has its own noise
    truth = json.loads((demo_dataset / "truth.json").read_text())["s1"]
    ceiling = np.array(truth["noise_ceiling"])
    driven = np.zeros(40, dtype=bool)
    driven[truth["driven_voxels"]] = True
    # drive variance 1, noise 0.7 ** 2 per repeat, 4 repeats averaged
    np.testing.assert_allclose(ceiling[driven], np.sqrt(1 / (1 + 0.49 / 4)))
    assert not ceiling[~driven].any()
    # the repeats' driven voxels share the drive: their mean differs from each repeat by noise only
    residual = repeats[:, :, driven] - repeats[:, :, driven].mean(axis=0)
    assert 0.5 < residual.std() / 0.7 < 1.0  # about sqrt(3 / 4) of the per-repeat noise


def test_band_envelopes_follow_band_energy():
    rate = 16000
    t = np.arange(rate) / rate
    low = np.sin(2 * np.pi * 300 * t)
    high = np.sin(2 * np.pi * 3000 * t)
    audio = np.concatenate([low, high])
    envelopes, times = band_envelopes(audio, rate, BAND_EDGES)
    first, second = envelopes[times < 0.9], envelopes[times > 1.1]
    assert first[:, 0].mean() > first[:, 2].mean() + 5
    assert second[:, 2].mean() > second[:, 0].mean() + 5
