"""The demo dataset: stories.tsv, audio, responses of subjects with known driven voxels, truth."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import soundfile

from ..data.manifest import Story, tr_times, write_manifest
from ..design_matrix.delays import stack_delays
from ..design_matrix.downsample import rect_downsample
from ..design_matrix.preprocess import zscore_columns
from ..run.atomic_io import atomic_path, save_json, save_npy
from .planning import demo_stories
from .simulated_responses import ar1
from .speech_audio import band_envelopes, speech_like_audio

BAND_EDGES = [80.0, 500.0, 1500.0, 4000.0, 8000.0]
RESPONSE_DELAYS = [1, 2, 3, 4]


def story_envelopes(audio: np.ndarray, rate: int, story: Story) -> np.ndarray:
    """The audio's band envelopes averaged onto the story's TR grid, z-scored (TRs x bands).

    Parameters
    ----------
    audio : np.ndarray
        (n_samples,) float32 mono audio.
    rate : int
        Sample rate in Hz.
    story : Story
        Its tr and n_trs give the TR grid.

    Returns
    -------
    np.ndarray
        (n_trs, len(BAND_EDGES) - 1) float64.
    """
    envelopes, frame_times = band_envelopes(audio, rate, BAND_EDGES)
    on_trs = rect_downsample(envelopes, frame_times, tr_times(story.tr, story.n_trs), story.tr)
    return zscore_columns(on_trs)


def subject_responses(envelopes: dict[str, np.ndarray], demo: Mapping,
                      rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Responses per story for one subject and the indices of its driven voxels.

    Parameters
    ----------
    envelopes : dict of str to np.ndarray
        Per story, its (n_trs, n_bands) z-scored envelopes (`story_envelopes`).
    demo : mapping
        The demo config: n_voxels, n_driven, noise_level, noise_smoothness.
    rng : np.random.Generator

    Returns
    -------
    responses : dict of str to np.ndarray
        Per story, its (n_trs, n_voxels) float32 responses.
    driven : np.ndarray
        (n_driven,) sorted int64 indices of the driven voxels.
    """
    n_voxels, n_driven = demo["n_voxels"], demo["n_driven"]
    driven = np.sort(rng.choice(n_voxels, size=n_driven, replace=False))
    n_bands = len(BAND_EDGES) - 1
    weights = rng.standard_normal((len(RESPONSE_DELAYS) * n_bands, n_driven))
    responses = {}
    for name, env in envelopes.items():
        drive = zscore_columns(stack_delays(env, RESPONSE_DELAYS) @ weights)
        data = demo["noise_level"] * ar1(len(env), n_voxels, demo["noise_smoothness"], rng)
        data[:, driven] += drive
        responses[name] = data.astype(np.float32)
    return responses, driven


def write_demo_dataset(demo: Mapping, dataset_dir: str | Path) -> None:
    """Generate the whole demo dataset deterministically from `demo['seed']`."""
    folder = Path(dataset_dir)
    stories = demo_stories(demo, folder)
    seeds = np.random.SeedSequence(demo["seed"]).spawn(len(stories) + len(demo["subjects"]))
    rate = demo["sample_rate"]
    envelopes = {}
    for story, seed in zip(stories, seeds):
        audio = speech_like_audio(demo["story_duration"], rate, np.random.default_rng(seed))
        with atomic_path(story.audio) as tmp:
            soundfile.write(str(tmp), audio, rate, subtype="PCM_16", format="WAV")
        envelopes[story.name] = story_envelopes(audio, rate, story)
    truth = {}
    for subject, seed in zip(demo["subjects"], seeds[len(stories):]):
        responses, driven = subject_responses(envelopes, demo, np.random.default_rng(seed))
        for name, data in responses.items():
            save_npy(folder / "responses" / subject / f"{name}.npy", data)
        truth[subject] = {"driven_voxels": driven.tolist(), "n_voxels": demo["n_voxels"]}
    save_json(folder / "truth.json", truth)
    write_manifest(stories, folder / "stories.tsv")
