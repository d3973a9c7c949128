"""fMRI responses: responses/<subject>/<story>.npy, rows = TRs, columns = voxels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InputError


def response_path(responses_dir: str | Path, subject: str, story: str) -> Path:
    """Where one subject's responses to one story live."""
    return Path(responses_dir) / subject / f"{story}.npy"


def list_subjects(responses_dir: str | Path) -> list[str]:
    """Every subject folder under the responses folder, sorted."""
    folder = Path(responses_dir)
    if not folder.is_dir():
        raise InputError(f"responses folder not found: {folder} (config key dataset.responses)")
    subjects = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subjects:
        raise InputError(f"no subject folders in {folder} (expected responses/<subject>/<story>.npy)")
    return subjects


def response_shapes(responses_dir: str | Path, subject: str, stories: list[str]) -> dict[str, tuple]:
    """Shapes of one subject's response files, read from headers only; checks existence, 2-D, voxels."""
    missing = [str(response_path(responses_dir, subject, s)) for s in stories
               if not response_path(responses_dir, subject, s).is_file()]
    if missing:
        raise InputError(f"subject {subject!r}: missing response file(s): {', '.join(missing)}")
    shapes = {}
    for story in stories:
        path = response_path(responses_dir, subject, story)
        try:
            shape = np.load(path, mmap_mode="r").shape
        except (ValueError, OSError) as error:
            raise InputError(f"subject {subject!r}, story {story!r}: cannot read {path}: {error}") from None
        if len(shape) != 2:
            raise InputError(f"subject {subject!r}, story {story!r}: {path} must be 2-D "
                             f"(TRs x voxels), got shape {shape}")
        shapes[story] = shape
    voxel_counts = {shape[1] for shape in shapes.values()}
    if len(voxel_counts) > 1:
        listing = ", ".join(f"{story}: {shape[1]}" for story, shape in shapes.items())
        raise InputError(f"subject {subject!r}: voxel counts differ across stories ({listing})")
    return shapes


def check_finite(array: np.ndarray, what: str) -> None:
    """Raise naming `what`, how many values are NaN/inf and where the first few are."""
    bad = ~np.isfinite(array)
    count = int(bad.sum())
    if count:
        where = np.argwhere(bad)[:5]
        places = ", ".join(f"(row {r}, voxel {c})" for r, c in where)
        raise InputError(f"{what}: {count} NaN/inf value(s), first at {places}")


def load_responses(path: str | Path, subject: str, story: str) -> np.ndarray:
    """Load one response file as float64, refusing NaN/inf and non-2-D arrays."""
    data = np.load(path)
    what = f"subject {subject!r}, story {story!r} ({path})"
    if data.ndim != 2:
        raise InputError(f"{what}: must be 2-D (TRs x voxels), got shape {data.shape}")
    data = data.astype(np.float64)
    check_finite(data, what)
    return data
