"""Config checks JSON Schema cannot express, and values derived from the config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .errors import InputError


def resolve_alphas(spec) -> tuple[float, ...]:
    """`ridge.alphas` as a tuple: a list as given, or {logspace: [start, stop, num]} expanded."""
    if isinstance(spec, Mapping):
        start, stop, num = spec["logspace"]
        return tuple(float(a) for a in np.logspace(start, stop, int(num)))
    return tuple(float(a) for a in spec)


def check_config(config: Mapping) -> None:
    """Cross-field checks; each error names the config key."""
    names = [fs["name"] for fs in config["feature_sets"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"feature_sets: duplicate name(s): {', '.join(duplicates)}")
    for index, fs in enumerate(config["feature_sets"]):
        if fs["context_size"] < fs["chunk_size"]:
            raise InputError(
                f"feature_sets[{index}] ({fs['name']}): context_size ({fs['context_size']}) must be "
                f">= chunk_size ({fs['chunk_size']})")
        if fs.get("dtype") == "float16" and fs.get("device") == "cpu":
            raise InputError(
                f"feature_sets[{index}] ({fs['name']}): dtype float16 needs a GPU but device is cpu; "
                "use dtype float32 or bfloat16 on CPU")
    delays = config["fir_delays"]
    if len(set(delays)) != len(delays):
        raise InputError(f"fir_delays: duplicate delays in {delays}")
    demo = config.get("demo")
    if demo and demo["n_driven"] > demo["n_voxels"]:
        raise InputError(f"demo.n_driven ({demo['n_driven']}) must be <= demo.n_voxels "
                         f"({demo['n_voxels']})")
    alphas = resolve_alphas(config["ridge"]["alphas"])
    if not alphas or min(alphas) <= 0:
        raise InputError(f"ridge.alphas: need at least one alpha, all > 0, got {list(alphas)}")


@dataclass(frozen=True)
class RidgeSettings:
    """Everything the ridge fit needs, from the `ridge` config section."""

    alphas: tuple[float, ...]
    n_inner_folds: int = 5
    folding_type: str = "chunked"
    chunk_length: int = 20
    normalpha: bool = True
    single_alpha: bool = False
    use_corr: bool = True
    alpha_fdr: float = 0.05
    singcutoff: float = 1e-10
    seed: int = 0
    mode: str = "train_test"
    n_outer_folds: int = 5
    normalize_features: bool = False
    normalize_targets: bool = False
    voxel_batch: int | None = None
    device: str = "auto"
    save_weights: bool = False

    @classmethod
    def from_config(cls, ridge: Mapping) -> "RidgeSettings":
        """Build from the (schema-validated) `ridge` config section."""
        return cls(**{**ridge, "alphas": resolve_alphas(ridge["alphas"])})
