"""fMRI responses: responses/<subject>/<story>.npy, rows = TRs, columns = voxels."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InputError, listed, raise_collected


def response_path(responses_dir: str | Path, subject: str, story: str) -> Path:
    """Where one subject's responses to one story live, spelled as given (normalised, not made
    absolute: the workflow's input paths keep the config's spelling)."""
    return Path(os.path.normpath(Path(responses_dir) / subject / f"{story}.npy"))


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
        raise InputError(listed(missing, f"subject {subject!r}: {len(missing)} missing response file(s):"))
    shapes, problems = {}, []
    for story in stories:
        path = response_path(responses_dir, subject, story)
        try:
            shape = np.load(path, mmap_mode="r").shape
        except (ValueError, OSError) as error:
            problems.append(f"subject {subject!r}, story {story!r}: cannot read {path}: {error}")
            continue
        if len(shape) != 2:
            problems.append(f"subject {subject!r}, story {story!r}: {path} must be 2-D "
                            f"(TRs x voxels), got shape {shape}")
            continue
        shapes[story] = shape
    raise_collected(problems, f"unusable response files of subject {subject!r}")
    voxel_counts = {shape[1] for shape in shapes.values()}
    if len(voxel_counts) > 1:
        listing = ", ".join(f"{story}: {shape[1]}" for story, shape in shapes.items())
        raise InputError(f"subject {subject!r}: voxel counts differ across stories ({listing})")
    return shapes


def check_finite(array: np.ndarray, what: str, first_row: int = 0) -> None:
    """Raise naming `what`, how many values are NaN/inf and where the first few are.

    `first_row` is the file row of `array`'s first row, for messages about a block of a file.

    Parameters
    ----------
    array : np.ndarray
        (n_rows, n_voxels) block of responses, any real dtype.
    what : str
        What the array is, for the message.
    first_row : int
    """
    bad = ~np.isfinite(array)
    count = int(bad.sum())
    if count:
        where = np.argwhere(bad)[:5]
        places = ", ".join(f"(row {first_row + r}, voxel {c})" for r, c in where)
        raise InputError(f"{what}: {count} NaN/inf value(s), first at {places}")


def row_blocks(n_rows: int, row_bytes: int, block_bytes: int = 64 * 2 ** 20) -> list[slice]:
    """Consecutive row slices of about `block_bytes` each."""
    step = max(1, block_bytes // max(row_bytes, 1))
    return [slice(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]


def load_responses(path: str | Path, subject: str, story: str) -> np.ndarray:
    """Memory-map one response file, refusing non-2-D arrays, non-float data and NaN/inf.

    The file is checked block by block, so neither a float64 copy nor a full-size mask is made;
    consumers read the columns they need.

    Parameters
    ----------
    path : str or Path
        A .npy file of (n_trs, n_voxels) responses.
    subject, story : str
        For messages.

    Returns
    -------
    np.memmap
        (n_trs, n_voxels), read-only, in the file's dtype (float or integer).
    """
    what = f"subject {subject!r}, story {story!r} ({path})"
    data = np.load(path, mmap_mode="r")
    if data.ndim != 2:
        raise InputError(f"{what}: must be 2-D (TRs x voxels), got shape {data.shape}")
    if not (np.issubdtype(data.dtype, np.floating) or np.issubdtype(data.dtype, np.integer)):
        raise InputError(f"{what}: responses must be numbers, got dtype {data.dtype}")
    for rows in row_blocks(data.shape[0], data.shape[1] * data.itemsize):
        check_finite(data[rows], what, first_row=rows.start)
    return data
