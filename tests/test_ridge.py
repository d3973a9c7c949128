import dataclasses

import numpy as np
import pytest
import torch
from conftest import ridge_settings
from ridge_reference import (
    ALPHAS,
    SHAPES,
    as_splits,
    assert_best_within,
    make_data,
    ref_choose,
    ref_cv_scores,
    ref_folds,
    ref_predict,
    ref_score,
    ref_svd,
    ref_weights,
)
from scipy import stats as sps

from speech_encoding.modelling import ridge
from speech_encoding.modelling.fit import fit_train_test
from speech_encoding.modelling.ridge import choose_alphas, decompose
from speech_encoding.modelling.voxelwise_ridge import VoxelwiseRidge

CPU = torch.device("cpu")
# float32 products against float64 loop references: scores and r agree to this absolute tolerance
SCORE_TOLERANCE = 1e-5


def search_scores(x, y, folds, alphas, singcutoff, normalpha, use_corr):
    model = VoxelwiseRidge(x, x[:1], as_splits(folds, len(x)), alphas, singcutoff, normalpha,
                           use_corr, CPU)
    return model.search(model.as_tensor(y))


def relative_error(got, expected):
    return np.abs(got - expected).max() / np.abs(expected).max()


def column_unit(a):
    """Each column divided by its norm (predictions are returned up to a per-column scale)."""
    return a / np.linalg.norm(a, axis=0)


# ---------- component tests ----------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("singcutoff", [1e-10, 1.0])
def test_decomposition_matches_svd(shape, singcutoff):
    x, _, _, _ = make_data(*SHAPES[shape], seed=5)
    x = x * np.linspace(0.01, 3.0, x.shape[1])  # a spread of singular values, some below 1.0
    u, s, v = ref_svd(x, singcutoff)
    decomposition = decompose(torch.as_tensor(x), singcutoff)
    np.testing.assert_allclose(np.sqrt(decomposition.eigenvalues.numpy()), s, rtol=1e-10)
    # R diag(1/s^2) C^T is the pseudo-inverse restricted to the kept components: V S^-1 U^T
    r, c = decomposition.weights_basis.double().numpy(), decomposition.targets_basis.double().numpy()
    pinv = r @ np.diag(1.0 / s ** 2) @ c.T
    assert relative_error(pinv, v @ np.diag(1.0 / s) @ u.T) < 1e-5


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("normalpha", [True, False])
@pytest.mark.parametrize("use_corr", [True, False])
def test_alpha_search_scores_match_reference(shape, normalpha, use_corr):
    x, y, _, _ = make_data(*SHAPES[shape], seed=0)
    folds = np.array_split(np.arange(len(x)), 4)
    scores = search_scores(x, y, folds, ALPHAS, 1e-10, normalpha, use_corr)
    expected = ref_cv_scores(x, y, folds, ALPHAS, 1e-10, normalpha, use_corr)
    np.testing.assert_allclose(scores, expected, atol=SCORE_TOLERANCE, rtol=0)


def test_alpha_search_drops_small_singular_values():
    x, y, _, _ = make_data(40, 1, 6, seed=1)
    x = x * np.array([10.0, 5.0, 2.0, 0.1, 0.05, 0.01])  # some singular values below the cutoff
    folds = np.array_split(np.arange(40), 3)
    scores = search_scores(x, y, folds, ALPHAS, 1.0, False, True)
    np.testing.assert_allclose(scores, ref_cv_scores(x, y, folds, ALPHAS, 1.0, False, True),
                               atol=SCORE_TOLERANCE, rtol=0)
    # and the cutoff matters: keeping every singular value gives different scores
    assert not np.allclose(scores, ref_cv_scores(x, y, folds, ALPHAS, 1e-10, False, True),
                           atol=1e-3)


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
def test_refit_predictions_and_weights_match_reference(shape, normalpha):
    x_train, y_train, x_test, _ = make_data(*SHAPES[shape], seed=3)
    voxel_alphas = np.array([ALPHAS[i] for i in (0, 4, 4, 8, 2, 0)])
    model = VoxelwiseRidge(x_train, x_test, [], ALPHAS, 1e-10, normalpha, True, CPU)
    predictions, weights = model.refit(model.as_tensor(y_train), voxel_alphas, with_weights=True)
    expected = ref_predict(x_train, y_train, x_test, voxel_alphas, 1e-10, normalpha)
    predictions = predictions.double().numpy()
    # each column up to a power of two
    ratio = np.linalg.norm(predictions, axis=0) / np.linalg.norm(expected, axis=0)
    np.testing.assert_allclose(np.log2(ratio), np.round(np.log2(ratio)), atol=1e-5)
    assert relative_error(column_unit(predictions), column_unit(expected)) < 1e-5
    expected_weights = ref_weights(x_train, y_train, voxel_alphas, 1e-10, normalpha)
    assert relative_error(weights.double().numpy(), expected_weights) < 1e-5


# Alpha grids far beyond s_max, and tiny alphas: the range the schema admits (1e30 at most).
EXTREME_GRIDS = {"up_to_1e14": np.logspace(-1, 14, 16), "1e-30_to_1e30": np.logspace(-30, 30, 13)}


@pytest.mark.parametrize("grid", EXTREME_GRIDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("normalpha", [True, False])
@pytest.mark.parametrize("use_corr", [True, False])
def test_extreme_alpha_grids_match_reference(grid, shape, normalpha, use_corr):
    alphas = EXTREME_GRIDS[grid]
    x, y, _, _ = make_data(*SHAPES[shape], seed=0)
    folds = np.array_split(np.arange(len(x)), 4)
    scores = search_scores(x, y, folds, alphas, 1e-10, normalpha, use_corr)
    expected = ref_cv_scores(x, y, folds, alphas, 1e-10, normalpha, use_corr)
    np.testing.assert_allclose(scores, expected, atol=SCORE_TOLERANCE, rtol=0)


@pytest.mark.parametrize("shape", SHAPES)
def test_refit_at_extreme_alphas_matches_reference(shape):
    x_train, y_train, x_test, _ = make_data(*SHAPES[shape], seed=3)
    voxel_alphas = np.array([1e-30, 1.0, 1e11, 1e12, 1e14, 1e30])
    model = VoxelwiseRidge(x_train, x_test, [], voxel_alphas, 1e-10, True, True, CPU)
    predictions, weights = model.refit(model.as_tensor(y_train), voxel_alphas, with_weights=True)
    expected = ref_predict(x_train, y_train, x_test, voxel_alphas, 1e-10, True)
    assert relative_error(column_unit(predictions.double().numpy()), column_unit(expected)) < 1e-5
    expected_weights = ref_weights(x_train, y_train, voxel_alphas, 1e-10, True)
    for voxel in range(5):  # to scale (1e30 x s_max: weights of ~1e-60 underflow float32 to 0)
        assert relative_error(weights.double().numpy()[:, voxel], expected_weights[:, voxel]) < 1e-5


def test_rounding_cannot_flip_the_choice_among_large_alphas():
    """Voxels whose best alphas are far above s_max: their scores agree to ~1e-9, below float32
    rounding (~1e-7), so without a tie tolerance the choice follows rounding (thread count,
    device); with it the largest alpha wins every time, as in the float64 reference."""
    alphas = EXTREME_GRIDS["up_to_1e14"]
    x, y, _, _ = make_data(*SHAPES["n_gt_p"], seed=0, n_voxels=20)
    folds = np.array_split(np.arange(len(x)), 4)
    expected_scores = ref_cv_scores(x, y, folds, alphas, 1e-10, True, True)
    expected = ref_choose(expected_scores, alphas, False)
    assert np.sum(expected == alphas.max()) >= 3  # the case exists: plateau voxels
    rng = np.random.default_rng(0)
    flips_without_tolerance = 0
    for _ in range(20):  # rounding-sized perturbations, as another thread count would give
        rounded = expected_scores + rng.uniform(-2e-7, 2e-7, expected_scores.shape)
        np.testing.assert_array_equal(choose_alphas(rounded, alphas, False), expected)
        flips_without_tolerance += np.sum(alphas[np.argmax(rounded, axis=0)] != expected)
    assert flips_without_tolerance > 0
    scores = search_scores(x, y, folds, alphas, 1e-10, True, True)
    np.testing.assert_array_equal(choose_alphas(scores, alphas, False), expected)


def test_ties_within_the_tolerance_go_to_the_larger_alpha():
    alphas = np.array([1.0, 10.0, 100.0])
    tolerance = ridge.TIE_TOLERANCE
    scores = np.array([[0.5, 0.5, -2.0], [0.5 - 0.9 * tolerance, 0.5 - 1.1 * tolerance, -2.0],
                       [0.0, 0.0, -2.0 - 1.5 * tolerance]])  # relative to max(1, |best|)
    np.testing.assert_array_equal(choose_alphas(scores, alphas, False), [10.0, 1.0, 100.0])
    np.testing.assert_array_equal(ref_choose(scores, alphas, False), [10.0, 1.0, 100.0])


# ---------- the whole train/test fit ----------

@pytest.mark.parametrize("shape, folding_type", [("n_gt_p", "kfold"), ("n_gt_p", "chunked"),
                                                 ("p_gt_n", "kfold"), ("p_gt_n", "chunked")])
@pytest.mark.parametrize("normalpha", [True, False])
@pytest.mark.parametrize("use_corr", [True, False])
@pytest.mark.parametrize("single_alpha", [False, True])
def test_fit_train_test_matches_reference(shape, folding_type, normalpha, use_corr, single_alpha):
    x_train, y_train, x_test, y_test = make_data(*SHAPES[shape], seed=4)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, folding_type=folding_type,
                             chunk_length=4, normalpha=normalpha, single_alpha=single_alpha,
                             use_corr=use_corr, alpha_fdr=0.05, singcutoff=1e-10, seed=0)
    result = fit_train_test(x_train, y_train, x_test, y_test, settings)

    folds = ref_folds(len(x_train), 3, folding_type, 4, 0)
    scores = ref_cv_scores(x_train, y_train, folds, ALPHAS, 1e-10, normalpha, use_corr)
    alphas = ref_choose(scores, ALPHAS, single_alpha)
    chosen = result["alpha"].to_numpy()
    if single_alpha:
        assert_best_within(chosen[:1], ALPHAS, scores.mean(axis=1, keepdims=True), SCORE_TOLERANCE)
    else:
        assert_best_within(chosen, ALPHAS, scores, SCORE_TOLERANCE)
    assert np.mean(chosen == alphas) >= 5 / 6  # near-ties aside, the very same alphas
    pred = ref_predict(x_train, y_train, x_test, chosen, 1e-10, normalpha)
    r = ref_score(pred, y_test, use_corr=True)
    p = np.array([sps.pearsonr(pred[:, v], y_test[:, v])[1] for v in range(y_test.shape[1])])
    q = sps.false_discovery_control(p, method="bh")

    assert list(result.columns) == ["voxel", "r", "p", "q", "significant", "alpha", "constant"]
    np.testing.assert_array_equal(result["voxel"], np.arange(6))
    np.testing.assert_allclose(result["r"], r, atol=SCORE_TOLERANCE, rtol=0)
    np.testing.assert_allclose(result["p"], p, rtol=1e-3)
    np.testing.assert_allclose(result["q"], q, rtol=1e-3)
    np.testing.assert_array_equal(result["significant"], q <= 0.05)


@pytest.mark.parametrize("single_alpha", [False, True])
@pytest.mark.parametrize("voxel_batch", [1, 4])
def test_voxel_batches_give_the_unbatched_fit(voxel_batch, single_alpha):
    x_train, y_train, x_test, y_test = make_data(*SHAPES["n_gt_p"], seed=6, n_voxels=9)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, folding_type="kfold",
                             single_alpha=single_alpha)
    whole = fit_train_test(x_train, y_train, x_test, y_test, settings)
    batched = fit_train_test(x_train, y_train, x_test, y_test,
                             dataclasses.replace(settings, voxel_batch=voxel_batch))
    np.testing.assert_array_equal(batched["alpha"], whole["alpha"])
    np.testing.assert_allclose(batched["r"], whole["r"], atol=1e-6, rtol=0)
