"""A story's feature folder: layer<L>.npy (windows x dims), times.npy (window ends), meta.json."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .atomic_io import save_json, save_npy
from .errors import InputError


def write_feature_folder(folder: str | Path, layers: Sequence[np.ndarray], times: np.ndarray,
                         meta: Mapping) -> None:
    """Write every layer, the times, then meta.json last (its presence marks a complete folder)."""
    folder = Path(folder)
    for index, layer in enumerate(layers):
        save_npy(folder / f"layer{index}.npy", layer)
    save_npy(folder / "times.npy", np.asarray(times, dtype=np.float64))
    save_json(folder / "meta.json", {**meta, "n_windows": int(len(times)), "n_layers": len(layers),
                                     "dims": [int(layer.shape[1]) for layer in layers]})


def read_layer(folder: str | Path, layer: int) -> tuple[np.ndarray, np.ndarray]:
    """One layer's features and the window times, checked against meta.json."""
    folder = Path(folder)
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise InputError(f"{folder}: incomplete feature folder (no meta.json); rerun extraction")
    meta = json.loads(meta_path.read_text())
    if layer >= meta["n_layers"]:
        raise InputError(f"{folder}: layer {layer} requested but the model has {meta['n_layers']} layers")
    data = np.load(folder / f"layer{layer}.npy")
    times = np.load(folder / "times.npy")
    if data.shape != (meta["n_windows"], meta["dims"][layer]) or len(times) != meta["n_windows"]:
        raise InputError(f"{folder}: layer{layer}.npy / times.npy do not match meta.json; rerun extraction")
    return data, times
