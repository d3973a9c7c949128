"""Per-voxel-alpha ridge over batches of voxels: inner-CV alpha search, then one refit.

Each training matrix (one per inner fold, plus all training rows for the refit) is decomposed once;
the responses then flow through in voxel batches, so memory is bounded by the data plus a working
set proportional to the batch, whatever the number of voxels.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from .ridge import (
    COMPUTE_DTYPE,
    Decomposition,
    alpha_scores,
    apply_alphas,
    choose_alphas,
    decompose,
    effective_alphas,
    project_targets,
)
from .significance import PValues
from .stats import column_correlation

log = logging.getLogger(__name__)

# (voxel slice) -> (training responses, test responses) of those voxels, rows as in x_train/x_test
TargetBatches = Callable[[slice], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class FoldBasis:
    """A decomposed training matrix, the training rows it uses, and X_out R for the rows it predicts."""

    train_rows: torch.Tensor | None  # None: every row
    out_rows: torch.Tensor | None
    decomposition: Decomposition
    out_basis: torch.Tensor


def fold_basis(x_train: torch.Tensor, x_out: torch.Tensor, singcutoff: float,
               train_rows: torch.Tensor | None = None,
               out_rows: torch.Tensor | None = None) -> FoldBasis:
    """Decompose `x_train` and project `x_out` onto its weights basis.

    Parameters
    ----------
    x_train : torch.Tensor
        (n_train, n_features) training rows (float64 in `VoxelwiseRidge`).
    x_out : torch.Tensor
        (n_out, n_features) rows to predict, on the same device.
    singcutoff : float
    train_rows, out_rows : torch.Tensor, optional
        (n_train,) and (n_out,) int64 indices of those rows in the responses (None: every row).

    Returns
    -------
    FoldBasis
        With out_basis (n_out, k) float32.
    """
    decomposition = decompose(x_train, singcutoff)
    out_basis = x_out.to(COMPUTE_DTYPE) @ decomposition.weights_basis
    return FoldBasis(train_rows, out_rows, decomposition, out_basis)


def select_rows(y: torch.Tensor, rows: torch.Tensor | None) -> torch.Tensor:
    """`y[rows]`, or `y` itself for every row.

    Parameters
    ----------
    y : torch.Tensor
        (n_rows, n_voxels) responses.
    rows : torch.Tensor or None
        (m,) int64 row indices, on the device of `y`.

    Returns
    -------
    torch.Tensor
        (m, n_voxels) (or `y` itself), same dtype as `y`.
    """
    return y if rows is None else y.index_select(0, rows)


class VoxelwiseRidge:
    """Alpha search by inner CV on the training rows, then a refit on all of them.

    Parameters
    ----------
    x_train : np.ndarray
        (n_train, n_features) training design matrix (copied to `device` as float64).
    x_test : np.ndarray
        (n_test, n_features) design matrix of the rows to predict.
    splits : sequence of (np.ndarray, np.ndarray)
        Inner folds: int arrays of training and validation row indices into x_train.
    alphas : sequence of float
        (n_alphas,) candidate alphas.
    singcutoff : float
    normalpha : bool
    use_corr : bool
    device : str or torch.device
    """

    def __init__(self, x_train: np.ndarray, x_test: np.ndarray,
                 splits: Sequence[tuple[np.ndarray, np.ndarray]], alphas: Sequence[float],
                 singcutoff: float, normalpha: bool, use_corr: bool, device: str | torch.device):
        self.alphas = np.asarray(alphas, dtype=np.float64)
        self.normalpha, self.use_corr = normalpha, use_corr
        self.device = torch.device(device)
        x = torch.as_tensor(np.asarray(x_train, dtype=np.float64), device=self.device)
        self.folds = []
        for train, held_out in splits:
            train_rows = torch.as_tensor(train, device=self.device)
            out_rows = torch.as_tensor(held_out, device=self.device)
            self.folds.append(fold_basis(x.index_select(0, train_rows), x.index_select(0, out_rows),
                                         singcutoff, train_rows, out_rows))
        x_test = torch.as_tensor(np.asarray(x_test, dtype=np.float64), device=self.device)
        self.full = fold_basis(x, x_test, singcutoff)

    def as_tensor(self, y: np.ndarray) -> torch.Tensor:
        """Responses as float32 on the model's device.

        Parameters
        ----------
        y : np.ndarray
            (n_rows, n_voxels) responses, any real dtype.

        Returns
        -------
        torch.Tensor
            (n_rows, n_voxels) float32.
        """
        return torch.as_tensor(np.asarray(y), device=self.device).to(COMPUTE_DTYPE)

    def search(self, y_train: torch.Tensor) -> np.ndarray:
        """Scores of every alpha averaged over the inner folds, (n_alphas, n_voxels) float64.

        Parameters
        ----------
        y_train : torch.Tensor
            (n_train, n_voxels) float32 training responses (`as_tensor`).

        Returns
        -------
        np.ndarray
            (n_alphas, n_voxels) float64.
        """
        total = np.zeros((len(self.alphas), y_train.shape[1]))
        for fold in self.folds:
            projected = project_targets(fold.decomposition, select_rows(y_train, fold.train_rows))
            total += alpha_scores(fold.out_basis, fold.decomposition.eigenvalues, projected,
                                  select_rows(y_train, fold.out_rows),
                                  effective_alphas(self.alphas, fold.decomposition, self.normalpha),
                                  self.use_corr)
        return total / len(self.folds)

    def refit(self, y_train: torch.Tensor, voxel_alphas: np.ndarray, with_weights: bool = False
              ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Test predictions (n_test, n_voxels) with each voxel's alpha, each column up to a power of two
        (correlation ignores it), and optionally the weights (to scale)."""
        decomposition = self.full.decomposition
        projected = project_targets(decomposition, y_train)
        applied = effective_alphas(voxel_alphas, decomposition, self.normalpha)
        predictions = apply_alphas(self.full.out_basis, decomposition.eigenvalues, projected, applied,
                                   to_scale=False)
        weights = (apply_alphas(decomposition.weights_basis, decomposition.eigenvalues, projected,
                                applied, to_scale=True) if with_weights else None)
        return predictions, weights


def voxel_slices(n_voxels: int, voxel_batch: int) -> list[slice]:
    """Consecutive voxel slices of at most `voxel_batch` voxels."""
    return [slice(start, min(start + voxel_batch, n_voxels))
            for start in range(0, n_voxels, voxel_batch)]


class VoxelScores(NamedTuple):
    """Per voxel, (n_voxels,) arrays: test r, its p-value, the chosen alpha, and whether the
    voxel's training or test responses are constant (its r is then 0 and p 1, meaning nothing)."""

    r: np.ndarray
    p: np.ndarray
    alphas: np.ndarray
    constant: np.ndarray


def constant_columns(*blocks: np.ndarray) -> np.ndarray:
    """(n_columns,) bool: the column is constant over the rows of any of the (n_rows, n_columns)
    blocks."""
    return np.any([np.ptp(np.asarray(block), axis=0) == 0 for block in blocks], axis=0)


def fit_voxel_batches(model: VoxelwiseRidge, targets: TargetBatches, n_voxels: int,
                      voxel_batch: int, single_alpha: bool, pvalues: PValues,
                      weights_out: np.ndarray | None = None) -> VoxelScores:
    """Search, choose and refit batch by batch; return test r, p, alpha and constancy per voxel.

    Per-voxel alphas need one pass over the responses; `single_alpha` needs two (every voxel's
    scores before the choice). `weights_out`, when given, receives the (n_features, n_voxels)
    weights.

    Parameters
    ----------
    model : VoxelwiseRidge
    targets : TargetBatches
        `targets(voxels)` gives the (n_train, n_batch) training and (n_test, n_batch) test
        responses of a slice of voxels.
    n_voxels : int
    voxel_batch : int
        Voxels per batch.
    single_alpha : bool
    pvalues : PValues
        A batch's p-values from its test predictions, responses and r.
    weights_out : np.ndarray, optional
        (n_features, n_voxels) array (float32 in the pipeline), filled batch by batch.

    Returns
    -------
    VoxelScores
        r and p (float64), alphas (float64, before normalpha scaling) and constant (bool).
    """
    batches = voxel_slices(n_voxels, voxel_batch)
    voxel_alphas = np.empty(n_voxels)
    if single_alpha:
        scores = np.concatenate([model.search(model.as_tensor(targets(voxels)[0]))
                                 for voxels in batches], axis=1)
        voxel_alphas[:] = choose_alphas(scores, model.alphas, single_alpha=True)
    r, p, constant = np.empty(n_voxels), np.empty(n_voxels), np.empty(n_voxels, dtype=bool)
    started = time.perf_counter()
    for index, voxels in enumerate(batches):
        y_train, y_test = targets(voxels)
        constant[voxels] = constant_columns(y_train, y_test)
        y_train = model.as_tensor(y_train)
        if not single_alpha:
            voxel_alphas[voxels] = choose_alphas(model.search(y_train), model.alphas, False)
        predictions, weights = model.refit(y_train, voxel_alphas[voxels], weights_out is not None)
        predictions, y_test = predictions.double().cpu().numpy(), np.asarray(y_test)
        r[voxels] = column_correlation(predictions, y_test)
        p[voxels] = pvalues(predictions, y_test, r[voxels])
        if weights_out is not None:
            weights_out[:, voxels] = weights.cpu().numpy()
        elapsed = time.perf_counter() - started
        log.info("voxel batch %d/%d (voxels %d-%d of %d): %.1f s, %.0f voxels/s", index + 1,
                 len(batches), voxels.start, voxels.stop - 1, n_voxels, elapsed,
                 voxels.stop / max(elapsed, 1e-9))
    return VoxelScores(r, p, voxel_alphas, constant)
