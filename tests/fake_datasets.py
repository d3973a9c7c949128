"""Small stand-ins for published inputs: tutorial assembly pickles and a ds003020 folder."""

from __future__ import annotations

import dataclasses
import json
import pickle
import sys
import types
from pathlib import Path

import numpy as np
import soundfile

STORY_FIELDS = ("name", "brain_data", "stimuli", "split_indices", "tr_times", "data_times",
                "temporal_baseline", "word_rates", "words", "mask_indices", "audio_path")
ASSEMBLY_FIELDS = ("stories", "story_data", "validation_method", "data", "dims", "shape", "coords")


def stand_in_classes(monkeypatch, story_module: str, assembly_module: str) -> tuple[type, type]:
    """Dataclasses named StoryData and SimpleNeuroidAssembly, importable from the given modules."""
    classes = []
    for module_name, class_name, fields in ((story_module, "StoryData", STORY_FIELDS),
                                            (assembly_module, "SimpleNeuroidAssembly", ASSEMBLY_FIELDS)):
        cls = dataclasses.make_dataclass(class_name, fields)
        cls.__module__ = module_name
        parts = module_name.split(".")
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name not in sys.modules:
                monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
        monkeypatch.setattr(sys.modules[module_name], class_name, cls, raising=False)
        classes.append(cls)
    return classes[0], classes[1]


def fake_story(story_cls: type, name: str, tr_times: np.ndarray, brain: np.ndarray, **extra):
    """A StoryData with every field the tutorial's has, numpy arrays inside."""
    fields = {"name": name, "brain_data": brain, "stimuli": np.zeros((3, 2), np.float32),
              "split_indices": [0, len(tr_times)], "tr_times": tr_times, "data_times": tr_times[:5],
              "temporal_baseline": np.float64(1.5), "word_rates": np.ones(len(tr_times)),
              "words": ["so", "it", "begins"], "mask_indices": np.arange(4, dtype=np.int64),
              "audio_path": f"/old/home/someone/stimuli/{name}.wav"}
    return story_cls(**{**fields, **extra})


def fake_assembly(classes: tuple[type, type], stories: dict[str, tuple[np.ndarray, np.ndarray]]):
    """A SimpleNeuroidAssembly over `stories` (name -> (tr_times, brain_data)), test story last."""
    story_cls, assembly_cls = classes
    story_data = {name: fake_story(story_cls, name, times, brain) for name, (times, brain) in stories.items()}
    data = np.concatenate([brain for _, brain in stories.values()])
    return assembly_cls(stories=list(stories), story_data=story_data, validation_method="inner",
                        data=data, dims=("presentation", "neuroid"), shape=data.shape,
                        coords={"neuroid_id": np.arange(data.shape[1])})


def lebel_like_stories(names: list[str], n_trs: list[int], n_voxels: int,
                       seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """TR times (n_trs, 2 s apart from 1 s) and random brain data with n_trs - 15 rows."""
    rng = np.random.default_rng(seed)
    return {name: (1.0 + 2.0 * np.arange(n), rng.standard_normal((n - 15, n_voxels)))
            for name, n in zip(names, n_trs)}


def write_pickle(path: Path, obj, protocol: int = pickle.DEFAULT_PROTOCOL) -> Path:
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    return path


def write_wav(path: Path, seconds: float, rate: int = 16000, seed: int = 0) -> Path:
    """Quiet noise of the given duration."""
    path.parent.mkdir(parents=True, exist_ok=True)
    noise = 0.1 * np.random.default_rng(seed).standard_normal(int(seconds * rate))
    soundfile.write(str(path), noise.astype(np.float32), rate, subtype="PCM_16")
    return path


def write_ds003020(root: Path, respdict: dict[str, int], subjects: dict[str, int],
                   no_audio: tuple[str, ...] = (), no_responses: tuple[str, ...] = (),
                   extra_rows: dict[tuple[str, str], int] | None = None, n_repeats: int = 3,
                   repeat_rows: int = 0) -> Path:
    """A ds003020-shaped tree: respdict.json, stimuli/*.wav (N * 2 s), preprocessed .hf5 files.

    `subjects` maps subject -> voxel count; responses have N - 20 rows plus `extra_rows`. The test
    story's files also hold `individual_repeats`: `n_repeats` presentations (a shared signal plus
    each its own noise; `repeat_rows` more rows than `data`, to make a bad file) whose mean is
    `data`.
    """
    import h5py

    extra_rows = extra_rows or {}
    (root / "derivative").mkdir(parents=True)
    (root / "derivative" / "respdict.json").write_text(json.dumps(respdict))
    for index, (story, n) in enumerate(respdict.items()):
        if story not in no_audio:
            write_wav(root / "stimuli" / f"{story}.wav", 2.0 * n, seed=index)
    rng = np.random.default_rng(1)
    for subject, n_voxels in subjects.items():
        folder = root / "derivative" / "preprocessed_data" / subject
        folder.mkdir(parents=True)
        for story, n in respdict.items():
            if story in no_responses:
                continue
            rows = n - 20 + extra_rows.get((subject, story), 0)
            with h5py.File(folder / f"{story}.hf5", "w") as handle:
                if story == "wheretheressmoke":
                    signal = rng.standard_normal((rows + repeat_rows, n_voxels))
                    repeats = signal + rng.standard_normal((n_repeats, *signal.shape))
                    handle["individual_repeats"] = repeats
                    handle["data"] = repeats.mean(axis=0)[:rows]
                else:
                    handle["data"] = rng.standard_normal((rows, n_voxels))
    return root
