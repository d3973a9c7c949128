"""The run's summary table: one row per subject x feature set x layer, plus demo recovery."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

FIT_KEYS = ("subject", "feature_set", "layer")


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


def summary_table(fits: Sequence[Sequence], summaries: Sequence[Mapping],
                  recovery: Sequence[Mapping] | None = None) -> pd.DataFrame:
    """Rows in the order of `fits` (subject, feature_set, layer), columns the summary metrics."""
    rows = []
    for index, (fit, summary) in enumerate(zip(fits, summaries)):
        row = {**dict(zip(FIT_KEYS, fit)), **summary}
        if recovery is not None:
            row.update(recovery[index])
        rows.append(row)
    table = pd.DataFrame(rows)
    table["layer"] = table["layer"].astype(int)
    return table


def mark_best_layers(table: pd.DataFrame) -> pd.DataFrame:
    """Add `best_layer`: true for the layer with the highest median r per subject x feature set
    (the lowest such layer on ties)."""
    best = table.sort_values("layer").groupby(["subject", "feature_set"])["median_score"].idxmax()
    return table.assign(best_layer=table.index.isin(best.to_numpy()))
