"""A fit's summary metrics over its voxel table (the tutorial's names, in summary.json)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def subset_summary(r_subset: np.ndarray, name: str) -> dict:
    """median/mean/min/max of a subset's r as `<stat>_<name>_score` (0.0 each when empty).

    Parameters
    ----------
    r_subset : np.ndarray
        (n,) r of the voxels in the subset.
    name : str

    Returns
    -------
    dict of str to float
    """
    functions = {"median": np.median, "mean": np.mean, "min": np.min, "max": np.max}
    return {f"{stat}_{name}_score": float(f(r_subset)) if r_subset.size else 0.0
            for stat, f in functions.items()}


def score_summary(voxels: pd.DataFrame) -> dict:
    """The tutorial's summary metrics over a voxel table (and the majority mask in nested CV)."""
    r = voxels["r"].to_numpy()
    significant = voxels["significant"].to_numpy()
    summary = {
        "median_score": float(np.median(r)),
        "mean_score": float(np.mean(r)),
        "std_score": float(np.std(r)),
        "min_score": float(np.min(r)),
        "max_score": float(np.max(r)),
        "n_voxels": int(r.size),
        "n_significant": int(significant.sum()),
        "percent_significant": float(100.0 * significant.mean()),
        **subset_summary(r[significant], "significant"),
        "median_alpha": float(np.median(voxels["alpha"])),
    }
    if "majority_significant" in voxels:
        majority = voxels["majority_significant"].to_numpy()
        summary.update({"n_majority_significant": int(majority.sum()),
                        "percent_majority_significant": float(100.0 * majority.mean()),
                        **subset_summary(r[majority], "majority_significant")})
    return summary
