"""The run's summary table: one row per (analysis x) subject x feature set x layer, plus demo
recovery.

Fits are compared by `mean_r_compared`, each fit's mean r over one voxel set per subject: the voxels
significant in any of that subject's fits, in any analysis (README, "Comparing fits").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..modelling.noise_ceiling import median_normalized_r
from ..modelling.scores import constant_mask

# The columns that name a fit; `analysis` only in a run with analyses.
FIT_KEYS = ("analysis", "subject", "feature_set", "layer")


def model_keys(table: pd.DataFrame) -> list[str]:
    """The columns that name one model of a subject (a fit but for its layer)."""
    return [key for key in FIT_KEYS if key in table.columns and key != "layer"]


def fit_label(fit: Mapping) -> str:
    """'analysis / subject / feature set / layer L' (no analysis in a run without analyses)."""
    names = [str(fit[key]) for key in FIT_KEYS[:-1] if key in fit]
    return " / ".join([*names, f"layer {fit['layer']}"])


def recovery_metrics(voxels: pd.DataFrame, driven: Sequence[int]) -> dict:
    """How well known driven voxels are recovered: median r of driven vs other, precision, recall.

    Precision is 0.0 when no voxel is significant.
    """
    is_driven = np.zeros(len(voxels), dtype=bool)
    is_driven[np.asarray(driven, dtype=int)] = True
    r = voxels["r"].to_numpy()
    significant = voxels["significant"].to_numpy()
    hits = int((significant & is_driven).sum())
    return {
        "median_r_driven": float(np.median(r[is_driven])),
        "median_r_other": float(np.median(r[~is_driven])),
        "precision": hits / int(significant.sum()) if significant.any() else 0.0,
        "recall": hits / int(is_driven.sum()),
    }


def ceiling_recovery(voxels: pd.DataFrame, true_ceiling: Sequence[float]) -> dict:
    """How close the estimated noise ceilings are to the planted ones (demo): over the voxels with
    a planted ceiling, the median absolute error and how many have an estimate."""
    truth = np.asarray(true_ceiling, dtype=np.float64)
    estimate = voxels["noise_ceiling"].to_numpy()
    planted = truth > 0
    estimated = planted & np.isfinite(estimate)
    return {
        "ceiling_true_median": float(np.median(truth[planted])) if planted.any() else float("nan"),
        "ceiling_median_abs_error": (float(np.median(np.abs(estimate[estimated] - truth[estimated])))
                                     if estimated.any() else float("nan")),
        "ceiling_n_estimated": int(estimated.sum()),
    }


def add_ceiling_metrics(table: pd.DataFrame, voxel_tables: Sequence[pd.DataFrame],
                        min_ceilings: Sequence[float]) -> pd.DataFrame:
    """Add per fit `median_r_normalized` (median r / noise ceiling over the voxels whose ceiling is
    at least the fit's `min_ceilings` entry; NaN without) and `n_voxels_with_ceiling` (how many
    those are)."""
    metrics = [median_normalized_r(voxels, min_ceiling)
               for voxels, min_ceiling in zip(voxel_tables, min_ceilings, strict=True)]
    return table.assign(median_r_normalized=[median for median, _ in metrics],
                        n_voxels_with_ceiling=[count for _, count in metrics])


def summary_table(fits: Sequence[Mapping], summaries: Sequence[Mapping],
                  recovery: Sequence[Mapping] | None = None) -> pd.DataFrame:
    """Rows in the order of `fits` (each names its `FIT_KEYS`), columns the summary metrics."""
    rows = []
    for index, (fit, summary) in enumerate(zip(fits, summaries)):
        row = {**{key: fit[key] for key in FIT_KEYS if key in fit}, **summary}
        if recovery is not None:
            row.update(recovery[index])
        rows.append(row)
    table = pd.DataFrame(rows)
    table["layer"] = table["layer"].astype(int)
    return table


def comparison_set(voxel_tables: Sequence[pd.DataFrame]) -> np.ndarray:
    """Sorted ids of the voxels significant, and not constant, in any of the fits."""
    ids = [v["voxel"].to_numpy()[v["significant"].to_numpy(bool) & ~constant_mask(v)] for v in voxel_tables]
    return np.unique(np.concatenate(ids)) if ids else np.array([], dtype=int)


def mean_r_over(voxels: pd.DataFrame, ids: np.ndarray) -> float:
    """Mean r of a fit over the voxels in `ids`, its constant ones left out (NaN when none is left)."""
    kept = np.isin(voxels["voxel"].to_numpy(), ids) & ~constant_mask(voxels)
    return float(voxels["r"].to_numpy()[kept].mean()) if kept.any() else float("nan")


def add_comparison(table: pd.DataFrame, voxel_tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Add `n_compared_voxels` and `mean_r_compared`: the size of the subject's comparison set (the
    union of the voxels significant in any of its fits, `voxel_tables[i]` being row i's) and each
    fit's mean r over it."""
    subjects = table["subject"].to_numpy()
    n_compared = np.zeros(len(table), dtype=int)
    mean_r = np.full(len(table), np.nan)
    for subject in np.unique(subjects):
        rows = np.flatnonzero(subjects == subject)
        ids = comparison_set([voxel_tables[row] for row in rows])
        n_compared[rows] = len(ids)
        mean_r[rows] = [mean_r_over(voxel_tables[row], ids) for row in rows]
    return table.assign(n_compared_voxels=n_compared, mean_r_compared=mean_r)


def mark_best_layers(table: pd.DataFrame) -> pd.DataFrame:
    """Add `best_layer`: true for the layer with the highest `mean_r_compared` per (analysis x)
    subject x feature set (the lowest such layer on ties), and `best_layer_by`, the statistic that
    decided: `median_score` for a subject whose comparison set is empty."""
    by = np.where(table["n_compared_voxels"] > 0, "mean_r_compared", "median_score")
    rank = table["mean_r_compared"].where(by == "mean_r_compared", table["median_score"])
    ranked = table.assign(rank=rank.fillna(-np.inf)).sort_values("layer", kind="stable")
    best = ranked.groupby(model_keys(table))["rank"].idxmax()
    return table.assign(best_layer=table.index.isin(best.to_numpy()), best_layer_by=by)


def trimming_warnings(table: pd.DataFrame) -> list[str]:
    """One line per fit whose kept rows hold zero-padded delay blocks or blocks of TRs with no
    window (counts from its summary.json; the fit's log has them per story)."""
    flagged = table[(table["n_rows_zero_padded"] > 0) | (table["n_rows_without_windows"] > 0)]
    return [f"{fit_label(row)}: {row['n_rows_zero_padded']} kept rows hold zero-padded delay blocks "
            f"and {row['n_rows_without_windows']} a block of a TR with no window, in "
            f"{row['n_stories_with_warnings']} stories (README, Choosing trimming)"
            for row in flagged.to_dict("records")]
