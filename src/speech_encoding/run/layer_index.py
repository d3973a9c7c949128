"""The index a downsample or delay job writes beside one layer's story files: which file holds each
story, its shape and size. The next stage's job takes the index as its one input instead of every
story's file, so that Snakemake resolves one file per job rather than one per story (at LeBel's
size, 20,000 fewer files to plan); the job reads the story files the index names, checked first.

The index's name holds a digest of the story list: Snakemake checks a job's outputs for missing
files only where a later job asks for them, so a new story must give a new index name for the job
that writes its file to run.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import InputError
from ..modelling.memory_budget import MB
from .atomic_io import save_json


def index_name(layer: int | str, stories: Sequence[str]) -> str:
    """'layer<L>.index-<digest of the story names, in order>.json'."""
    digest = hashlib.sha256("\n".join(stories).encode()).hexdigest()[:12]
    return f"layer{layer}.index-{digest}.json"


def write_layer_index(path: str | os.PathLike, files: Mapping[str, str],
                      shapes: Mapping[str, Sequence[int]]) -> dict:
    """Write the index of one layer's story files (story -> path, in the given order) after the
    files themselves; return it."""
    index = {"stories": {story: {"path": str(file), "shape": [int(n) for n in shapes[story]],
                                 "bytes": os.path.getsize(file)}
                         for story, file in files.items()}}
    save_json(path, index)
    return index


def indexed_files(path: str | os.PathLike, stories: Sequence[str], stage: str) -> dict[str, str]:
    """story -> file for `stories` from an index written by rule `stage`, each file checked to exist
    with the size the index recorded (else an InputError naming it and the fix)."""
    rebuild = f"rerun with `snakemake --forcerun {stage}` to rewrite them"
    try:
        index = json.loads(Path(path).read_text())["stories"]
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"{path}: not a readable index of story files ({error}); {rebuild}") from None
    missing = [story for story in stories if story not in index]
    if missing:
        raise InputError(f"{path}: no file for stories {', '.join(missing)}; {rebuild}")
    files = {}
    for story in stories:
        entry = index[story]
        file = Path(entry["path"])
        if not file.exists() or file.stat().st_size != entry["bytes"]:
            state = "is missing" if not file.exists() else "is not the file the index recorded"
            raise InputError(f"story {story!r}: {file} {state} ({path}); {rebuild}")
        files[story] = str(file)
    return files


def indexed_size_mb(path: str | os.PathLike) -> float:
    """The summed size of the files an index names, in MB (0 while the index does not exist yet, or
    cannot be read: the job that reads it then says why)."""
    try:
        index = json.loads(Path(path).read_text())["stories"]
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0
    return sum(entry["bytes"] for entry in index.values()) / MB
