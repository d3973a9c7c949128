"""Planning a run before any job starts: which subjects and layers, with inputs checked early."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .manifest import Story
from .model_config import inspect_model
from .responses import list_subjects, response_shapes
from .audio import check_audio_file
from .trimming import check_alignment, check_rows_for_delays


def plan_subjects(spec: str | Sequence[str], responses_dir: str | Path, stories: Sequence[Story],
                  trimming: Mapping, known_subjects: Sequence[str] | None = None) -> list[str]:
    """The subjects to fit; with `known_subjects` (generated data) the files are not read yet.

    Otherwise every subject's response files must exist, be 2-D with one voxel count, and align
    with the features after trimming (checked from the .npy headers only).
    """
    available = list(known_subjects) if known_subjects is not None else list_subjects(responses_dir)
    subjects = available if spec == "all" else list(spec)
    unknown = [s for s in subjects if s not in available]
    if unknown:
        raise InputError(f"dataset.subjects: no responses for {', '.join(unknown)} in {responses_dir} "
                         f"(available: {', '.join(available)})")
    if known_subjects is None:
        for subject in subjects:
            shapes = response_shapes(responses_dir, subject, [s.name for s in stories])
            for story in stories:
                check_alignment(subject, story.name, story.split, story.n_trs,
                                shapes[story.name][0], trimming)
    return subjects


def check_stories(stories: Sequence[Story], trimming: Mapping, delays: list[int],
                  min_duration: float, audio_exists: bool = True) -> None:
    """Every story has rows for its delays after trimming, and (when it exists) usable audio of
    at least `min_duration` seconds, from the file header only."""
    for story in stories:
        check_rows_for_delays(story.name, story.split, story.n_trs, trimming, delays)
        if audio_exists:
            check_audio_file(story.audio, story.name, min_duration)


@dataclass(frozen=True)
class FeatureSetPlan:
    """What the DAG needs to know about a feature set's model: its family and the layers to fit."""

    family: str
    layers: list[int]


def plan_feature_set(feature_set: Mapping, demo_model: Mapping | None = None) -> FeatureSetPlan:
    """The model family and layers to fit; `demo_model` gives the shape of a not-yet-built model."""
    if demo_model is not None:
        family, n_layers = "whisper", demo_model["encoder_layers"]
    else:
        family, n_layers = inspect_model(feature_set["model"])
    if feature_set["layers"] == "all":
        return FeatureSetPlan(family, list(range(n_layers)))
    too_deep = [layer for layer in feature_set["layers"] if layer >= n_layers]
    if too_deep:
        raise InputError(f"feature set {feature_set['name']!r}: layers {too_deep} do not exist; model "
                         f"{feature_set['model']!r} has {n_layers} layers (0..{n_layers - 1})")
    return FeatureSetPlan(family, list(feature_set["layers"]))
