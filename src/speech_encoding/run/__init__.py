"""Running the workflow: config settings, the plan of a run, the rerun policy, compute devices,
atomic writes and job logging.

Names are imported on first use (see `speech_encoding._lazy`): importing this package loads none
of its modules.
"""

from .._lazy import lazy_exports

__all__ = [
    "RidgeSettings",
    "check_config",
    "resolve_alphas",
    "RunPlan",
    "GeneratedInputs",
    "GeneratedModel",
    "plan_run",
    "PlannedRows",
    "plan_rows",
    "canonical",
    "extraction_params",
    "downsample_params",
    "delay_params",
    "trimming_params",
    "ridge_params",
    "extraction_runtime",
    "ridge_runtime",
    "DEVICE_OPTIONS",
    "resolve_device",
    "atomic_path",
    "save_npy",
    "save_json",
    "save_parquet",
    "save_text",
    "log_to_file",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "RidgeSettings": "settings",
    "check_config": "settings",
    "resolve_alphas": "settings",
    "RunPlan": "plan",
    "GeneratedInputs": "plan",
    "GeneratedModel": "plan",
    "plan_run": "plan",
    "PlannedRows": "row_plan",
    "plan_rows": "row_plan",
    "canonical": "rerun_policy",
    "extraction_params": "rerun_policy",
    "downsample_params": "rerun_policy",
    "delay_params": "rerun_policy",
    "trimming_params": "rerun_policy",
    "ridge_params": "rerun_policy",
    "extraction_runtime": "rerun_policy",
    "ridge_runtime": "rerun_policy",
    "DEVICE_OPTIONS": "devices",
    "resolve_device": "devices",
    "atomic_path": "atomic_io",
    "save_npy": "atomic_io",
    "save_json": "atomic_io",
    "save_parquet": "atomic_io",
    "save_text": "atomic_io",
    "log_to_file": "job_logging",
})
