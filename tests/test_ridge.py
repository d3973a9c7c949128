import numpy as np
import pytest
from scipy import stats as sps

from speech_encoding.encoding_model import fit_train_test
from speech_encoding.ridge import choose_alphas, cross_validated_scores, predict_per_voxel_alpha
from speech_encoding.settings import RidgeSettings

ALPHAS = tuple(np.logspace(-2, 3, 9))


# ---------- plain reference (LeBel/Huth conventions) ----------

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


def ref_choose(scores, alphas, single_alpha):
    if single_alpha:
        mean_scores = scores.mean(axis=1)[:, None]
        return np.full(scores.shape[1], ref_choose(mean_scores, alphas, False)[0])
    chosen = np.empty(scores.shape[1])
    for v in range(scores.shape[1]):
        best_i = 0
        for i in range(1, len(alphas)):
            if scores[i, v] > scores[best_i, v] or (
                    scores[i, v] == scores[best_i, v] and alphas[i] > alphas[best_i]):
                best_i = i
        chosen[v] = alphas[best_i]
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


# ---------- component tests ----------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("normalpha", [True, False])
@pytest.mark.parametrize("use_corr", [True, False])
def test_cross_validated_scores_match_reference(shape, normalpha, use_corr):
    x, y, _, _ = make_data(*SHAPES[shape], seed=0)
    folds = np.array_split(np.arange(len(x)), 4)
    alphas = np.array(ALPHAS)
    scores = cross_validated_scores(x, y, folds, alphas, 1e-10, normalpha, use_corr)
    expected = ref_cv_scores(x, y, folds, alphas, 1e-10, normalpha, use_corr)
    np.testing.assert_allclose(scores, expected, atol=1e-8)


def test_cross_validated_scores_drop_small_singular_values():
    x, y, _, _ = make_data(40, 1, 6, seed=1)
    x = x * np.array([10.0, 5.0, 2.0, 0.1, 0.05, 0.01])  # some singular values below the cutoff
    folds = np.array_split(np.arange(40), 3)
    alphas = np.array(ALPHAS)
    scores = cross_validated_scores(x, y, folds, alphas, 1.0, False, True)
    np.testing.assert_allclose(scores, ref_cv_scores(x, y, folds, alphas, 1.0, False, True),
                               atol=1e-8)
    # and the cutoff matters: keeping every singular value gives different scores
    assert not np.allclose(scores, ref_cv_scores(x, y, folds, alphas, 1e-10, False, True),
                           atol=1e-6)


@pytest.mark.parametrize("single_alpha", [False, True])
def test_choose_alphas_matches_reference(single_alpha):
    scores = np.random.default_rng(2).normal(size=(len(ALPHAS), 7))
    chosen = choose_alphas(scores, np.array(ALPHAS), single_alpha)
    np.testing.assert_array_equal(chosen, ref_choose(scores, ALPHAS, single_alpha))


def test_choose_alphas_ties_go_to_larger_alpha():
    alphas = np.array([10.0, 0.1, 1.0, 100.0])  # deliberately unsorted
    scores = np.array([
        [0.5, 0.2, 0.1],   # alpha 10
        [0.5, 0.2, 0.0],   # alpha 0.1
        [0.3, 0.2, 0.9],   # alpha 1
        [0.1, 0.2, 0.3],   # alpha 100
    ])
    np.testing.assert_array_equal(choose_alphas(scores, alphas, False), [10.0, 100.0, 1.0])
    np.testing.assert_array_equal(ref_choose(scores, alphas, False), [10.0, 100.0, 1.0])
    # row means: alpha 10 -> 0.8/3, alpha 0.1 -> 0.7/3, alpha 1 -> 1.4/3, alpha 100 -> 0.6/3
    tied = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [1.0, 1.0]])  # alpha 0.1/100 tie at 1
    np.testing.assert_array_equal(choose_alphas(tied, alphas, True), [100.0, 100.0])


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("normalpha", [True, False])
def test_predict_per_voxel_alpha_matches_reference(shape, normalpha):
    x_train, y_train, x_test, _ = make_data(*SHAPES[shape], seed=3)
    voxel_alphas = np.array([ALPHAS[i] for i in (0, 4, 4, 8, 2, 0)])
    pred = predict_per_voxel_alpha(x_train, y_train, x_test, voxel_alphas, 1e-10, normalpha)
    expected = ref_predict(x_train, y_train, x_test, voxel_alphas, 1e-10, normalpha)
    np.testing.assert_allclose(pred, expected, atol=1e-8)


# ---------- the whole train/test fit ----------

@pytest.mark.parametrize("shape, folding_type", [("n_gt_p", "kfold"), ("n_gt_p", "chunked"),
                                                 ("p_gt_n", "kfold"), ("p_gt_n", "chunked")])
@pytest.mark.parametrize("normalpha", [True, False])
@pytest.mark.parametrize("use_corr", [True, False])
@pytest.mark.parametrize("single_alpha", [False, True])
def test_fit_train_test_matches_reference(shape, folding_type, normalpha, use_corr, single_alpha):
    x_train, y_train, x_test, y_test = make_data(*SHAPES[shape], seed=4)
    settings = RidgeSettings(alphas=ALPHAS, n_inner_folds=3, folding_type=folding_type,
                             chunk_length=4, normalpha=normalpha, single_alpha=single_alpha,
                             use_corr=use_corr, alpha_fdr=0.05, singcutoff=1e-10, seed=0)
    result = fit_train_test(x_train, y_train, x_test, y_test, settings)

    folds = ref_folds(len(x_train), 3, folding_type, 4, 0)
    scores = ref_cv_scores(x_train, y_train, folds, ALPHAS, 1e-10, normalpha, use_corr)
    alphas = ref_choose(scores, ALPHAS, single_alpha)
    pred = ref_predict(x_train, y_train, x_test, alphas, 1e-10, normalpha)
    r = ref_score(pred, y_test, use_corr=True)
    p = np.array([sps.pearsonr(pred[:, v], y_test[:, v])[1] for v in range(y_test.shape[1])])
    q = sps.false_discovery_control(p, method="bh")

    assert list(result.columns) == ["voxel", "r", "p", "q", "significant", "alpha"]
    np.testing.assert_array_equal(result["voxel"], np.arange(6))
    np.testing.assert_array_equal(result["alpha"], alphas)
    np.testing.assert_allclose(result["r"], r, atol=1e-8)
    np.testing.assert_allclose(result["p"], p, atol=1e-8)
    np.testing.assert_allclose(result["q"], q, atol=1e-8)
    np.testing.assert_array_equal(result["significant"], q <= 0.05)
