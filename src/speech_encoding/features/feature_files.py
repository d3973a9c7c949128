"""A story's feature folder: layer<L>.npy (windows x dims), times.npy (window ends), meta.json.

meta.json records what produced the folder. Its `extraction` entry holds the feature set's
settings that change the features; a reader that knows the settings it expects checks them, and
the layer files, against meta.json, so stale or mismatching features are an error, never reused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..run.atomic_io import save_json, save_npy
from .families import FAMILIES

SAVE_DTYPES = ("float32", "float16")
RERUN_HINT = "rerun extraction (snakemake --forcerun extract_features)"
# A feature set's settings that decide its features, recorded in meta.json["extraction"]
EXTRACTION_KEYS = ("model", "chunk_size", "context_size", "pool", "target_sample_rate", "dtype",
                   "save_dtype")


def extraction_settings(settings: Mapping, family: str) -> dict:
    """The settings among `settings` that decide the features: the common ones, and those only
    `family` uses (whisper_padding for Whisper models)."""
    keys = EXTRACTION_KEYS + FAMILIES.lookup(family).feature_settings
    return {key: settings[key] for key in keys}


def check_save_dtype(save_dtype: str) -> None:
    """save_dtype must be one the feature files can be written in."""
    if save_dtype not in SAVE_DTYPES:
        raise InputError(f"save_dtype must be one of {', '.join(SAVE_DTYPES)}, got {save_dtype!r}")


def write_feature_folder(folder: str | Path, layers: Sequence[np.ndarray], times: np.ndarray,
                         meta: Mapping, save_dtype: str = "float32") -> None:
    """Write every layer as `save_dtype`, the times, then meta.json last (it marks a complete folder).

    Parameters
    ----------
    folder : str or Path
    layers : sequence of np.ndarray
        One (n_windows, dims) array per layer, written as layer<L>.npy.
    times : np.ndarray
        (n_windows,) window end times in seconds, written as float64 times.npy.
    meta : mapping
        What produced the features; n_windows, n_layers, dims and feature_dtype are added.
    save_dtype : str
        'float32' or 'float16'; a value beyond float16's range is an InputError.
    """
    folder = Path(folder)
    stored = [cast_layer(layer, save_dtype, index, folder) for index, layer in enumerate(layers)]
    for index, layer in enumerate(stored):
        save_npy(folder / f"layer{index}.npy", layer)
    save_npy(folder / "times.npy", np.asarray(times, dtype=np.float64))
    save_json(folder / "meta.json", {**meta, "n_windows": int(len(times)), "n_layers": len(layers),
                                     "dims": [int(layer.shape[1]) for layer in layers],
                                     "feature_dtype": save_dtype})


def cast_layer(layer: np.ndarray, save_dtype: str, index: int, folder: Path) -> np.ndarray:
    """`layer` as `save_dtype`; values beyond float16's range are an error, not inf.

    Parameters
    ----------
    layer : np.ndarray
        (n_windows, dims) features of one layer.
    save_dtype : str
        'float32' or 'float16'.
    index : int
        The layer's index, for messages.
    folder : Path
        The feature folder, for messages.

    Returns
    -------
    np.ndarray
        Same shape as `layer`, of dtype `save_dtype`.
    """
    check_save_dtype(save_dtype)
    limit = float(np.finfo(save_dtype).max)
    largest = float(np.max(np.abs(layer))) if layer.size else 0.0
    if largest > limit:
        raise InputError(f"{folder}: layer {index} has values up to {largest:.4g}, beyond the range of "
                         f"save_dtype {save_dtype} (max {limit:.4g}); use save_dtype float32")
    return np.asarray(layer, dtype=save_dtype)


def read_meta(folder: str | Path) -> dict:
    """meta.json of a feature folder; a folder without one is incomplete."""
    meta_path = Path(folder) / "meta.json"
    if not meta_path.is_file():
        raise InputError(f"{folder}: incomplete feature folder (no meta.json); {RERUN_HINT}")
    return json.loads(meta_path.read_text())


def check_extraction(folder: str | Path, meta: Mapping, expected: Mapping,
                     story: str | None = None) -> None:
    """The settings recorded in meta.json must be exactly the ones expected, key by key."""
    if story is not None and meta.get("story") != story:
        raise InputError(f"{folder}/meta.json: story is {meta.get('story')!r}, expected {story!r}; "
                         f"{RERUN_HINT}")
    recorded = meta.get("extraction")
    if not isinstance(recorded, Mapping):
        raise InputError(f"{folder}/meta.json has no extraction settings (written by an older "
                         f"version); {RERUN_HINT}")
    for key in sorted(set(recorded) | set(expected)):
        if recorded.get(key, "<absent>") != expected.get(key, "<absent>"):
            raise InputError(
                f"{folder}/meta.json: {key} is {recorded.get(key, '<absent>')!r} but the config asks "
                f"for {expected.get(key, '<absent>')!r}; the features are stale, {RERUN_HINT}")


def read_layer(folder: str | Path, layer: int, expected: Mapping | None = None,
               story: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One layer's features (as float32) and the window times, checked against meta.json.

    With `expected` (the feature set's extraction settings) and `story`, meta.json must record
    exactly those settings and that story.

    Parameters
    ----------
    folder : str or Path
        A feature folder written by `write_feature_folder`.
    layer : int
    expected : mapping, optional
    story : str, optional

    Returns
    -------
    data : np.ndarray
        (n_windows, dims) float32 features of the layer (stored as float32 or float16).
    times : np.ndarray
        (n_windows,) float64 window end times in seconds.
    """
    folder = Path(folder)
    meta = read_meta(folder)
    if expected is not None:
        check_extraction(folder, meta, expected, story)
    if layer >= meta["n_layers"]:
        raise InputError(f"{folder}: layer {layer} requested but the model has {meta['n_layers']} layers")
    data = np.load(folder / f"layer{layer}.npy")
    times = np.load(folder / "times.npy")
    if data.shape != (meta["n_windows"], meta["dims"][layer]) or len(times) != meta["n_windows"]:
        raise InputError(f"{folder}: layer{layer}.npy {data.shape} / times.npy ({len(times)}) do not "
                         f"match meta.json (n_windows {meta['n_windows']}, dims "
                         f"{meta['dims'][layer]}); {RERUN_HINT}")
    stored = meta.get("feature_dtype", "float32")
    if data.dtype != np.dtype(stored):
        raise InputError(f"{folder}: layer{layer}.npy holds {data.dtype} but meta.json says "
                         f"feature_dtype {stored}; {RERUN_HINT}")
    return data.astype(np.float32), times
