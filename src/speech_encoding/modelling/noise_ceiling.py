"""Noise ceilings from repeated presentations of a story, and r normalised by them.

For a voxel with `N` repeats `y_1..y_N` of `T` rows, their mean `m` and variances over rows:
- signal power `SP = (N var(m) - mean_n var(y_n)) / (N - 1)` (Sahani & Linden 2003): the variance
  of the response part that every repeat shares, unbiased whatever each repeat's noise level;
- explainable variance `EV = SP / mean_n var(y_n)`: the share of a single repeat's variance that
  a model could explain (the bias-corrected estimate of voxelwise-modelling labs);
- correlation ceiling `CC_max = sqrt(SP / var(m))` (Hsu et al. 2004; Schoppe et al. 2016): the
  largest correlation any prediction can reach with the averaged response `m`, which is what the
  fits score.
Where `SP <= 0` (or `var(m) = 0`) there is no usable ceiling: it is NaN and never divided by.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .scores import constant_mask

CEILING_COLUMNS = ("voxel", "n_rows", "n_repeats", "signal_power", "mean_variance",
                   "explainable_variance", "noise_ceiling")


def ceiling_statistics(repeats: np.ndarray) -> dict[str, np.ndarray]:
    """Per voxel: signal power, the variance of the mean response, EV and CC_max.

    Parameters
    ----------
    repeats : np.ndarray
        (n_repeats, n_rows, n_voxels), at least 2 repeats; any real dtype (used as float64).

    Returns
    -------
    dict of np.ndarray, each (n_voxels,) float64
        `signal_power`, `mean_variance` (variance over rows of the mean over repeats),
        `explainable_variance` (NaN where the repeats are constant) and `noise_ceiling` (NaN where
        the signal power is not positive).
    """
    repeats = np.asarray(repeats, dtype=np.float64)
    n_repeats = len(repeats)
    mean_variance = repeats.mean(axis=0).var(axis=0)
    repeat_variance = repeats.var(axis=1).mean(axis=0)
    signal_power = (n_repeats * mean_variance - repeat_variance) / (n_repeats - 1)
    usable = (signal_power > 0) & (mean_variance > 0)
    ceiling = np.full(signal_power.shape, np.nan)
    ceiling[usable] = np.sqrt(np.minimum(signal_power[usable] / mean_variance[usable], 1.0))
    explainable = np.full(signal_power.shape, np.nan)
    varying = repeat_variance > 0
    explainable[varying] = signal_power[varying] / repeat_variance[varying]
    return {"signal_power": signal_power, "mean_variance": mean_variance,
            "explainable_variance": explainable, "noise_ceiling": ceiling}


def voxel_batches(n_voxels: int, bytes_per_voxel: int, budget_bytes: int = 256 * 2 ** 20) -> list[slice]:
    """Consecutive voxel slices whose float64 working set stays within about `budget_bytes`."""
    step = max(1, budget_bytes // max(bytes_per_voxel, 1))
    return [slice(start, min(start + step, n_voxels)) for start in range(0, n_voxels, step)]


def story_ceiling(repeats: np.ndarray, rows: slice) -> pd.DataFrame:
    """One subject's ceiling table for one story, over `rows` of its repeats, in voxel batches.

    Parameters
    ----------
    repeats : np.ndarray
        (n_repeats, n_rows, n_voxels), typically memory-mapped.
    rows : slice
        The response rows the fits score (the story's trimming).

    Returns
    -------
    pd.DataFrame
        One row per voxel with `CEILING_COLUMNS`.
    """
    n_repeats, _, n_voxels = repeats.shape
    n_rows = len(range(repeats.shape[1])[rows])
    parts = [ceiling_statistics(repeats[:, rows, batch])
             for batch in voxel_batches(n_voxels, 8 * 2 * n_repeats * max(n_rows, 1))]
    columns = {key: np.concatenate([part[key] for part in parts]) if parts else np.empty(0)
               for key in ("signal_power", "mean_variance", "explainable_variance", "noise_ceiling")}
    return pd.DataFrame({"voxel": np.arange(n_voxels), "n_rows": n_rows, "n_repeats": n_repeats,
                         **columns})[list(CEILING_COLUMNS)]


def pooled_ceiling(tables: Sequence[pd.DataFrame]) -> np.ndarray:
    """CC_max over several scored stories, each z-scored on its own as the fits do.

    A z-scored story's averaged response has signal share `SP / var(m)`; over the concatenated
    rows the share is the row-weighted mean of the stories' shares, and the ceiling its square
    root. A story whose share is not positive counts as 0 signal; a voxel with no positive share
    in any story gets NaN.
    """
    rows = np.array([table["n_rows"].iloc[0] if len(table) else 0 for table in tables], dtype=float)
    shares = []
    for table in tables:
        mean_variance = table["mean_variance"].to_numpy()
        share = np.divide(table["signal_power"].to_numpy(), mean_variance,
                          out=np.zeros(len(table)), where=mean_variance > 0)
        shares.append(np.clip(share, 0.0, 1.0))
    pooled = np.average(np.vstack(shares), axis=0, weights=rows)
    return np.where(pooled > 0, np.sqrt(pooled), np.nan)


def with_ceiling(voxels: pd.DataFrame, ceiling: np.ndarray | None) -> pd.DataFrame:
    """`voxels` with `noise_ceiling` and `r_normalized = r / noise_ceiling` (NaN without one)."""
    out = voxels.copy()
    values = np.full(len(out), np.nan) if ceiling is None else np.asarray(ceiling, dtype=np.float64)
    out["noise_ceiling"] = values
    out["r_normalized"] = out["r"].to_numpy() / values
    return out


def median_normalized_r(voxels: pd.DataFrame, min_ceiling: float) -> tuple[float, int]:
    """Median `r_normalized` over the non-constant voxels whose ceiling is at least `min_ceiling`,
    and how many such voxels there are (NaN and 0 when none, or for a table without ceilings)."""
    if "noise_ceiling" not in voxels:
        return float("nan"), 0
    usable = (voxels["noise_ceiling"].to_numpy() >= min_ceiling) & ~constant_mask(voxels)
    if not usable.any():
        return float("nan"), 0
    return float(np.median(voxels["r_normalized"].to_numpy()[usable])), int(usable.sum())
