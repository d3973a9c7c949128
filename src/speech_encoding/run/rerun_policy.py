"""Which config values decide results and which only decide how a job computes.

A value that decides a rule's results reaches the rule as a parameter, so changing it reruns the
rule (Snakemake's params trigger) and everything downstream. A value that only changes speed or
where a job runs (a device, a batch size) is read by the job from the config at run time, so
changing it reruns nothing. Every parameter is canonical: dict keys sorted at every level, so
reordering keys in a config file is not a change. The README's "What reruns when" table is this
module's contract; tests/test_invalidation.py checks it run by run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..design_matrix.downsample import METHODS
from ..features.feature_files import extraction_settings

# Feature-set keys read by the extraction job itself: they change how fast features come.
EXTRACTION_RUNTIME_KEYS = ("device", "batch_size")
# ridge keys read by the fit job itself: they change how a fit computes, never its results.
RIDGE_RUNTIME_KEYS = ("device", "voxel_batch")
# ridge keys that decide which files a fit writes (outputs, so not parameters either).
RIDGE_OUTPUT_KEYS = ("save_weights",)


def canonical(value: Any) -> Any:
    """`value` with dict keys sorted at every level (Snakemake's params trigger is order-sensitive)."""
    if isinstance(value, Mapping):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def extraction_params(feature_set: Mapping, family: str) -> dict:
    """The feature set's settings that decide its features (never its name, device or batch
    size); settings that only one model family uses count only for that family."""
    return canonical(extraction_settings(feature_set, family))


def downsample_params(downsample: Mapping) -> dict:
    """The downsampling method and only the options it uses (the others must not rerun it)."""
    method = downsample["method"]
    options = METHODS.lookup(method).options
    return canonical({"method": method, **{key: downsample[key] for key in options}})


def delay_params(config: Mapping) -> dict:
    """The FIR delays (in their order: it decides the column blocks) and the padding."""
    return {"fir_delays": list(config["fir_delays"]), "circpad": config["fir_circpad"]}


def trimming_params(rows: Mapping) -> dict:
    """Per story, the rows a feature set's fits keep as planned (`row_plan.PlannedRows`): auto
    trimming resolved to slices, so a change that leaves the rows as they were reruns nothing."""
    return canonical({story: planned.to_params() for story, planned in rows.items()})


def ridge_params(ridge: Mapping) -> dict:
    """The ridge settings that decide a fit's results."""
    skipped = RIDGE_RUNTIME_KEYS + RIDGE_OUTPUT_KEYS
    return canonical({key: value for key, value in ridge.items() if key not in skipped})


def significance_params(config: Mapping) -> dict:
    """The significance section: every key decides a fit's p, q and significant."""
    return canonical(config["significance"])


def extraction_runtime(config: Mapping, feature_set: str) -> dict:
    """The feature set's run-time options (device, batch_size), read by the extraction job."""
    settings = next(fs for fs in config["feature_sets"] if fs["name"] == feature_set)
    return {key: settings[key] for key in EXTRACTION_RUNTIME_KEYS}


def ridge_runtime(config: Mapping) -> dict:
    """ridge.device and ridge.voxel_batch, read by the fit job."""
    return {key: config["ridge"][key] for key in RIDGE_RUNTIME_KEYS}
