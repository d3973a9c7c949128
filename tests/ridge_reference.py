"""Plain reference implementations of the ridge conventions (LeBel/Huth), written as loops.

Shared by the ridge and the encoding-model tests; nothing here calls the code under test.
"""

import numpy as np

ALPHAS = tuple(np.logspace(-2, 3, 9))

def ref_svd(x, singcutoff):
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    keep = s > singcutoff
    return u[:, keep], s[keep], vt[keep].T


def ref_score(pred, actual, use_corr):
    scores = np.zeros(actual.shape[1])
    for v in range(actual.shape[1]):
        p, a = pred[:, v], actual[:, v]
        if use_corr:
            if np.ptp(p) > 0 and np.ptp(a) > 0:
                scores[v] = np.corrcoef(p, a)[0, 1]
        else:
            ss_res = np.sum((a - p) ** 2)
            ss_tot = np.sum((a - a.mean()) ** 2)
            r2 = 1 - ss_res / ss_tot
            scores[v] = np.sign(r2) * np.sqrt(abs(r2))
    return scores


def ref_cv_scores(x, y, folds, alphas, singcutoff, normalpha, use_corr):
    total = np.zeros((len(alphas), y.shape[1]))
    for held_out in folds:
        train = [i for i in range(len(x)) if i not in set(held_out)]
        u, s, v = ref_svd(x[train], singcutoff)
        scale = s[0] if normalpha else 1.0
        for i, alpha in enumerate(alphas):
            a = alpha * scale
            w = v @ np.diag(s / (s ** 2 + a ** 2)) @ u.T @ y[train]
            total[i] += ref_score(x[held_out] @ w, y[held_out], use_corr)
    return total / len(folds)


TIE_TOLERANCE = 1e-5  # scores within this of the best (times max(1, |best|)) tie


def ref_choose(scores, alphas, single_alpha):
    if single_alpha:
        mean_scores = scores.mean(axis=1)[:, None]
        return np.full(scores.shape[1], ref_choose(mean_scores, alphas, False)[0])
    chosen = np.empty(scores.shape[1])
    for v in range(scores.shape[1]):
        best = max(scores[i, v] for i in range(len(alphas)))
        margin = TIE_TOLERANCE * max(1.0, abs(best))
        chosen[v] = max(alphas[i] for i in range(len(alphas)) if scores[i, v] >= best - margin)
    return chosen


def ref_predict(x_train, y_train, x_test, voxel_alphas, singcutoff, normalpha):
    u, s, v = ref_svd(x_train, singcutoff)
    scale = s[0] if normalpha else 1.0
    pred = np.zeros((len(x_test), y_train.shape[1]))
    for j, alpha in enumerate(voxel_alphas):
        a = alpha * scale
        w = v @ np.diag(s / (s ** 2 + a ** 2)) @ u.T @ y_train[:, j]
        pred[:, j] = x_test @ w
    return pred


def ref_folds(n_rows, n_folds, folding_type, chunk_length, seed):
    if folding_type == "kfold":
        return np.array_split(np.arange(n_rows), n_folds)
    n_chunks = n_rows // chunk_length
    chunks = [list(range(c * chunk_length, (c + 1) * chunk_length)) for c in range(n_chunks)]
    chunks[-1] += list(range(n_chunks * chunk_length, n_rows))
    order = np.random.default_rng(seed).permutation(n_chunks)
    k = n_chunks // n_folds
    bounds = [f * k for f in range(n_folds)] + [n_chunks]
    return [np.array(sorted(r for c in order[bounds[f]:bounds[f + 1]] for r in chunks[c]))
            for f in range(n_folds)]


def as_splits(folds, n_rows):
    """Validation folds -> (train rows, validation rows) pairs, training on all other rows."""
    return [(np.array([i for i in range(n_rows) if i not in set(fold)]), fold) for fold in folds]


def make_data(n_train, n_test, n_features, seed, n_voxels=6):
    rng = np.random.default_rng(seed)
    b = rng.normal(size=(n_features, n_voxels))
    noise = np.linspace(0.2, 5.0, n_voxels) * np.sqrt(n_features)  # voxels from easy to hard
    x_train = rng.normal(size=(n_train, n_features))
    x_test = rng.normal(size=(n_test, n_features))
    y_train = x_train @ b + noise * rng.normal(size=(n_train, n_voxels))
    y_test = x_test @ b + noise * rng.normal(size=(n_test, n_voxels))
    return x_train, y_train, x_test, y_test


SHAPES = {"n_gt_p": (60, 40, 8), "p_gt_n": (30, 20, 50)}


def ref_weights(x_train, y_train, voxel_alphas, singcutoff, normalpha):
    """Weights (n_features, n_voxels), one voxel at a time: V diag(s / (s^2 + a^2)) U^T y."""
    u, s, v = ref_svd(x_train, singcutoff)
    scale = s[0] if normalpha else 1.0
    weights = np.zeros((x_train.shape[1], y_train.shape[1]))
    for j, alpha in enumerate(voxel_alphas):
        a = alpha * scale
        weights[:, j] = v @ np.diag(s / (s ** 2 + a ** 2)) @ u.T @ y_train[:, j]
    return weights


def assert_best_within(chosen, alphas, scores, tolerance):
    """Each voxel's chosen alpha scores within `tolerance` of its best reference score (ties aside)."""
    alphas = list(alphas)
    for voxel, alpha in enumerate(chosen):
        best = scores[:, voxel].max()
        got = scores[alphas.index(alpha), voxel]
        assert got >= best - tolerance, (voxel, alpha, got, best)
