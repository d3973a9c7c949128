"""Config checks JSON Schema cannot express, and values derived from the config."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from ..design_matrix.trimming import check_explicit_keys
from ..errors import InputError, repeated
from ..features.compute_dtypes import check_compute_dtype
from ..modelling.folds import inner_splits, outer_splits

# Largest alpha admitted: the solver matches a float64 reference up to here (tests/test_ridge.py);
# far above s_max every alpha gives the same prediction up to scale, so a larger one adds nothing.
MAX_ALPHA = 1e30


def resolve_alphas(spec) -> tuple[float, ...]:
    """`ridge.alphas` as a tuple: a list as given, or {logspace: [start, stop, num]} expanded."""
    if isinstance(spec, Mapping):
        start, stop, num = spec["logspace"]
        return tuple(float(a) for a in np.logspace(start, stop, int(num)))
    return tuple(float(a) for a in spec)


def check_config(config: Mapping) -> None:
    """Cross-field checks; each error names the config key."""
    duplicates = repeated([fs["name"] for fs in config["feature_sets"]])
    if duplicates:
        raise InputError(f"feature_sets: duplicate name(s): {', '.join(duplicates)}")
    for index, fs in enumerate(config["feature_sets"]):
        if fs["context_size"] < fs["chunk_size"]:
            raise InputError(
                f"feature_sets[{index}] ({fs['name']}): context_size ({fs['context_size']}) must be "
                f">= chunk_size ({fs['chunk_size']})")
        if fs["device"] == "cpu":
            check_compute_dtype(fs["dtype"], "cpu", f"feature_sets[{index}] ({fs['name']})")
    check_explicit_keys(config["trimming"])
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
    if max(alphas) > MAX_ALPHA:
        raise InputError(f"ridge.alphas: every alpha must be <= {MAX_ALPHA:g} (got {max(alphas):g}); "
                         "alphas that large all give the same prediction up to scale")


def check_folds(ridge: RidgeSettings, story_rows: Sequence[int], nested: bool) -> None:
    """Build every fold the fits will build, from the stories' row counts after trimming (the
    fitted stories: training stories, or every story in nested CV), so that fold settings that
    leave a fold without training or validation rows stop the run before any job, naming the key."""
    groups = np.repeat(np.arange(len(story_rows)), story_rows)
    if not nested:
        inner_splits(len(groups), groups, ridge)
        return
    for train, _ in outer_splits(len(groups), groups, ridge):
        inner_splits(len(train), groups[train], ridge)


@dataclass(frozen=True)
class RidgeSettings:
    """Everything the ridge fit needs, from the schema-validated `ridge` config section (whose
    defaults the schema fills in: this class repeats none of them)."""

    alphas: tuple[float, ...]
    n_inner_folds: int
    folding_type: str
    chunk_length: int
    fold_remainder: str
    normalpha: bool
    single_alpha: bool
    use_corr: bool
    alpha_fdr: float
    singcutoff: float
    seed: int
    mode: str
    n_outer_folds: int
    outer_folding_type: str
    fold_gap: int
    inner_fold_gap: int
    outer_zscore: str
    trim_size: int
    normalize_features: bool
    normalize_targets: bool
    voxel_batch: int | None
    device: str

    @classmethod
    def from_config(cls, ridge: Mapping) -> "RidgeSettings":
        """Build from the (schema-validated) `ridge` config section; keys that decide no part of
        the fit (save_weights: which files it writes) are not taken."""
        values = {field.name: ridge[field.name] for field in fields(cls)}
        return cls(**{**values, "alphas": resolve_alphas(ridge["alphas"])})


@dataclass(frozen=True)
class SignificanceSettings:
    """The schema-validated `significance` config section (its defaults come from the schema)."""

    method: str
    alternative: str
    null: str
    n_permutations: int
    block_length: int
    seed: int
    combine: str | None

    @classmethod
    def from_config(cls, significance: Mapping) -> "SignificanceSettings":
        """Build from the (schema-validated) `significance` config section."""
        return cls(**{field.name: significance[field.name] for field in fields(cls)})


# The tutorial's test: what the library's fit functions use when given no significance settings.
TUTORIAL_SIGNIFICANCE = SignificanceSettings(method="ttest", alternative="two-sided", null="shift",
                                             n_permutations=1, block_length=1, seed=0,
                                             combine="fisher")


def check_significance(significance: Mapping, test_story_rows: Sequence[int]) -> None:
    """A block null's block_length may not exceed any scored story's rows."""
    if (significance["method"] != "permutation" or significance["null"] != "block"
            or not test_story_rows):
        return
    shortest = min(test_story_rows)
    if shortest < significance["block_length"]:
        raise InputError(f"significance.block_length={significance['block_length']}: a scored story "
                         f"has only {shortest} rows; block_length may not exceed a scored "
                         "story's rows; lower significance.block_length")
