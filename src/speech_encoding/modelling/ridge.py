"""Ridge regression through one eigendecomposition per training matrix, all alphas at once.

Conventions (LeBel/Huth ridge): singular values s of the training matrix X at or below
`singcutoff` are dropped; with `normalpha` the alphas are multiplied by the largest singular
value; the shrinkage of singular value s is s / (s**2 + alpha**2), so the weights are
W = V diag(s / (s^2 + alpha^2)) U^T Y.

The singular values and vectors come from the float64 eigendecomposition of the Gram matrix X^T X
(p x p) when n >= p, or of the kernel X X^T (n x n) when p > n; components whose eigenvalue is
numerically zero in that matrix (below n_max * eps * largest) are dropped as well. Both forms are
written as W = R diag(1 / (s^2 + alpha^2)) C^T Y with (R, C) = (V, X V) or (X^T U, U), which
needs no division by s. The projection C^T Y is computed once and shared by every alpha; the
products run in float32 on the tensors' device, scores are returned in float64.

Range: each alpha's gains 1/(s^2 + alpha^2) are computed in float64 and passed to float32 divided
by a power of two, 2^e, that brings the largest to [0.5, 1). A power of two changes no mantissa, so
wherever the unscaled float32 products neither overflow nor underflow they are the same bits times
2^-e; where they would underflow (alpha far above s_max: from about 1e11 x s_max, scores were too
high, and 0 from 1e12 on) the scaled ones do not. Correlations are scale-free and use the scaled
products as they are; R^2 and the weights multiply the scale back.

Ties: alphas whose scores are within `TIE_TOLERANCE` (relative to the score scale, max(1, |best|))
of the best count as tied, and the largest of them wins. Float32 rounding moves scores by about
1e-7, so a choice between alphas whose true scores differ by less than that (alphas far above
s_max, which give the same prediction up to scale) is no longer decided by rounding or thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

COMPUTE_DTYPE = torch.float32
# Alpha scores within this much of the best (times max(1, |best|)) tie; the largest alpha wins.
TIE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class Decomposition:
    """A training matrix ready for any alpha: W(alpha) = R diag(1/(s^2 + alpha^2)) C^T Y."""

    weights_basis: torch.Tensor  # R, (n_features, k)
    targets_basis: torch.Tensor  # C, (n_rows, k)
    eigenvalues: torch.Tensor  # s^2, (k,), float64, descending

    @property
    def largest_singular_value(self) -> float:
        """s_max, the normalpha scale (1.0 when every component was dropped)."""
        return float(self.eigenvalues[0].sqrt()) if len(self.eigenvalues) else 1.0


def kept_components(eigenvalues: torch.Tensor, singcutoff: float, size: int) -> torch.Tensor:
    """Mask of eigenvalues whose singular value exceeds `singcutoff` and the numerical floor.

    Parameters
    ----------
    eigenvalues : torch.Tensor
        (m,) float64 eigenvalues s^2 of the Gram or kernel matrix.
    singcutoff : float
    size : int
        max(n_rows, n_features), which scales the floor (size * eps * largest eigenvalue).

    Returns
    -------
    torch.Tensor
        (m,) bool, on the device of `eigenvalues`.
    """
    floor = float(eigenvalues.max().clamp(min=0)) * size * torch.finfo(torch.float64).eps
    return (eigenvalues > floor) & (eigenvalues.clamp(min=0).sqrt() > singcutoff)


def decompose(x: torch.Tensor, singcutoff: float) -> Decomposition:
    """Decompose a training matrix (n_rows, n_features) through its Gram or kernel matrix.

    Parameters
    ----------
    x : torch.Tensor
        (n_rows, n_features) training design matrix, any float dtype (decomposed in float64).
    singcutoff : float
        Singular values at or below it are dropped.

    Returns
    -------
    Decomposition
        weights_basis (n_features, k) and targets_basis (n_rows, k) float32, eigenvalues (k,)
        float64 descending, on the device of `x`; k <= min(n_rows, n_features) kept components.
    """
    x64 = x.to(torch.float64)
    n_rows, n_features = x64.shape
    primal = n_rows >= n_features
    eigenvalues, vectors = torch.linalg.eigh(x64.T @ x64 if primal else x64 @ x64.T)
    eigenvalues, vectors = eigenvalues.flip(0), vectors.flip(1)
    keep = kept_components(eigenvalues, singcutoff, max(n_rows, n_features))
    eigenvalues, vectors = eigenvalues[keep], vectors[:, keep].to(COMPUTE_DTYPE)
    x32 = x.to(COMPUTE_DTYPE)
    weights_basis, targets_basis = (vectors, x32 @ vectors) if primal else (x32.T @ vectors, vectors)
    return Decomposition(weights_basis, targets_basis, eigenvalues)


def effective_alphas(alphas: np.ndarray, decomposition: Decomposition, normalpha: bool) -> np.ndarray:
    """Alphas as applied: scaled by the largest singular value when `normalpha`.

    Parameters
    ----------
    alphas : np.ndarray
        (n_alphas,) or (n_voxels,) alphas, any shape.
    decomposition : Decomposition
    normalpha : bool

    Returns
    -------
    np.ndarray
        Same shape as `alphas`, float64.
    """
    scale = decomposition.largest_singular_value if normalpha else 1.0
    return np.asarray(alphas, dtype=np.float64) * scale


def gains(eigenvalues: torch.Tensor, alphas: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """1 / (s^2 + alpha^2) for every alpha and component, as float32 gains times a power of two.

    Parameters
    ----------
    eigenvalues : torch.Tensor
        (k,) float64 s^2.
    alphas : np.ndarray
        (n_alphas,) effective alphas.

    Returns
    -------
    scaled : torch.Tensor
        (n_alphas, k) float32, each row's largest in [0.5, 1) (rows of an empty k: empty).
    scale : torch.Tensor
        (n_alphas,) float64 powers of two: the gains are `scaled * scale[:, None]`.
    """
    squared = torch.as_tensor(np.asarray(alphas, dtype=np.float64) ** 2, device=eigenvalues.device)
    exact = 1.0 / (eigenvalues[None, :] + squared[:, None])
    largest = exact.max(dim=1).values if exact.shape[1] else torch.ones_like(squared)
    exponent = torch.frexp(largest).exponent
    scale = torch.ldexp(torch.ones_like(largest), exponent)
    return torch.ldexp(exact, -exponent[:, None]).to(COMPUTE_DTYPE), scale


def project_targets(decomposition: Decomposition, y_train: torch.Tensor) -> torch.Tensor:
    """C^T Y, (k, n_voxels): the only product of the responses with the training matrix.

    Parameters
    ----------
    decomposition : Decomposition
        Of the (n_rows, n_features) training matrix.
    y_train : torch.Tensor
        (n_rows, n_voxels) float32 training responses, on the decomposition's device.

    Returns
    -------
    torch.Tensor
        (k, n_voxels) float32.
    """
    return decomposition.targets_basis.T @ y_train


def alpha_scores(out_basis: torch.Tensor, eigenvalues: torch.Tensor, projected: torch.Tensor,
                 y_out: torch.Tensor, alphas: np.ndarray, use_corr: bool) -> np.ndarray:
    """Score of every (effective) alpha on every voxel of `y_out`, (n_alphas, n_voxels) float64.

    `out_basis` is X_out R for the rows being predicted. Pearson r when `use_corr`, else
    sign(R^2) sqrt(|R^2|); 0 where a column is constant.

    Parameters
    ----------
    out_basis : torch.Tensor
        (n_out, k) float32 X_out R.
    eigenvalues : torch.Tensor
        (k,) float64 eigenvalues s^2 of the decomposition.
    projected : torch.Tensor
        (k, n_voxels) float32 C^T Y of the training responses (`project_targets`).
    y_out : torch.Tensor
        (n_out, n_voxels) float32 responses of the predicted rows.
    alphas : np.ndarray
        (n_alphas,) effective alphas (`effective_alphas`).
    use_corr : bool

    Returns
    -------
    np.ndarray
        (n_alphas, n_voxels) float64 scores in [-1, 1] (r) or <= 1 (signed sqrt of R^2).
    """
    alpha_gains, scale = gains(eigenvalues, alphas)
    if use_corr:
        centred_basis = out_basis - out_basis.mean(dim=0)
        centred_y = y_out - y_out.mean(dim=0)
        predictions = (centred_basis[None, :, :] * alpha_gains[:, None, :]) @ projected
        spread = torch.linalg.vector_norm(predictions, dim=1).double()
        cross = (alpha_gains @ ((centred_basis.T @ centred_y) * projected)).double()
        norm = spread * torch.linalg.vector_norm(centred_y, dim=0).double()
        scores = torch.where(norm > 0, cross / norm.clamp(min=torch.finfo(torch.float64).tiny), 0.0)
        return scores.clamp(-1.0, 1.0).cpu().numpy()
    predictions = (out_basis[None, :, :] * alpha_gains[:, None, :]) @ projected
    predictions *= scale.to(COMPUTE_DTYPE)[:, None, None]
    residual = torch.linalg.vector_norm(predictions - y_out, dim=1).double() ** 2
    total = torch.linalg.vector_norm(y_out - y_out.mean(dim=0), dim=0).double() ** 2
    r2 = torch.where(total > 0, 1.0 - residual / total.clamp(min=torch.finfo(torch.float64).tiny), 0.0)
    return (r2.sign() * r2.abs().sqrt()).cpu().numpy()


def apply_alphas(basis: torch.Tensor, eigenvalues: torch.Tensor, projected: torch.Tensor,
                 voxel_alphas: np.ndarray, to_scale: bool) -> torch.Tensor:
    """basis diag(1/(s^2 + alpha_v^2)) C^T y_v for each voxel v, one product per distinct alpha.

    With basis X_out R this is the prediction of X_out; with R it is the weights.

    Parameters
    ----------
    basis : torch.Tensor
        (n, k) X_out R or R.
    eigenvalues : torch.Tensor
        (k,) s^2.
    projected : torch.Tensor
        (k, n_voxels) C^T Y.
    voxel_alphas : np.ndarray
        (n_voxels,) effective alpha of each voxel.
    to_scale : bool
        True: the products themselves (weights); False: each voxel's column divided by a power of
        two (see `gains`), which correlation ignores and which cannot underflow.

    Returns
    -------
    torch.Tensor
        (n, n_voxels) float32.
    """
    result = torch.empty((basis.shape[0], projected.shape[1]), dtype=COMPUTE_DTYPE,
                         device=basis.device)
    voxel_alphas = np.asarray(voxel_alphas, dtype=np.float64)
    for alpha in np.unique(voxel_alphas):
        voxels = torch.as_tensor(np.flatnonzero(voxel_alphas == alpha), device=basis.device)
        alpha_gains, scale = gains(eigenvalues, np.array([alpha]))
        columns = (basis * alpha_gains) @ projected[:, voxels]
        result[:, voxels] = columns * scale.to(COMPUTE_DTYPE) if to_scale else columns
    return result


def choose_alphas(scores: np.ndarray, alphas: np.ndarray, single_alpha: bool) -> np.ndarray:
    """Best alpha per voxel (or one best-on-average alpha for all), ties to the larger alpha.

    Parameters
    ----------
    scores : np.ndarray
        (n_alphas, n_voxels) mean inner-fold scores.
    alphas : np.ndarray
        (n_alphas,) the grid, in any order.
    single_alpha : bool
        Choose on the mean score over voxels, one alpha for all.

    Returns
    -------
    np.ndarray
        (n_voxels,) the largest alpha whose score is within `TIE_TOLERANCE * max(1, |best|)` of
        the best.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    if single_alpha:
        return np.full(scores.shape[1], choose_alphas(scores.mean(axis=1)[:, None], alphas, False)[0])
    best = scores.max(axis=0)
    tied = scores >= best - TIE_TOLERANCE * np.maximum(1.0, np.abs(best))
    return np.where(tied, alphas[:, None], -np.inf).max(axis=0)
