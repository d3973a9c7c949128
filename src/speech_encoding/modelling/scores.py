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
    return {f"{stat}_{name}_score": value for stat, value in spread(r_subset).items()
            if stat != "std"}


def constant_mask(voxels: pd.DataFrame) -> np.ndarray:
    """(n_voxels,) bool: the voxels flagged `constant` (none when the table has no such column)."""
    return voxels["constant"].to_numpy(bool) if "constant" in voxels else np.zeros(len(voxels), bool)


def score_summary(voxels: pd.DataFrame) -> dict:
    """The tutorial's summary metrics over a voxel table (and the majority mask in nested CV).

    Voxels flagged `constant` are counted (`n_constant_voxels`) but left out of every statistic:
    the scores, the percentages and the alpha median are over the other voxels (0.0 when none
    is left). `n_voxels` counts every voxel.
    """
    constant = constant_mask(voxels)
    tested = voxels[~constant]
    r = tested["r"].to_numpy()
    significant = tested["significant"].to_numpy()
    summary = {
        **{f"{stat}_score": value for stat, value in spread(r).items()},
        "n_voxels": len(voxels),
        "n_constant_voxels": int(constant.sum()),
        "n_significant": int(significant.sum()),
        "percent_significant": float(100.0 * significant.mean()) if r.size else 0.0,
        **subset_summary(r[significant], "significant"),
        "median_alpha": float(np.median(tested["alpha"])) if r.size else 0.0,
    }
    if "majority_significant" in voxels:
        majority = tested["majority_significant"].to_numpy()
        summary.update({"n_majority_significant": int(majority.sum()),
                        "percent_majority_significant":
                            float(100.0 * majority.mean()) if r.size else 0.0,
                        **subset_summary(r[majority], "majority_significant")})
    return summary


def spread(r: np.ndarray) -> dict:
    """median, mean, std, min and max of r (0.0 each when empty)."""
    functions = {"median": np.median, "mean": np.mean, "std": np.std, "min": np.min, "max": np.max}
    return {stat: float(f(r)) if r.size else 0.0 for stat, f in functions.items()}
