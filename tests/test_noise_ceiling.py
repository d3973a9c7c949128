"""Noise ceilings: the estimators against plain loops, their unbiasedness on seeded simulations
with known signal and noise variances (equal and unequal noise across repeats), voxel batches,
pooling over stories, and the repeats files' checks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from speech_encoding.data.repeats import check_repeats_shapes, find_repeats, load_repeats
from speech_encoding.errors import InputError
from speech_encoding.modelling.noise_ceiling import (
    ceiling_statistics,
    median_normalized_r,
    pooled_ceiling,
    story_ceiling,
    with_ceiling,
)


def loop_statistics(repeats):
    """Plain loops over voxels, repeats and rows, following the definitions."""
    n_repeats, n_rows, n_voxels = repeats.shape
    out = {"signal_power": [], "mean_variance": [], "explainable_variance": [], "noise_ceiling": []}
    for v in range(n_voxels):
        mean = [sum(repeats[k, t, v] for k in range(n_repeats)) / n_repeats for t in range(n_rows)]
        mean_of_mean = sum(mean) / n_rows
        var_mean = sum((m - mean_of_mean) ** 2 for m in mean) / n_rows
        variances = []
        for k in range(n_repeats):
            centre = sum(repeats[k, :, v]) / n_rows
            variances.append(sum((repeats[k, t, v] - centre) ** 2 for t in range(n_rows)) / n_rows)
        repeat_var = sum(variances) / n_repeats
        signal = (n_repeats * var_mean - repeat_var) / (n_repeats - 1)
        out["signal_power"].append(signal)
        out["mean_variance"].append(var_mean)
        out["explainable_variance"].append(signal / repeat_var if repeat_var > 0 else math.nan)
        out["noise_ceiling"].append(math.sqrt(min(signal / var_mean, 1.0))
                                    if signal > 0 and var_mean > 0 else math.nan)
    return {key: np.array(value) for key, value in out.items()}


def simulate_repeats(n_repeats, n_rows, n_voxels, signal_sd, noise_sds, seed):
    """Repeats = a fixed signal per voxel + independent noise of known sd per repeat."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=(n_rows, n_voxels)) * signal_sd
    noise = rng.normal(size=(n_repeats, n_rows, n_voxels)) * np.asarray(noise_sds)[:, None, None]
    return signal[None] + noise, signal


def test_statistics_match_the_loops():
    repeats, _ = simulate_repeats(3, 17, 9, np.linspace(0, 1.5, 9), [1.0, 0.5, 2.0], seed=0)
    repeats[:, :, 4] = 2.5  # a constant voxel: no ceiling, no explainable variance
    got, want = ceiling_statistics(repeats), loop_statistics(repeats)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-12, equal_nan=True, err_msg=key)
    assert np.isnan(got["noise_ceiling"][4]) and np.isnan(got["explainable_variance"][4])  # constant
    assert np.isfinite(got["noise_ceiling"][-3:]).all()


@pytest.mark.parametrize("noise_sds", [[1.0] * 4, [0.5, 1.0, 2.0, 3.0]], ids=["equal", "unequal"])
def test_signal_power_is_unbiased_and_the_ceiling_is_the_true_one(noise_sds):
    # 6,000 voxels, 4 repeats of 60 rows. The estimate minus the voxel's true signal power (its
    # signal's variance over the rows) has mean 0 whatever each repeat's noise level; the
    # tolerance is 4 standard errors of that mean, from the simulation's own spread.
    n_repeats, n_rows, n_voxels = 4, 60, 6000
    signal_sd = np.repeat([0.3, 0.6, 1.0], n_voxels // 3)
    repeats, signal = simulate_repeats(n_repeats, n_rows, n_voxels, signal_sd, noise_sds, seed=1)
    got = ceiling_statistics(repeats)
    error = got["signal_power"] - signal.var(axis=0)
    assert abs(error.mean()) <= 4 * error.std() / np.sqrt(n_voxels), error.mean()
    # the estimator differs from a naive one: var(mean) alone is biased upwards by the noise
    naive_error = repeats.mean(axis=0).var(axis=0) - signal.var(axis=0)
    assert naive_error.mean() > 10 * error.std() / np.sqrt(n_voxels)
    # CC_max against the ceiling computed from the known parts, sqrt(var(s) / var(mean)), where
    # the signal is strong enough that the estimate is rarely undefined (weak voxels' estimates
    # are often <= 0 and NaN, so their median says nothing): within 0.03 in median
    true_ceiling = np.sqrt(signal.var(axis=0) / repeats.mean(axis=0).var(axis=0))
    for level in (0.6, 1.0):
        voxels = signal_sd == level
        estimate = got["noise_ceiling"][voxels]
        assert np.isfinite(estimate).mean() > 0.9
        diff = np.nanmedian(estimate) - np.median(true_ceiling[voxels])
        assert abs(diff) < 0.03, (level, diff)


def test_story_ceiling_uses_the_rows_and_gives_the_same_table_in_any_voxel_batches(monkeypatch):
    repeats, _ = simulate_repeats(3, 40, 25, 0.8, [1.0, 1.0, 1.0], seed=2)
    table = story_ceiling(repeats, slice(5, 35))
    want = loop_statistics(repeats[:, 5:35])
    np.testing.assert_allclose(table["noise_ceiling"], want["noise_ceiling"], rtol=1e-10, equal_nan=True)
    assert list(table["voxel"]) == list(range(25)) and set(table["n_rows"]) == {30}
    assert set(table["n_repeats"]) == {3}
    monkeypatch.setattr("speech_encoding.modelling.noise_ceiling.voxel_batches",
                        lambda n, per_voxel: [slice(i, min(i + 4, n)) for i in range(0, n, 4)])
    pd.testing.assert_frame_equal(story_ceiling(repeats, slice(5, 35)), table)


def test_pooled_ceiling_is_the_row_weighted_signal_share():
    a = pd.DataFrame({"n_rows": 30, "signal_power": [0.5, -0.1, 0.0], "mean_variance": [1.0, 1.0, 0.0]})
    b = pd.DataFrame({"n_rows": 10, "signal_power": [2.0, 0.4, -1.0], "mean_variance": [4.0, 2.0, 1.0]})
    want = [math.sqrt((30 * 0.5 + 10 * 0.5) / 40), math.sqrt((30 * 0 + 10 * 0.2) / 40), math.nan]
    np.testing.assert_allclose(pooled_ceiling([a, b]), want, equal_nan=True)
    np.testing.assert_allclose(pooled_ceiling([a]), [math.sqrt(0.5), math.nan, math.nan], equal_nan=True)


def test_normalised_r_and_its_median():
    voxels = pd.DataFrame({"voxel": range(5), "r": [0.2, 0.1, -0.05, 0.3, 0.4],
                           "constant": [False, False, False, False, True]})
    out = with_ceiling(voxels, np.array([0.4, np.nan, 0.1, 0.6, 0.8]))
    np.testing.assert_allclose(out["r_normalized"], [0.5, np.nan, -0.5, 0.5, 0.5], equal_nan=True)
    assert median_normalized_r(out, 0.2) == (0.5, 2)  # the constant voxel and low ceilings excluded
    assert median_normalized_r(out, 0.05) == (0.5, 3)
    median, count = median_normalized_r(out, 0.9)
    assert math.isnan(median) and count == 0
    none = with_ceiling(voxels, None)
    assert none["noise_ceiling"].isna().all() and none["r_normalized"].isna().all()
    assert list(none.columns[:3]) == ["voxel", "r", "constant"]


# ---------- the repeats files ----------

def write(path, array):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return path


def test_find_repeats_names_unknown_subjects_and_stories(tmp_path):
    write(tmp_path / "s1" / "test.npy", np.zeros((2, 5, 3)))
    found = find_repeats(tmp_path, ["s1", "s2"], ["a", "test"])
    assert found == {("s1", "test"): tmp_path / "s1" / "test.npy"}
    write(tmp_path / "s3" / "test.npy", np.zeros((2, 5, 3)))  # a subject with responses, not fitted
    assert find_repeats(tmp_path, ["s1", "s2"], ["a", "test"], ["s1", "s2", "s3"]) == found
    write(tmp_path / "s9" / "test.npy", np.zeros((2, 5, 3)))
    write(tmp_path / "s1" / "nosuch.npy", np.zeros((2, 5, 3)))
    with pytest.raises(InputError) as error:
        find_repeats(tmp_path, ["s1", "s2"], ["a", "test"])
    message = str(error.value)
    assert "subject 's9'" in message and "nosuch.npy" in message and "dataset.repeats" in message
    with pytest.raises(InputError, match="repeats folder not found.*dataset.repeats"):
        find_repeats(tmp_path / "missing", ["s1"], ["a"])


def test_repeats_shapes_are_checked_against_the_responses(tmp_path):
    files = {("s1", "a"): write(tmp_path / "a.npy", np.zeros((1, 5, 3))),
             ("s1", "b"): write(tmp_path / "b.npy", np.zeros((3, 6, 3))),
             ("s1", "c"): write(tmp_path / "c.npy", np.zeros((5, 3))),
             ("s1", "d"): write(tmp_path / "d.npy", np.zeros((2, 5, 3)))}
    shapes = {("s1", story): (5, 3) for story in "abcd"}
    with pytest.raises(InputError) as error:
        check_repeats_shapes(files, shapes)
    message = str(error.value)
    assert "story 'a'" in message and "1 repeat(s); a ceiling needs at least 2" in message
    assert "story 'b'" in message and "(3, 6, 3)" in message and "(5, 3)" in message
    assert "story 'c'" in message and "must be 3-D" in message
    assert "story 'd'" not in message
    check_repeats_shapes({("s1", "d"): files[("s1", "d")]}, shapes)


def test_load_repeats_refuses_nan_and_names_the_repeat(tmp_path):
    data = np.zeros((3, 4, 2), dtype=np.float32)
    data[2, 1, 1] = np.nan
    path = write(tmp_path / "x.npy", data)
    with pytest.raises(InputError, match=r"subject 's1', story 'x'.*repeat 2: 1 NaN/inf.*row 1, voxel 1"):
        load_repeats(path, "s1", "x")
    data[2, 1, 1] = 0
    write(tmp_path / "x.npy", data)
    assert load_repeats(path, "s1", "x").shape == (3, 4, 2)


def test_planning_names_a_repeats_file_whose_shape_is_not_the_responses(tmp_path):
    from speech_encoding.data.manifest import Story
    from speech_encoding.run.plan import GeneratedInputs, plan_ceilings, repeats_files

    stories = [Story(name=name, audio=tmp_path / f"{name}.wav", tr=2.0, n_trs=12, split=split)
               for name, split in (("a", "train"), ("t", "test"))]
    for story in ("a", "t"):
        write(tmp_path / "responses" / "s1" / f"{story}.npy", np.zeros((12, 3)))
    dataset = {"responses": str(tmp_path / "responses"), "repeats": str(tmp_path / "repeats")}
    write(tmp_path / "repeats" / "s1" / "t.npy", np.zeros((2, 12, 4)))
    with pytest.raises(InputError, match=r"subject 's1', story 't'.*\(2, 12, 4\).*\(12, 3\)"):
        repeats_files(dataset, ["s1"], stories, GeneratedInputs())
    write(tmp_path / "repeats" / "s1" / "t.npy", np.zeros((2, 12, 3)))
    found = repeats_files(dataset, ["s1"], stories, GeneratedInputs())
    assert found == {("s1", "t"): (str(tmp_path / "repeats" / "s1" / "t.npy"), 12)}
    assert repeats_files({**dataset, "repeats": None}, ["s1"], stories, GeneratedInputs()) == {}

    class Rows:  # the planned rows of a story: responses rows 2..11 scored
        def __init__(self):
            from speech_encoding.design_matrix.trimming import StoryRows
            self.rows = StoryRows(slice(2, None), slice(2, 11))

    plan = plan_ceilings(found, ["s1"], stories, {"fs": {"a": Rows(), "t": Rows()}}, "test")
    ceiling, = plan[("s1", "fs")]
    assert (ceiling.story, ceiling.start, ceiling.stop) == ("t", 2, 11)
    assert ceiling.path("results") == "results/ceilings/s1/t/rows2-11.parquet"
    # in nested CV every story is scored (all in the train split), only those with repeats get one
    nested = [dataclasses.replace(story, split="train") for story in stories]
    plan = plan_ceilings(found, ["s1"], nested, {"fs": {"a": Rows(), "t": Rows()}}, "train")
    assert [c.story for c in plan[("s1", "fs")]] == ["t"]
