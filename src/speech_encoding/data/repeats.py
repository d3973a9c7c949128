"""Repeated presentations: repeats/<subject>/<story>.npy, (n_repeats, n_rows, n_voxels), whose rows
and voxels are those of the story's response file (config key dataset.repeats)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError, raise_collected
from .responses import check_finite, row_blocks


def repeats_path(repeats_dir: str | Path, subject: str, story: str) -> Path:
    """Where one subject's repeats of one story live (spelled as given, normalised)."""
    return Path(os.path.normpath(Path(repeats_dir) / subject / f"{story}.npy"))


def find_repeats(repeats_dir: str | Path, subjects: Sequence[str], stories: Sequence[str],
                 known_subjects: Sequence[str] | None = None) -> dict[tuple[str, str], Path]:
    """(subject, story) -> file, for every repeats file of the run's `subjects`.

    Folders of `known_subjects` (those with responses) that the run does not fit are skipped.

    Raises
    ------
    InputError
        The folder is missing, or holds files for a subject or story the dataset does not have
        (listing them), or a file that is not `<story>.npy`.
    """
    folder = Path(repeats_dir)
    if not folder.is_dir():
        raise InputError(f"repeats folder not found: {folder} (config key dataset.repeats)")
    known_stories = set(stories)
    known = set(subjects) | set(known_subjects or ())
    found, problems = {}, []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            problems.append(f"{entry}: expected subject folders (repeats/<subject>/<story>.npy)")
            continue
        if entry.name not in known:
            problems.append(f"{entry}: repeats of subject {entry.name!r}, which has no responses "
                            f"(subjects: {', '.join(sorted(known))})")
            continue
        if entry.name not in subjects:
            continue
        for path in sorted(entry.iterdir()):
            if path.name.startswith("."):
                continue
            story = path.name[:-len(".npy")] if path.name.endswith(".npy") else None
            if story is None or story not in known_stories:
                problems.append(f"{path}: not a repeats file of a story in the manifest "
                                f"(expected <story>.npy with story one of {', '.join(stories)})")
                continue
            found[(entry.name, story)] = repeats_path(repeats_dir, entry.name, story)
    raise_collected(problems, "problems with the repeats folder (dataset.repeats)")
    return found


def check_repeats_shapes(files: Mapping[tuple[str, str], Path],
                         response_shapes: Mapping[tuple[str, str], tuple]) -> None:
    """Every repeats file is (n_repeats >= 2, rows, voxels) with the rows and voxels of its story's
    response file (from the .npy headers only)."""
    problems = []
    for (subject, story), path in files.items():
        what = f"subject {subject!r}, story {story!r}: {path}"
        try:
            shape = np.load(path, mmap_mode="r").shape
        except (ValueError, OSError) as error:
            problems.append(f"{what}: cannot read ({error})")
            continue
        expected = response_shapes.get((subject, story))
        if len(shape) != 3:
            problems.append(f"{what} must be 3-D (repeats x TRs x voxels), got shape {shape}")
        elif shape[0] < 2:
            problems.append(f"{what} holds {shape[0]} repeat(s); a ceiling needs at least 2")
        elif expected is not None and tuple(shape[1:]) != tuple(expected):
            problems.append(f"{what} has shape {shape}: its TRs x voxels must be the response file's "
                            f"{tuple(expected)}")
    raise_collected(problems, "unusable repeats files")


def load_repeats(path: str | Path, subject: str, story: str) -> np.ndarray:
    """Memory-map one repeats file, refusing a wrong rank, non-numbers, fewer than 2 repeats and
    NaN/inf (checked one repeat and row block at a time).

    Returns
    -------
    np.memmap
        (n_repeats, n_rows, n_voxels), read-only, in the file's dtype.
    """
    what = f"repeats of subject {subject!r}, story {story!r} ({path})"
    data = np.load(path, mmap_mode="r")
    if data.ndim != 3:
        raise InputError(f"{what}: must be 3-D (repeats x TRs x voxels), got shape {data.shape}")
    if data.shape[0] < 2:
        raise InputError(f"{what}: {data.shape[0]} repeat(s); a ceiling needs at least 2")
    if not (np.issubdtype(data.dtype, np.floating) or np.issubdtype(data.dtype, np.integer)):
        raise InputError(f"{what}: repeats must be numbers, got dtype {data.dtype}")
    for index, repeat in enumerate(data):
        for rows in row_blocks(repeat.shape[0], repeat.shape[1] * repeat.itemsize):
            check_finite(repeat[rows], f"{what}, repeat {index}", first_row=rows.start)
    return data
