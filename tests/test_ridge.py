import numpy as np
import pytest
from scipy import stats as sps

from speech_encoding.encoding_model import fit_train_test
from speech_encoding.ridge import choose_alphas, cross_validated_scores, predict_per_voxel_alpha
from speech_encoding.settings import RidgeSettings

from ridge_reference import (ALPHAS, SHAPES, as_splits, make_data, ref_choose, ref_cv_scores,
                             ref_score,
                             ref_folds, ref_predict)



# ---------- component tests ----------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("normalpha", [True, False])
@pytest.mark.parametrize("use_corr", [True, False])
def test_cross_validated_scores_match_reference(shape, normalpha, use_corr):
    x, y, _, _ = make_data(*SHAPES[shape], seed=0)
    folds = np.array_split(np.arange(len(x)), 4)
    alphas = np.array(ALPHAS)
    scores = cross_validated_scores(x, y, as_splits(folds, len(x)), alphas, 1e-10, normalpha, use_corr)
    expected = ref_cv_scores(x, y, folds, alphas, 1e-10, normalpha, use_corr)
    np.testing.assert_allclose(scores, expected, atol=1e-8)


def test_cross_validated_scores_drop_small_singular_values():
    x, y, _, _ = make_data(40, 1, 6, seed=1)
    x = x * np.array([10.0, 5.0, 2.0, 0.1, 0.05, 0.01])  # some singular values below the cutoff
    folds = np.array_split(np.arange(40), 3)
    alphas = np.array(ALPHAS)
    scores = cross_validated_scores(x, y, as_splits(folds, len(x)), alphas, 1.0, False, True)
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
