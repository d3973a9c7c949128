"""From window-time features to a design matrix: downsampling onto the TR grid, FIR delays,
which rows rest on real features, trimming, and per-story z-scoring and stacking.

Names are imported on first use (see `speech_encoding._lazy`): importing this package loads none
of its modules.
"""

from .._lazy import lazy_exports

__all__ = [
    "METHODS",
    "kernel_support",
    "row_coverage",
    "delayed_rows",
    "stack_delays",
    "StoryRows",
    "is_auto",
    "trim_slice",
    "check_alignment",
    "check_rows_for_delays",
    "prepare_features",
    "prepare_responses",
    "stack_features",
    "zscore_columns",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "METHODS": "downsample",
    "kernel_support": "downsample",
    "row_coverage": "row_coverage",
    "delayed_rows": "row_coverage",
    "stack_delays": "delays",
    "StoryRows": "trimming",
    "is_auto": "trimming",
    "trim_slice": "trimming",
    "check_alignment": "trimming",
    "check_rows_for_delays": "trimming",
    "prepare_features": "preprocess",
    "prepare_responses": "preprocess",
    "stack_features": "preprocess",
    "zscore_columns": "preprocess",
})
