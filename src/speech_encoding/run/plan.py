"""Planning a run before any job starts: which subjects and layers, with inputs checked early."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..data.audio import AudioLength, check_audio_file
from ..data.manifest import Story, read_manifest
from ..data.repeats import check_repeats_shapes, find_repeats
from ..data.responses import list_subjects, response_shapes
from ..design_matrix.trimming import check_alignment, check_rows_for_delays
from ..errors import InputError, errors_within, raise_collected
from ..features.model_config import inspect_model
from ..modelling.modes import MODES
from .analyses import Analysis, resolve_analyses
from .rerun_policy import canonical, downsample_params
from .row_plan import PlannedRows, plan_rows
from .settings import RidgeSettings, check_config, check_folds, check_significance

# Per feature set (or any key naming a set of fits), per story: the rows the fits keep.
RowsPlan = Mapping[Any, Mapping[str, PlannedRows]]


def plan_subjects(spec: str | Sequence[str], responses_dir: str | Path, stories: Sequence[Story],
                  rows: RowsPlan, known_subjects: Sequence[str] | None = None) -> list[str]:
    """The subjects to fit; with `known_subjects` (generated data) the files are not read yet.

    Otherwise every subject's response files must exist, be 2-D with one voxel count, and align
    with the features after trimming in every feature set's `rows` (checked from the .npy
    headers only).
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
                for planned in (by_story[story.name] for by_story in rows.values()):
                    try:
                        check_alignment(subject, story.name, planned.split, story.n_trs,
                                        shapes[story.name][0], planned.rows, planned.auto)
                    except InputError as error:
                        problems.append(str(error))
        raise_collected(list(dict.fromkeys(problems)), "problems with the response files")
    return subjects


def check_story_rows(stories: Sequence[Story], rows: RowsPlan, delays: list[int]) -> None:
    """Every story keeps more feature rows than its largest delay, in every feature set."""
    for by_story in rows.values():
        for story in stories:
            check_rows_for_delays(story.name, story.split, story.n_trs, by_story[story.name].rows, delays)


def check_audio(stories: Sequence[Story], min_duration: float) -> dict[str, AudioLength]:
    """Every story's audio is usable and at least `min_duration` seconds long (from the file
    header only); its length."""
    return {story.name: check_audio_file(story.audio, story.name, min_duration) for story in stories}


def fitted_rows(stories: Sequence[Story], rows: Mapping[str, PlannedRows], split: str) -> list[int]:
    """The kept row counts of the stories of one split."""
    return [rows[story.name].n_kept for story in stories if story.split == split]


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
    files that do not exist yet: the stories, the subjects, the truth file, per model as the
    config spells it, the model a rule will build, and per story the length of its audio."""

    stories: list[Story] | None = None
    subjects: list[str] | None = None
    models: Mapping[str, GeneratedModel] = field(default_factory=dict)
    truth: str | None = None
    audio: Mapping[str, AudioLength] | None = None
    repeats: Mapping[tuple[str, str], tuple[str, int]] | None = None
    n_voxels: int | None = None  # every generated subject's response columns
    filestore: str | None = None  # a pycortex filestore a rule will write (the demo's brain)


@dataclass(frozen=True)
class CeilingFile:
    """One subject's noise ceiling for one story over the response rows [start, stop) that a fit
    scores, from its repeats file."""

    subject: str
    story: str
    repeats: str
    start: int
    stop: int

    def path(self, results_dir: str) -> str:
        """Where the ceiling rule writes it."""
        return ceiling_path(results_dir, self.subject, self.story, self.start, self.stop)


def ceiling_path(results_dir: str, subject: str, story: str, start: int | str, stop: int | str) -> str:
    """A noise-ceiling file: one per subject, story and scored response rows [start, stop), so fits
    that score the same rows share it (wildcards in braces give the rule's output pattern)."""
    return f"{results_dir}/ceilings/{subject}/{story}/rows{start}-{stop}.parquet"


def repeats_files(dataset: Mapping, subjects: Sequence[str], stories: Sequence[Story],
                  generated: GeneratedInputs) -> dict[tuple[str, str], tuple[str, int]]:
    """(subject, story) -> (repeats file, response rows) for every repeats file of the run, checked
    from the headers (none without `dataset.repeats`)."""
    if not dataset.get("repeats"):
        return {}
    if generated.stories is not None:  # a generated dataset: the repeats its rule will write
        return dict(generated.repeats or {})
    found = find_repeats(dataset["repeats"], subjects, [story.name for story in stories],
                         list_subjects(dataset["responses"]))
    shapes = {}
    for subject in dict.fromkeys(subject for subject, _ in found):
        repeated = [story for who, story in found if who == subject]
        shapes.update({(subject, story): shape for story, shape
                       in response_shapes(dataset["responses"], subject, repeated).items()})
    check_repeats_shapes(found, shapes)
    return {key: (str(path), shapes[key][0]) for key, path in found.items()}


def plan_ceilings(repeats: Mapping[tuple[str, str], tuple[str, int]], subjects: Sequence[str],
                  stories: Sequence[Story], rows: RowsPlan,
                  scored_split: str) -> dict[tuple[str, str], list[CeilingFile]]:
    """Per (subject, feature set): the ceilings of its scored stories that have repeats, over the
    response rows its fits keep."""
    plan = {}
    for feature_set, by_story in rows.items():
        for subject in subjects:
            files = []
            for story in stories:
                if story.split != scored_split or (subject, story.name) not in repeats:
                    continue
                path, n_rows = repeats[(subject, story.name)]
                kept = range(n_rows)[by_story[story.name].rows.targets]
                files.append(CeilingFile(subject, story.name, path, kept.start, kept.stop))
            plan[(subject, feature_set)] = files
    return plan


@dataclass(frozen=True)
class AnalysisPlan:
    """One analysis of a run: its settings, the stories with the splits its mode fits them in,
    per feature set and story the rows its fits keep, the split its fits score, and per (subject,
    feature set) the noise ceilings its fits read."""

    analysis: Analysis
    stories: list[Story]
    rows: dict[str, dict[str, PlannedRows]]
    scored_split: str
    ceilings: dict[tuple[str, str], list[CeilingFile]] = field(default_factory=dict)

    @property
    def config(self) -> Mapping:
        """The config with this analysis's settings in effect."""
        return self.analysis.config


@dataclass(frozen=True)
class RunPlan:
    """The stories (in manifest order), subjects and feature sets of a run, and its analyses (one,
    unnamed, for a config without `analyses`)."""

    stories: list[Story]
    subjects: list[str]
    feature_sets: dict[str, FeatureSetPlan]
    analyses: list[AnalysisPlan]


def rows_key(config: Mapping, uses_test_split: bool) -> str:
    """The settings that decide the rows a fit keeps: analyses equal in them share one row plan."""
    return json.dumps(canonical({"downsample": downsample_params(config["downsample"]),
                                 "fir_delays": config["fir_delays"], "trimming": config["trimming"],
                                 "test_split": uses_test_split}))


def plan_run(config: Mapping, generated: GeneratedInputs) -> RunPlan:
    """Everything the DAG needs to know, validated before any job runs (from file headers only)."""
    resolved = resolve_analyses(config)
    named = config.get("analyses") is not None
    for where, analysis in resolved:
        with errors_within(where if named else None):
            check_config(analysis.config)
    dataset = config["dataset"]
    modes = {where: MODES.lookup(analysis.config["ridge"]["mode"]) for where, analysis in resolved}
    if generated.stories is not None:
        stories = list(generated.stories)
    else:
        stories = read_manifest(dataset["stories"], dataset.get("test_stories"),
                                require_split=any(mode.uses_test_split for mode in modes.values()))
    min_duration = max(fs["context_size"] for fs in config["feature_sets"])
    audio = generated.audio if generated.stories is not None else check_audio(stories, min_duration)
    planned_rows: dict[str, dict[str, dict[str, PlannedRows]]] = {}
    analyses = []
    for where, analysis in resolved:
        mode = modes[where]
        fitted = stories if mode.uses_test_split else [replace(s, split="train") for s in stories]
        scored_split = "test" if mode.uses_test_split else "train"
        key = rows_key(analysis.config, mode.uses_test_split)
        with errors_within(where if named else None):
            if key not in planned_rows:
                planned_rows[key] = plan_rows(analysis.config, fitted, audio)
            rows = planned_rows[key]
            check_story_rows(fitted, rows, analysis.config["fir_delays"])
            settings = RidgeSettings.from_config(analysis.config["ridge"])
            for by_story in rows.values():
                check_folds(settings, fitted_rows(fitted, by_story, "train"),
                            nested=not mode.uses_test_split)
                check_significance(analysis.config["significance"],
                                   fitted_rows(fitted, by_story, scored_split))
        analyses.append(AnalysisPlan(analysis, fitted, rows, scored_split))
    every_rows = {(key, fs): by_story for key, by_fs in planned_rows.items()
                  for fs, by_story in by_fs.items()}
    subjects = plan_subjects(dataset["subjects"], dataset["responses"], stories, every_rows,
                             known_subjects=generated.subjects)
    feature_sets = {fs["name"]: plan_feature_set(fs, generated.models.get(fs["model"]))
                    for fs in config["feature_sets"]}
    repeats = repeats_files(dataset, subjects, stories, generated)
    analyses = [replace(plan, ceilings=plan_ceilings(repeats, subjects, plan.stories, plan.rows,
                                                     plan.scored_split))
                for plan in analyses]
    return RunPlan(stories, subjects, feature_sets, analyses)
