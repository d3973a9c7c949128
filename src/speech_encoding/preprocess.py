"""Per-story preparation of a design matrix and responses: trim, z-score, NaN to zero."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .trimming import trim_slice


def zscore_columns(data: np.ndarray) -> np.ndarray:
    """Z-score each column (ddof 0); a constant column is only demeaned."""
    data = np.asarray(data, dtype=np.float64)
    centred = data - data.mean(axis=0)
    std = centred.std(axis=0)
    return centred / np.where(std > 0, std, 1.0)


def prepare_story(features: np.ndarray, responses: np.ndarray, split: str,
                  trimming: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Trim features and responses for `split`, z-score both column-wise, zero NaN in features."""
    x = np.asarray(features, dtype=np.float64)[trim_slice(trimming, split, "features")]
    y = np.asarray(responses, dtype=np.float64)[trim_slice(trimming, split, "targets")]
    return np.nan_to_num(zscore_columns(x), nan=0.0, posinf=0.0, neginf=0.0), zscore_columns(y)
