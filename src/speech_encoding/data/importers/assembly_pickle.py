"""Importing a pickled assembly of the speech tutorial's library (SimpleNeuroidAssembly)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import InputError
from ..manifest import Story, check_safe_name
from .dataset_folder import DatasetFolder, StorySource, sha256
from .restricted_pickle import AssemblyRecord, StoryRecord, restricted_load

log = logging.getLogger(__name__)


def load_assembly(path: str | Path) -> AssemblyRecord:
    """Read an assembly pickle without running code from it (see restricted_pickle)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"assembly pickle not found: {path}")
    with open(path, "rb") as handle:
        assembly = restricted_load(handle, str(path))
    if not isinstance(assembly, AssemblyRecord):
        raise InputError(f"{path}: holds a {type(assembly).__name__}, not a SimpleNeuroidAssembly")
    return assembly


def _attribute(record: Any, name: str, what: str) -> Any:
    if name not in vars(record):
        raise InputError(f"{what} has no attribute {name!r}")
    return vars(record)[name]


def _story_names(assembly: AssemblyRecord, what: str) -> list[str]:
    names = _attribute(assembly, "stories", what)
    story_data = _attribute(assembly, "story_data", what)
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise InputError(f"{what}: stories must be a list of story names")
    if len(names) < 2:
        raise InputError(f"{what}: needs at least 2 stories (training stories, then the test story), "
                         f"has {len(names)}")
    if not isinstance(story_data, dict):
        raise InputError(f"{what}: story_data must be a dict of story name -> StoryData")
    for name in names:
        check_safe_name(name, "story")
    missing = [n for n in names if not isinstance(story_data.get(n), StoryRecord)]
    if missing:
        raise InputError(f"{what}: no StoryData in story_data for: {', '.join(missing)}")
    return list(names)


def story_arrays(story: StoryRecord, what: str) -> tuple[np.ndarray, np.ndarray]:
    """A story's TR times (1-D, increasing, finite) and brain data (TRs x voxels).

    Parameters
    ----------
    story : StoryRecord
        A StoryData record of the assembly pickle.
    what : str
        Where it comes from, for messages.

    Returns
    -------
    times : np.ndarray
        (n_trs,) float64 TR times in seconds, strictly increasing (n_trs >= 2).
    brain : np.ndarray
        (n_trs_brain, n_voxels) brain data as stored in the pickle (any dtype).
    """
    times = np.asarray(_attribute(story, "tr_times", what), dtype=np.float64)
    brain = _attribute(story, "brain_data", what)
    if not isinstance(brain, np.ndarray) or brain.ndim != 2:
        raise InputError(f"{what}: brain_data must be a 2-D array (TRs x voxels), "
                         f"got {getattr(brain, 'shape', type(brain).__name__)}")
    if times.ndim != 1 or len(times) < 2 or not np.all(np.isfinite(times)):
        raise InputError(f"{what}: tr_times must be a 1-D array of at least 2 finite times, "
                         f"got shape {times.shape}")
    if np.any(np.diff(times) <= 0):
        raise InputError(f"{what}: tr_times must be strictly increasing")
    return times, brain


def assembly_sources(assembly: AssemblyRecord, audio_dir: str | Path, what: str) -> list[StorySource]:
    """One StorySource per story, in the assembly's order; the last story is the test story."""
    names = _story_names(assembly, what)
    audio_dir = Path(audio_dir)
    missing = [name for name in names if not (audio_dir / f"{name}.wav").is_file()]
    if missing:
        raise InputError(f"{audio_dir}: no <story>.wav audio for {len(missing)} of {len(names)} "
                         f"stories: {', '.join(missing)}")
    sources = []
    for index, name in enumerate(names):
        times, _ = story_arrays(assembly.story_data[name], f"{what}: story {name!r}")
        story = Story(name=name, audio=audio_dir / f"{name}.wav",
                      tr=float(np.median(np.diff(times))), n_trs=len(times),
                      split="test" if index == len(names) - 1 else "train")
        sources.append(StorySource(story, tr_times=times))
    return sources


def import_assembly(pickle_path: str | Path, subject: str, audio_dir: str | Path,
                    out: str | Path, command: list[str]) -> None:
    """Turn an assembly pickle and its audio folder into a dataset folder for one subject."""
    check_safe_name(subject, "subject")
    pickle_path = Path(pickle_path)
    assembly = load_assembly(pickle_path)
    digest = sha256(pickle_path)
    sources = assembly_sources(assembly, audio_dir, str(pickle_path))
    folder = DatasetFolder(out)
    folder.add_stories(sources)
    folder.make_repeats_folder()  # empty: an assembly holds no repeats
    for source in sources:
        _, brain = story_arrays(assembly.story_data[source.story.name], f"story {source.story.name!r}")
        folder.write_responses(subject, source.story.name, brain)
        log.info("%s / %s: %d TRs, responses %s", subject, source.story.name, source.story.n_trs, brain.shape)
    folder.record_provenance({
        "importer": "assembly_pickle", "source": str(pickle_path.resolve()),
        "sha256": digest, "subject": subject, "audio_dir": str(Path(audio_dir).resolve()),
        "validation_method": str(vars(assembly).get("validation_method")),
        "stories": [source.story.name for source in sources]}, command)
