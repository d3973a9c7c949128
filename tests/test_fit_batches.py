"""Voxel batches, memory-mapped responses and weights.npy of the fit stage."""

import dataclasses

import numpy as np
import pytest
from conftest import ridge_settings, write_responses
from ridge_reference import ALPHAS, ref_choose, ref_cv_scores, ref_folds, ref_weights

from speech_encoding.data.responses import check_finite, load_responses, row_blocks
from speech_encoding.design_matrix.preprocess import prepare_features, prepare_responses
from speech_encoding.design_matrix.trimming import explicit_rows
from speech_encoding.errors import InputError
from speech_encoding.modelling.fit import fit_stories
from speech_encoding.modelling.memory_budget import (
    FIT_THREADS,
    SMALL_FIT_MB,
    auto_voxel_batch,
    bytes_per_voxel,
    fit_threads,
    working_memory_bytes,
)
from speech_encoding.modelling.weights_file import weights_writer

STORIES = {"a": "train", "b": "train", "c": "train", "t": "test"}
TRIMMING = {"train_features_start": 2, "train_targets_start": 2, "test_features_end": -1,
            "test_targets_end": -1}
ROWS = {story: explicit_rows(TRIMMING, split) for story, split in STORIES.items()}


def story_data(tmp_path, n_voxels=7, n_features=5):
    rng = np.random.default_rng(11)
    shapes = {story: (30 + 5 * i, n_voxels) for i, story in enumerate(STORIES)}
    write_responses(tmp_path, "s1", shapes, seed=3)
    features = {story: rng.normal(size=(shape[0], n_features)) for story, shape in shapes.items()}
    responses = {story: load_responses(tmp_path / "s1" / f"{story}.npy", "s1", story)
                 for story in STORIES}
    return features, responses


def test_auto_voxel_batch_fits_the_working_memory():
    per_voxel = bytes_per_voxel(n_rows=9000, n_features=1536, n_alphas=10, n_held_out=1800)
    assert auto_voxel_batch(95000, 9000, 1536, 10, 1800, 1000 * per_voxel + 5) == 1000
    assert auto_voxel_batch(95000, 9000, 1536, 10, 1800, 1) == 1
    assert auto_voxel_batch(300, 9000, 1536, 10, 1800, 10 ** 15) == 300
    assert working_memory_bytes(1000) <= 500 * 2 ** 20


def test_small_fits_take_one_thread_and_others_the_rules_threads():
    assert SMALL_FIT_MB == 16 and FIT_THREADS == 8
    assert fit_threads(0) == fit_threads(15.99) == 1
    assert fit_threads(16) == fit_threads(3500) == 8


def test_responses_are_memory_mapped_and_checked_block_by_block(tmp_path):
    write_responses(tmp_path, "s1", {"x": (50, 4)})
    data = load_responses(tmp_path / "s1" / "x.npy", "s1", "x")
    assert isinstance(data, np.memmap) and data.dtype == np.float32
    blocks = row_blocks(50, row_bytes=16, block_bytes=16 * 7)
    assert [b.start for b in blocks] == list(range(0, 50, 7)) and blocks[-1].stop == 50
    bad = np.zeros((3, 4))
    bad[1, 2] = np.nan
    with pytest.raises(InputError, match=r"1 NaN/inf value\(s\), first at \(row 41, voxel 2\)"):
        check_finite(bad, "x.npy", first_row=40)


@pytest.mark.parametrize("mode", ["train_test", "nested_cv"])
def test_tiny_batches_from_memory_mapped_files_give_the_single_batch_fit(tmp_path, mode):
    features, responses = story_data(tmp_path)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, n_outer_folds=2, chunk_length=5,
                             mode=mode, normalize_targets=True, fold_gap=0)  # too few rows for a gap
    whole, summary = fit_stories(features, responses, STORIES, ROWS, settings, "s1")
    batched, _ = fit_stories(features, responses, STORIES, ROWS, settings, "s1",
                             working_bytes=1)  # the working set of one voxel at a time
    in_memory = {story: np.array(data, dtype=np.float64) for story, data in responses.items()}
    copied, _ = fit_stories(features, in_memory, STORIES, ROWS,
                            dataclasses.replace(settings, voxel_batch=3), "s1")
    for table in (batched, copied):
        np.testing.assert_array_equal(table["alpha"], whole["alpha"])
        np.testing.assert_allclose(table["r"], whole["r"], atol=1e-6, rtol=0)
    assert summary["n_voxels"] == 7


def test_weights_file_holds_the_refit_weights_in_documented_order(tmp_path):
    features, responses = story_data(tmp_path)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, chunk_length=5, voxel_batch=2)
    path = tmp_path / "weights.npy"
    with weights_writer(path) as open_weights:
        voxels, _ = fit_stories(features, responses, STORIES, ROWS, settings, "s1",
                                weights_out=open_weights)
    weights = np.load(path)
    assert weights.dtype == np.float32 and weights.shape == (5, 7)
    train = [story for story, split in STORIES.items() if split == "train"]
    x = np.vstack([prepare_features(features[s], ROWS[s].features) for s in train])
    y = np.vstack([prepare_responses(responses[s], ROWS[s].targets) for s in train])
    scores = ref_cv_scores(x, y, ref_folds(len(x), 3, "chunked", 5, 0), ALPHAS, 1e-10, True, True)
    np.testing.assert_array_equal(voxels["alpha"], ref_choose(scores, ALPHAS, False))
    expected = ref_weights(x, y, voxels["alpha"].to_numpy(), 1e-10, True)
    assert np.abs(weights - expected).max() <= 1e-5 * np.abs(expected).max()
    assert list(tmp_path.glob(".weights.npy.*")) == []


def test_nested_cv_weights_have_one_slice_per_outer_fold(tmp_path):
    features, responses = story_data(tmp_path)
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, n_outer_folds=2, chunk_length=5,
                             mode="nested_cv", fold_gap=0)  # too few rows for a gap
    with weights_writer(tmp_path / "weights.npy") as open_weights:
        fit_stories(features, responses, STORIES, ROWS, settings, "s1", weights_out=open_weights)
    weights = np.load(tmp_path / "weights.npy")
    assert weights.shape == (2, 5, 7) and np.all(np.abs(weights).sum(axis=1) > 0)


def test_a_failed_fit_leaves_no_weights_file(tmp_path):
    features, responses = story_data(tmp_path)
    features["b"] = features["b"][:3]  # misaligned with its responses
    settings = ridge_settings(alphas=ALPHAS, n_inner_folds=3, chunk_length=5)
    with pytest.raises(InputError, match="story 'b'"):
        with weights_writer(tmp_path / "weights.npy") as open_weights:
            fit_stories(features, responses, STORIES, ROWS, settings, "s1",
                        weights_out=open_weights)
    assert list(tmp_path.glob("*weights*")) == []


def test_ridge_device_cuda_without_a_gpu_is_an_error_naming_the_key(monkeypatch):
    import torch

    from speech_encoding.run.devices import resolve_device
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto", "ridge.device") == "cpu"
    with pytest.raises(InputError, match=r"ridge.device is 'cuda' but no CUDA device"):
        resolve_device("cuda", "ridge.device")
    with pytest.raises(InputError, match=r"ridge.device: unknown device 'tpu'"):
        resolve_device("tpu", "ridge.device")
