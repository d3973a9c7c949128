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


def ref_chunked_folds(n_rows, n_folds, chunk_length, order, remainder="spread"):
    """Each fold's chunks (lists of rows), chunks dealt in `order`, by the definition in
    ridge.fold_remainder's documentation. `last` (the tutorial's): chunk_length-row chunks, the
    trailing rows joining the last chunk; n_chunks // n_folds chunks per fold, the last fold taking
    the leftover chunks. `spread`: the leftover chunks go one each to the first folds, and the
    leftover rows one at a time, in turn, to the folds with the fewest chunks, within such a fold to
    its chunks (in time order) in turn."""
    n_chunks = max(n_rows // chunk_length, 1)
    counts = [n_chunks // n_folds] * n_folds
    for extra in range(n_chunks % n_folds):
        counts[extra if remainder == "spread" else -1] += 1
    fold_of, position = {}, 0
    for fold, count in enumerate(counts):
        for _ in range(count):
            fold_of[order[position]] = fold
            position += 1
    sizes = [chunk_length] * n_chunks
    leftover = n_rows - n_chunks * chunk_length
    if remainder == "last":
        sizes[-1] += leftover
    else:
        short = [fold for fold in range(n_folds) if counts[fold] == min(counts)]
        for i in range(leftover):
            fold = short[i % len(short)]
            its_chunks = [c for c in range(n_chunks) if fold_of[c] == fold]
            sizes[its_chunks[(i // len(short)) % len(its_chunks)]] += 1
    chunks, start = [], 0
    for size in sizes:
        chunks.append(list(range(start, start + size)))
        start += size
    folds, position = [], 0
    for count in counts:
        folds.append([chunks[c] for c in order[position:position + count]])
        position += count
    return folds


def ref_folds(n_rows, n_folds, folding_type, chunk_length, seed, remainder="spread"):
    """Validation rows of each fold: kfold, or chunked (chunks shuffled with `seed`)."""
    if folding_type == "kfold":
        return np.array_split(np.arange(n_rows), n_folds)
    order = list(np.random.default_rng(seed).permutation(max(n_rows // chunk_length, 1)))
    return [np.array(sorted(row for chunk in fold for row in chunk))
            for fold in ref_chunked_folds(n_rows, n_folds, chunk_length, order, remainder)]


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
