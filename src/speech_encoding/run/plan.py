"""Planning a run before any job starts: which subjects and layers, with inputs checked early."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..data.audio import check_audio_file
from ..data.manifest import Story, read_manifest
from ..data.responses import list_subjects, response_shapes
from ..design_matrix.trimming import check_alignment, check_rows_for_delays, trim_slice, trimmed_length
from ..errors import InputError, raise_collected
from ..features.model_config import inspect_model
from ..modelling.modes import MODES
from .settings import RidgeSettings, check_config, check_folds, check_significance


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
        problems = []
        for subject in subjects:
            try:
                shapes = response_shapes(responses_dir, subject, [s.name for s in stories])
            except InputError as error:
                problems.append(str(error))
                continue
            for story in stories:
                try:
                    check_alignment(subject, story.name, story.split, story.n_trs,
                                    shapes[story.name][0], trimming)
                except InputError as error:
                    problems.append(str(error))
        raise_collected(problems, "problems with the response files")
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


@dataclass(frozen=True)
class GeneratedModel:
    """A model that a rule of the run will build: where, its family and its layer count."""

    folder: str
    family: str
    n_layers: int


def plan_feature_set(feature_set: Mapping,
                     generated_model: GeneratedModel | None = None) -> FeatureSetPlan:
    """The model family and layers to fit; `generated_model` describes a model that a rule of
    the run will build, so there is no config to read yet."""
    if generated_model is not None:
        family, n_layers = generated_model.family, generated_model.n_layers
    else:
        family, n_layers = inspect_model(feature_set["model"])
    if feature_set["layers"] == "all":
        return FeatureSetPlan(family, list(range(n_layers)))
    too_deep = [layer for layer in feature_set["layers"] if layer >= n_layers]
    if too_deep:
        raise InputError(f"feature set {feature_set['name']!r}: layers {too_deep} do not exist; model "
                         f"{feature_set['model']!r} has {n_layers} layers (0..{n_layers - 1})")
    return FeatureSetPlan(family, list(feature_set["layers"]))


@dataclass(frozen=True)
class GeneratedInputs:
    """Inputs that rules of the run itself will write (the demo's), standing in at planning for
    files that do not exist yet: the stories, the subjects, the truth file, and per model as the
    config spells it, the model a rule will build."""

    stories: list[Story] | None = None
    subjects: list[str] | None = None
    models: Mapping[str, GeneratedModel] = field(default_factory=dict)
    truth: str | None = None


@dataclass(frozen=True)
class RunPlan:
    """The stories (splits as the mode uses them), subjects and feature sets of a run."""

    stories: list[Story]
    subjects: list[str]
    feature_sets: dict[str, FeatureSetPlan]


def plan_run(config: Mapping, generated: GeneratedInputs) -> RunPlan:
    """Everything the DAG needs to know, validated before any job runs (from file headers only)."""
    check_config(config)
    dataset = config["dataset"]
    mode = MODES.lookup(config["ridge"]["mode"])
    if generated.stories is not None:
        stories = list(generated.stories)
    else:
        stories = read_manifest(dataset["stories"], dataset.get("test_stories"),
                                require_split=mode.uses_test_split)
    if not mode.uses_test_split:
        stories = [replace(story, split="train") for story in stories]
    check_stories(stories, config["trimming"], config["fir_delays"],
                  min_duration=max(fs["context_size"] for fs in config["feature_sets"]),
                  audio_exists=generated.stories is None)
    fitted_rows = [trimmed_length(story.n_trs, trim_slice(config["trimming"], "train", "features"))
                   for story in stories if story.split == "train"]
    check_folds(RidgeSettings.from_config(config["ridge"]), fitted_rows,
                nested=not mode.uses_test_split)
    scored_split = "test" if mode.uses_test_split else "train"
    check_significance(config["significance"],
                       [trimmed_length(story.n_trs, trim_slice(config["trimming"], scored_split,
                                                               "features"))
                        for story in stories if story.split == scored_split])
    subjects = plan_subjects(dataset["subjects"], dataset["responses"], stories, config["trimming"],
                             known_subjects=generated.subjects)
    feature_sets = {fs["name"]: plan_feature_set(fs, generated.models.get(fs["model"]))
                    for fs in config["feature_sets"]}
    return RunPlan(stories, subjects, feature_sets)
