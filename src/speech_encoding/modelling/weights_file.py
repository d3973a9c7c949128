"""weights.npy of a fit: float32, written in place through a memory map, renamed when complete.

Layout: (n_features, n_voxels) in train_test mode, (n_outer_folds, n_features, n_voxels) in
nested_cv mode. Feature k is delay `fir_delays[k // n_layer_features]` of the layer's feature
`k % n_layer_features` (delays outermost, in config order).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from ..run.atomic_io import atomic_path


@contextmanager
def weights_writer(path: str | os.PathLike) -> Iterator[Callable[[tuple[int, ...]], np.ndarray]]:
    """Yield `open(shape)`, which creates the float32 array; the file appears at `path` on success.

    Parameters
    ----------
    path : str or PathLike
        Where weights.npy goes.

    Yields
    ------
    callable
        `open(shape)` returns a writable float32 np.memmap of `shape`: (n_features, n_voxels)
        or (n_outer_folds, n_features, n_voxels), backed by a temporary .npy beside `path`.
    """
    opened: list[np.memmap] = []
    with atomic_path(path) as tmp:

        def open_array(shape: tuple[int, ...]) -> np.ndarray:
            opened.append(np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=shape))
            return opened[-1]

        yield open_array
        for array in opened:
            array.flush()
        if not opened:
            raise RuntimeError(f"{path}: the fit never opened its weights array")
        del opened[:]
