"""The encoding model: the ridge solver, per-voxel alpha search in voxel batches, folds, the
fitting modes, significance, noise ceilings, summary scores and weights files.

Names are imported on first use (see `speech_encoding._lazy`): importing this package loads none
of its modules.
"""

from .._lazy import lazy_exports

__all__ = [
    "fit_stories",
    "fit_train_test",
    "MODES",
    "RidgeMode",
    "FOLDING_TYPES",
    "cv_splits",
    "decompose",
    "choose_alphas",
    "VoxelwiseRidge",
    "fit_voxel_batches",
    "combine_folds",
    "column_correlation",
    "correlation_pvalue",
    "fdr_bh",
    "score_summary",
    "fit_memory_mb",
    "working_memory_bytes",
    "weights_writer",
    "story_ceiling",
    "pooled_ceiling",
    "with_ceiling",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "fit_stories": "fit",
    "fit_train_test": "fit",
    "MODES": "modes",
    "RidgeMode": "modes",
    "FOLDING_TYPES": "folds",
    "cv_splits": "folds",
    "decompose": "ridge",
    "choose_alphas": "ridge",
    "VoxelwiseRidge": "voxelwise_ridge",
    "fit_voxel_batches": "voxelwise_ridge",
    "combine_folds": "significance",
    "column_correlation": "stats",
    "correlation_pvalue": "stats",
    "fdr_bh": "stats",
    "score_summary": "scores",
    "fit_memory_mb": "memory_budget",
    "working_memory_bytes": "memory_budget",
    "weights_writer": "weights_file",
    "story_ceiling": "noise_ceiling",
    "pooled_ceiling": "noise_ceiling",
    "with_ceiling": "noise_ceiling",
})
