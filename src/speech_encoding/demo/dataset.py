"""The demo dataset: stories.tsv, audio, responses of subjects with known driven voxels, truth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import soundfile

from ..data.manifest import Story, tr_times, write_manifest
from ..design_matrix.delays import stack_delays
from ..design_matrix.downsample import rect_downsample
from ..design_matrix.preprocess import zscore_columns
from ..run.atomic_io import atomic_path, save_json, save_npy
from .planning import demo_stories, repeated_stories
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


def true_ceilings(demo: Mapping, driven: np.ndarray) -> np.ndarray:
    """The correlation ceiling planted in each voxel of a repeated story's averaged response: the
    drive has variance 1 and each repeat's noise `noise_level ** 2`, so the mean of `n_repeats`
    repeats has signal share 1 / (1 + noise_level ** 2 / n_repeats) in driven voxels, 0 elsewhere."""
    ceiling = np.zeros(demo["n_voxels"])
    ceiling[driven] = np.sqrt(1.0 / (1.0 + demo["noise_level"] ** 2 / demo["n_repeats"]))
    return ceiling


def subject_responses(envelopes: dict[str, np.ndarray], demo: Mapping, rng: np.random.Generator,
                      repeated: Sequence[str] = (), driven: np.ndarray | None = None
                      ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Responses per story for one subject, the repeats of the `repeated` stories, and the indices
    of its driven voxels.

    Parameters
    ----------
    envelopes : dict of str to np.ndarray
        Per story, its (n_trs, n_bands) z-scored envelopes (`story_envelopes`).
    demo : mapping
        The demo config: n_voxels, n_driven, noise_level, noise_smoothness, n_repeats.
    rng : np.random.Generator
    repeated : sequence of str
        Stories presented `n_repeats` times, each with its own noise; their responses are the
        mean of the repeats.
    driven : np.ndarray, optional
        The columns of the driven voxels (the demo's brain: inside its ROI); drawn from `rng`
        when not given.

    Returns
    -------
    responses : dict of str to np.ndarray
        Per story, its (n_trs, n_voxels) float32 responses.
    repeats : dict of str to np.ndarray
        Per repeated story, its (n_repeats, n_trs, n_voxels) float32 repeats.
    driven : np.ndarray
        (n_driven,) sorted int64 indices of the driven voxels.
    """
    n_voxels, n_driven = demo["n_voxels"], demo["n_driven"]
    driven = np.sort(rng.choice(n_voxels, size=n_driven, replace=False) if driven is None else driven)
    n_bands = len(BAND_EDGES) - 1
    weights = rng.standard_normal((len(RESPONSE_DELAYS) * n_bands, n_driven))
    responses, repeats = {}, {}
    for name, env in envelopes.items():
        drive = zscore_columns(stack_delays(env, RESPONSE_DELAYS) @ weights)
        n_presentations = demo["n_repeats"] if name in repeated else 1
        presentations = np.stack([demo["noise_level"] * ar1(len(env), n_voxels, demo["noise_smoothness"], rng)
                                  for _ in range(n_presentations)])
        presentations[:, :, driven] += drive
        responses[name] = presentations.mean(axis=0).astype(np.float32)
        if name in repeated:
            repeats[name] = presentations.astype(np.float32)
    return responses, repeats, driven


def write_demo_dataset(demo: Mapping, dataset_dir: str | Path, driven: Sequence[int] | None = None) -> None:
    """Generate the whole demo dataset deterministically from `demo['seed']` (every subject's
    driven voxels at the columns `driven` when given: the demo's brain)."""
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
    repeated = repeated_stories(demo)
    truth = {}
    for subject, seed in zip(demo["subjects"], seeds[len(stories):]):
        responses, repeats, columns = subject_responses(
            envelopes, demo, np.random.default_rng(seed), repeated,
            None if driven is None else np.asarray(driven, dtype=np.int64))
        for name, data in responses.items():
            save_npy(folder / "responses" / subject / f"{name}.npy", data)
        for name, data in repeats.items():
            save_npy(folder / "repeats" / subject / f"{name}.npy", data)
        truth[subject] = {"driven_voxels": columns.tolist(), "n_voxels": demo["n_voxels"]}
        if repeated:
            truth[subject]["noise_ceiling"] = true_ceilings(demo, columns).tolist()
    save_json(folder / "truth.json", truth)
    write_manifest(stories, folder / "stories.tsv")
