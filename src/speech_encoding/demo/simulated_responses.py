"""Simulated encoding data with known truth, for checking the calibration of significance tests.

Features are smooth (AR(1) per column, rho 0.9 unless asked otherwise) and FIR-delayed (1-4 TRs),
as the pipeline's are; responses are AR(1) noise along TRs plus, in planted voxels, a random linear
read-out of the features scaled to a chosen effect size (signal std / noise std).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..design_matrix.delays import stack_delays

FEATURE_RHO = 0.9
N_FEATURES = 8
DELAYS = (1, 2, 3, 4)


def ar1(n_rows: int, n_columns: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """(n_rows, n_columns) stationary unit-variance AR(1) series along rows, independent columns."""
    noise = rng.normal(size=(n_rows, n_columns))
    out = np.empty_like(noise)
    out[0] = noise[0]
    for t in range(1, n_rows):
        out[t] = rho * out[t - 1] + np.sqrt(1 - rho ** 2) * noise[t]
    return out


def simulate_stories(noise_rho: float, effects: Sequence[float], n_stories: int, n_rows: int,
                     seed: int, feature_rho: float = FEATURE_RHO
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Delayed features and responses of `n_stories` stories named s0, s1, ...

    Parameters
    ----------
    noise_rho : float
        Lag-1 autocorrelation of the noise along TRs (independent across voxels and stories).
    effects : sequence of float
        Per voxel, signal std / noise std (0: no signal). A voxel's read-out is the same in every
        story.
    n_stories, n_rows : int
    seed : int
    feature_rho : float
        Lag-1 autocorrelation of each feature column before the delays (how smooth features,
        hence predictions, are).

    Returns
    -------
    features : dict of str to np.ndarray
        Per story, (n_rows, 32) delayed features.
    responses : dict of str to np.ndarray
        Per story, (n_rows, len(effects)) responses.
    """
    rng = np.random.default_rng(seed)
    effects = np.asarray(effects, dtype=np.float64)
    readout = rng.normal(size=(N_FEATURES * len(DELAYS), len(effects)))
    features, responses = {}, {}
    for story in range(n_stories):
        x = stack_delays(ar1(n_rows, N_FEATURES, feature_rho, rng), list(DELAYS), False)
        signal = x @ readout
        signal /= signal.std(axis=0)
        features[f"s{story}"] = x
        responses[f"s{story}"] = effects * signal + ar1(n_rows, len(effects), noise_rho, rng)
    return features, responses
