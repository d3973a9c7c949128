"""Atomic file writes: write to a temporary name in the target folder, then rename.

A reader (or a rerun after a killed job) never sees a half-written file under the final name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas only types save_parquet's argument: the cheap jobs never import it
    import pandas as pd


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_with(path: str | os.PathLike, writer: Callable[[Path], None]) -> None:
    with atomic_path(path) as tmp:
        writer(tmp)


def save_npy(path: str | os.PathLike, array: np.ndarray) -> None:
    """Save one array as .npy, atomically.

    Parameters
    ----------
    path : str or PathLike
    array : np.ndarray
        Any shape and dtype; saved as is.
    """

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as handle:
            np.save(handle, np.asarray(array))

    _write_with(path, write)


def save_json(path: str | os.PathLike, data: Any) -> None:
    """Save JSON (sorted keys, indented), atomically."""
    _write_with(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n"))


def save_parquet(path: str | os.PathLike, table: pd.DataFrame) -> None:
    """Save a DataFrame as parquet without its index, atomically."""
    _write_with(path, lambda tmp: table.to_parquet(tmp, index=False))


def save_text(path: str | os.PathLike, text: str) -> None:
    """Save text, atomically."""
    _write_with(path, lambda tmp: tmp.write_text(text))
