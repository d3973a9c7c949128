"""Writing an imported dataset folder: stories.tsv, audio/, tr_times/, responses/, repeats/ and
PROVENANCE.json.

Importing into a folder that already holds a dataset adds responses only: its manifest, audio and
TR times must be exactly what this import would write, or nothing is written.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ... import __version__
from ...errors import InputError, repeated
from ...run.atomic_io import atomic_path, save_json, save_npy
from ..manifest import Story, check_safe_name, read_manifest, write_manifest
from ..repeats import repeats_path
from ..responses import response_path

log = logging.getLogger(__name__)

BLOCK_ROWS = 256


@dataclass(frozen=True)
class StorySource:
    """One story to import: its manifest row with `audio` naming the source file, and explicit TR
    times (held in memory until written) if any."""

    story: Story
    tr_times: np.ndarray | None = None


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class DatasetFolder:
    """A dataset folder in the manifest layout, written by an importer."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.manifest = self.root / "stories.tsv"

    def _path(self, *parts: str) -> Path:
        """A path in the folder, spelled as read_manifest spells the paths it reads."""
        return Path(os.path.normpath(self.root.joinpath(*parts)))

    def _story(self, source: StorySource) -> Story:
        name = source.story.name
        tr_times_file = self._path("tr_times", f"{name}.npy") if source.tr_times is not None else None
        return replace(source.story, audio=self._path("audio", f"{name}.wav"),
                       tr=float(source.story.tr), n_trs=int(source.story.n_trs),
                       tr_times_file=tr_times_file)

    def _manifest_conflicts(self, stories: list[Story]) -> list[str]:
        existing = read_manifest(self.manifest, check_files=False, require_split=False)
        old = {story.name: story for story in existing}
        new = {story.name: story for story in stories}
        problems = [f"story {name!r} only in the existing manifest" for name in old if name not in new]
        problems += [f"story {name!r} not in the existing manifest" for name in new if name not in old]
        problems += [f"story {name!r}: existing row {_row(old[name])}, this import {_row(story)}"
                     for name, story in new.items() if name in old and old[name] != story]
        if not problems and list(old) != list(new):
            problems.append(f"story order differs (existing: {', '.join(old)})")
        return problems

    def _file_conflicts(self, sources: list[StorySource], stories: list[Story]) -> list[str]:
        problems = []
        for source, story in zip(sources, stories):
            if story.audio.exists() and not filecmp.cmp(source.story.audio, story.audio, shallow=False):
                problems.append(f"story {story.name!r}: {story.audio} differs from {source.story.audio}")
            if (story.tr_times_file is not None and story.tr_times_file.exists()
                    and not np.array_equal(np.load(story.tr_times_file), source.tr_times)):
                problems.append(f"story {story.name!r}: {story.tr_times_file} holds other TR times")
        return problems

    def add_stories(self, sources: list[StorySource]) -> None:
        """Write the manifest, audio and TR times, or check that identical ones are already there."""
        for source in sources:
            check_safe_name(source.story.name, "story")
        duplicated = repeated([source.story.name for source in sources])
        if duplicated:
            raise InputError(f"story name(s) given more than once: {', '.join(duplicated)}")
        stories = [self._story(source) for source in sources]
        problems = self._manifest_conflicts(stories) if self.manifest.exists() else []
        problems += self._file_conflicts(sources, stories)
        if problems:
            raise InputError(
                f"{self.root} already holds a different dataset; this import would change it: "
                + "; ".join(problems)
                + ". Import into a new folder, or import the same stories (and TR grid) again")
        for source, story in zip(sources, stories):
            if not story.audio.exists():
                with atomic_path(story.audio) as tmp:
                    shutil.copyfile(source.story.audio, tmp)
            if story.tr_times_file is not None and not story.tr_times_file.exists():
                save_npy(story.tr_times_file, np.asarray(source.tr_times, dtype=np.float64))
        if not self.manifest.exists():
            write_manifest(stories, self.manifest)
            log.info("wrote %s (%d stories)", self.manifest, len(stories))

    def write_responses(self, subject: str, story: str, data: Any) -> Path:
        """Copy one story's responses (an array or an h5py dataset) as float32, in row blocks.

        Parameters
        ----------
        subject, story : str
        data : np.ndarray or h5py.Dataset
            (n_trs, n_voxels) responses, any real dtype.

        Returns
        -------
        Path
            The written responses/<subject>/<story>.npy: (n_trs, n_voxels) float32.
        """
        check_safe_name(subject, "subject")
        return _copy_float32(response_path(self.root / "responses", subject, story), data)

    def write_repeats(self, subject: str, story: str, data: Any) -> Path:
        """Copy one story's repeated presentations (an array or an h5py dataset) as float32.

        Parameters
        ----------
        subject, story : str
        data : np.ndarray or h5py.Dataset
            (n_repeats, n_trs, n_voxels), any real dtype.

        Returns
        -------
        Path
            The written repeats/<subject>/<story>.npy: (n_repeats, n_trs, n_voxels) float32.
        """
        check_safe_name(subject, "subject")
        return _copy_float32(repeats_path(self.root / "repeats", subject, story), data)

    def make_repeats_folder(self) -> Path:
        """Create repeats/ (empty when no story has repeats), so a config's `dataset.repeats` can
        always name it."""
        folder = self.root / "repeats"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def record_provenance(self, record: dict[str, Any], command: list[str]) -> None:
        """Append this import (source, checksums, date, command, version) to PROVENANCE.json."""
        path = self.root / "PROVENANCE.json"
        history = json.loads(path.read_text())["imports"] if path.exists() else []
        history.append({**record, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "command": command, "package_version": __version__})
        save_json(path, {"imports": history})


def _copy_float32(path: Path, data: Any) -> Path:
    """Write `data` (an array or an h5py dataset) to `path` as a float32 .npy, BLOCK_ROWS rows of its
    first axis at a time, atomically."""
    shape = tuple(data.shape)
    with atomic_path(path) as tmp:
        target = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape)
        for start in range(0, shape[0], BLOCK_ROWS):
            target[start:start + BLOCK_ROWS] = data[start:start + BLOCK_ROWS]
        target.flush()
        del target
    return path


def _row(story: Story) -> str:
    return (f"(tr={story.tr}, n_trs={story.n_trs}, split={story.split}, tr_offset={story.tr_offset}, "
            f"tr_times={story.tr_times_file})")
