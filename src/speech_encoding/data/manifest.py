"""The stories manifest (stories.tsv): reading, validating, writing, and each story's TR grid."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:  # read and written by the functions that need it: a TR grid alone needs no pandas
    import pandas as pd

REQUIRED_COLUMNS = ("story", "audio", "tr", "n_trs")
SPLITS = ("train", "test")
# Story, subject and feature-set names become folder and file names (and wildcard values).
NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]*"
SAFE_NAME = re.compile(f"^{NAME_PATTERN}$")


@dataclass(frozen=True)
class Story:
    """One row of stories.tsv, with paths joined to the manifest's folder."""

    name: str
    audio: Path
    tr: float
    n_trs: int
    split: str
    tr_offset: float | None = None
    tr_times_file: Path | None = None

    def tr_grid_params(self) -> dict:
        """The TR grid as plain, deterministic values (for Snakemake params)."""
        return {
            "tr": self.tr,
            "n_trs": self.n_trs,
            "tr_offset": self.tr_offset,
            "tr_times_file": str(self.tr_times_file) if self.tr_times_file else None,
        }


def tr_times(tr: float, n_trs: int, tr_offset: float | None = None,
             tr_times_file: str | Path | None = None) -> np.ndarray:
    """TR times in seconds from the audio's start: explicit file, else tr_offset + k * tr.

    Parameters
    ----------
    tr : float
        Repetition time in seconds.
    n_trs : int
    tr_offset : float, optional
        Time of the first TR (None: tr / 2).
    tr_times_file : str or Path, optional
        A .npy file of n_trs TR times; when given, `tr` and `tr_offset` are not used.

    Returns
    -------
    np.ndarray
        (n_trs,) float64.
    """
    if tr_times_file is not None:
        times = np.load(tr_times_file).astype(np.float64)
        if times.ndim != 1 or len(times) != n_trs:
            raise InputError(
                f"{tr_times_file}: TR times must be a 1-D array of n_trs={n_trs} values, "
                f"got shape {times.shape}")
        return times
    offset = tr / 2 if tr_offset is None else tr_offset
    return offset + np.arange(n_trs, dtype=np.float64) * tr


def check_safe_name(name: str, what: str, where: str = "") -> None:
    """Refuse a story or subject name that is not safe as a file name."""
    if not SAFE_NAME.match(name):
        raise InputError(f"{where}{what} name {name!r} is not safe as a file name "
                         "(use letters, digits, '.', '_' and '-', starting with a letter or digit)")


def _cell(row: pd.Series, column: str) -> str:
    return str(row[column]).strip() if column in row.index else ""


def _number(value: str, story: str, column: str, manifest: Path) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{manifest}: story {story!r}: column {column!r} must be a number, "
                         f"got {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"{manifest}: story {story!r}: column {column!r} must be finite, got {value!r}")
    return number


def _under(folder: Path, relative: str) -> Path:
    """`relative` joined to the manifest's folder and normalised, but not made absolute: paths keep
    the spelling the config gives, so moving a project (or mounting it elsewhere) reruns nothing."""
    return Path(os.path.normpath(folder / relative))


def _parse_row(row: pd.Series, folder: Path, manifest: Path, check_files: bool) -> Story:
    name = _cell(row, "story")
    check_safe_name(name, "story", where=f"{manifest}: ")
    tr = _number(_cell(row, "tr"), name, "tr", manifest)
    if tr <= 0:
        raise InputError(f"{manifest}: story {name!r}: tr must be > 0 seconds, got {tr}")
    n_trs_value = _number(_cell(row, "n_trs"), name, "n_trs", manifest)
    if n_trs_value != int(n_trs_value):
        raise InputError(f"{manifest}: story {name!r}: n_trs must be an integer, got {_cell(row, 'n_trs')!r}")
    n_trs = int(n_trs_value)
    if n_trs < 1:
        raise InputError(f"{manifest}: story {name!r}: n_trs must be >= 1, got {n_trs}")
    audio_value = _cell(row, "audio")
    if not audio_value:
        raise InputError(f"{manifest}: story {name!r}: empty audio path")
    audio = _under(folder, audio_value)
    if os.path.relpath(os.path.abspath(audio), os.path.abspath(folder)).startswith(os.pardir):
        raise InputError(f"{manifest}: story {name!r}: audio path {audio_value!r} points outside the "
                         f"dataset folder {folder}; keep the audio inside it")
    if check_files and not audio.is_file():
        raise InputError(f"{manifest}: story {name!r}: audio file not found: {audio}")
    offset_value = _cell(row, "tr_offset")
    tr_offset = _number(offset_value, name, "tr_offset", manifest) if offset_value else None
    times_value = _cell(row, "tr_times")
    tr_times_file = _under(folder, times_value) if times_value else None
    if check_files and tr_times_file is not None and not tr_times_file.is_file():
        raise InputError(f"{manifest}: story {name!r}: tr_times file not found: {tr_times_file}")
    return Story(name=name, audio=audio, tr=tr, n_trs=n_trs, split=_cell(row, "split"),
                 tr_offset=tr_offset, tr_times_file=tr_times_file)


def _assign_splits(stories: list[Story], test_stories: list[str] | None, manifest: Path,
                   require_split: bool) -> list[Story]:
    names = [s.name for s in stories]
    if test_stories is not None:
        unknown = sorted(set(test_stories) - set(names))
        if unknown:
            raise InputError(f"dataset.test_stories names stories not in {manifest}: {', '.join(unknown)}")
    assigned = []
    for story in stories:
        split = story.split
        if split and split not in SPLITS:
            raise InputError(f"{manifest}: story {story.name!r}: split must be 'train' or 'test', "
                             f"got {split!r}")
        if test_stories is not None:
            wanted = "test" if story.name in test_stories else "train"
            if split and split != wanted:
                raise InputError(
                    f"story {story.name!r} is a {wanted} story by dataset.test_stories but a "
                    f"{split} story in {manifest}; make them agree (or drop the split column)")
            split = wanted
        elif not split and require_split:
            raise InputError(f"{manifest}: story {story.name!r}: empty split "
                             "(give 'train' or 'test', or set dataset.test_stories)")
        assigned.append(replace(story, split=split or "train"))
    if not require_split:
        return assigned
    if not any(s.split == "test" for s in assigned):
        raise InputError(f"{manifest}: no test story (set split=test on a row, or dataset.test_stories)")
    if not any(s.split == "train" for s in assigned):
        raise InputError(f"{manifest}: no training story: every story is a test story")
    return assigned


def read_manifest(path: str | Path, test_stories: list[str] | None = None,
                  check_files: bool = True, require_split: bool = True) -> list[Story]:
    """Read and validate stories.tsv; errors name the manifest, the story and the column.

    With `require_split` false (nested cross-validation uses every story), the split column may
    be absent and no test story is needed; stories without a split count as training stories.
    """
    manifest = Path(path)
    if not manifest.is_file():
        raise InputError(f"stories manifest not found: {manifest} (config key dataset.stories)")
    import pandas as pd

    table = pd.read_csv(manifest, sep="\t", dtype=str, keep_default_na=False)
    table.columns = [c.strip() for c in table.columns]
    needs_split = require_split and test_stories is None
    required = REQUIRED_COLUMNS + (("split",) if needs_split else ())
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(f"{manifest}: missing required column(s): {', '.join(missing)} "
                         f"(has: {', '.join(table.columns)})")
    if table.empty:
        raise InputError(f"{manifest}: no stories")
    duplicated = sorted(set(table["story"][table["story"].duplicated()]))
    if duplicated:
        raise InputError(f"{manifest}: duplicate story name(s): {', '.join(duplicated)}")
    folder = manifest.parent
    stories = [_parse_row(row, folder, manifest, check_files) for _, row in table.iterrows()]
    return _assign_splits(stories, test_stories, manifest, require_split)


def write_manifest(stories: list[Story], path: str | Path) -> None:
    """Write stories.tsv with audio and tr_times paths relative to the manifest's folder."""
    from ..run.atomic_io import save_text

    folder = Path(path).resolve().parent
    rows = []
    for story in stories:
        row = {"story": story.name, "audio": str(Path(story.audio).resolve().relative_to(folder)),
               "tr": repr(story.tr), "n_trs": str(story.n_trs), "split": story.split}
        if story.tr_offset is not None:
            row["tr_offset"] = repr(story.tr_offset)
        if story.tr_times_file is not None:
            row["tr_times"] = str(Path(story.tr_times_file).resolve().relative_to(folder))
        rows.append(row)
    import pandas as pd

    save_text(path, pd.DataFrame(rows).to_csv(sep="\t", index=False))
