"""What the demo rules will generate, known from the config before they run: the planning of a
demo run uses these stand-ins for a manifest, response folders and a model that do not exist yet.

Light at import (no torch, no soundfile): every snakemake start plans the run.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path

from ..data.audio import AudioLength
from ..data.manifest import Story
from ..data.repeats import repeats_path
from ..errors import InputError
from ..run.plan import GeneratedInputs, GeneratedModel

DEMO_FAMILY = "whisper"  # the demo model is a random-weight Whisper (demo/model.py)


def story_names(demo: Mapping) -> list[str]:
    """story01, story02, ...: training stories first, then test stories."""
    return [f"story{i + 1:02d}" for i in range(demo["n_train_stories"] + demo["n_test_stories"])]


def demo_stories(demo: Mapping, dataset_dir: str | Path) -> list[Story]:
    """The demo manifest's rows, known before the dataset is written (for planning the DAG).

    Audio paths are spelled under `dataset_dir` as given, as the demo rule spells its outputs.
    """
    folder = Path(dataset_dir)
    n_trs = int(demo["story_duration"] // demo["tr"])
    return [Story(name=name, audio=folder / "audio" / f"{name}.wav", tr=float(demo["tr"]),
                  n_trs=n_trs, split="train" if i < demo["n_train_stories"] else "test")
            for i, name in enumerate(story_names(demo))]


def repeated_stories(demo: Mapping) -> list[str]:
    """The stories with a repeats file: the test stories, when there are at least 2 repeats."""
    return story_names(demo)[demo["n_train_stories"]:] if demo["n_repeats"] >= 2 else []


def demo_audio_length(demo: Mapping) -> AudioLength:
    """The length of every demo story's audio (`speech_audio.speech_like_audio` writes
    int(story_duration * sample_rate) samples)."""
    return AudioLength(int(demo["story_duration"] * demo["sample_rate"]), int(demo["sample_rate"]))


def dataset_settings(demo: Mapping) -> dict:
    """The demo section without the model: the settings the generated dataset depends on."""
    return {key: value for key, value in demo.items() if key != "model"}


def same_path(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when two paths name the same place (before either exists)."""
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def demo_brain_filestore(config: Mapping, brain_dir: str) -> str | None:
    """The pycortex filestore the demo's brain rule writes: with demo.brain, when pycortex and
    nibabel are installed (else the demo's voxels are in no brain; `demo_brain_notice` says so)."""
    demo = config.get("demo") or {}
    if "brain" not in demo or not all(importlib.util.find_spec(name) for name in ("cortex", "nibabel")):
        return None
    return f"{brain_dir}/pycortex-db"


def demo_brain_notice(config: Mapping) -> str | None:
    """Why the demo's voxels are in no brain although demo.brain asks for one (None otherwise)."""
    if "brain" in (config.get("demo") or {}) and demo_brain_filestore(config, "") is None:
        return ("demo.brain: pycortex and nibabel are not installed, so the demo's voxels are in no "
                "brain and get no flatmaps; pip install -e '.[maps]' to draw them")
    return None


def demo_generated_inputs(config: Mapping, dataset_dir: str, model_dir: str,
                          brain_dir: str = "") -> GeneratedInputs:
    """The inputs the demo rules will write, for the parts of `config` that point at them:
    nothing when the config has no `demo` section or reads its own dataset and models."""
    if "demo" not in config:
        return GeneratedInputs()
    demo = config["demo"]
    uses_dataset = same_path(config["dataset"]["stories"], Path(dataset_dir) / "stories.tsv")
    model = GeneratedModel(model_dir, DEMO_FAMILY, demo["model"]["encoder_layers"])
    models = {fs["model"]: model for fs in config["feature_sets"] if same_path(fs["model"], model_dir)}
    if not uses_dataset:
        return GeneratedInputs(models=models)
    stories = demo_stories(demo, dataset_dir)
    repeats = None
    if config["dataset"].get("repeats"):
        if not same_path(config["dataset"]["repeats"], Path(dataset_dir) / "repeats"):
            raise InputError(f"dataset.repeats: {config['dataset']['repeats']!r} is not the demo's "
                             f"repeats folder {Path(dataset_dir) / 'repeats'}, although dataset.stories "
                             "is the demo's")
        n_trs = stories[0].n_trs
        repeats = {(subject, story): (str(repeats_path(Path(dataset_dir) / "repeats", subject, story)), n_trs)
                   for subject in demo["subjects"] for story in repeated_stories(demo)}
    return GeneratedInputs(stories=stories, subjects=list(demo["subjects"]), models=models,
                           truth=f"{dataset_dir}/truth.json",
                           audio={story.name: demo_audio_length(demo) for story in stories},
                           repeats=repeats, n_voxels=demo["n_voxels"],
                           filestore=demo_brain_filestore(config, brain_dir))
