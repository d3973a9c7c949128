"""Summary metrics, demo recovery and atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from speech_encoding.modelling.scores import score_summary
from speech_encoding.report.summary import recovery_metrics, summary_table
from speech_encoding.run.atomic_io import atomic_path, save_npy


@pytest.fixture
def voxels():
    r = np.array([0.6, 0.5, -0.1, 0.05, 0.4, 0.0])
    significant = np.array([True, True, False, False, True, False])
    return pd.DataFrame({"voxel": np.arange(6), "r": r, "significant": significant,
                         "alpha": [1.0, 10.0, 10.0, 100.0, 1.0, 10.0]})


def test_recovery_against_counting(voxels):
    """Four driven voxels, three significant, two of them driven: precision 2/3, recall 2/4."""
    driven = [0, 1, 3, 5]
    metrics = recovery_metrics(voxels, driven)
    significant = [v for v in range(len(voxels)) if voxels["significant"][v]]
    hits = [v for v in significant if v in driven]
    assert len(significant) != len(driven)  # so swapped formulas give other numbers
    assert metrics["precision"] == pytest.approx(len(hits) / len(significant))
    assert metrics["recall"] == pytest.approx(len(hits) / len(driven))
    assert metrics["median_r_driven"] == pytest.approx((0.05 + 0.5) / 2)
    assert metrics["median_r_other"] == pytest.approx((-0.1 + 0.4) / 2)
    nothing = recovery_metrics(voxels.assign(significant=False), driven)
    assert nothing["precision"] == 0.0 and nothing["recall"] == 0.0


def test_score_summary(voxels):
    summary = score_summary(voxels)
    assert summary["median_score"] == pytest.approx((0.05 + 0.4) / 2)
    assert summary["n_significant"] == 3 and summary["percent_significant"] == pytest.approx(50.0)
    assert summary["median_significant_score"] == pytest.approx(0.5)
    assert summary["min_significant_score"] == pytest.approx(0.4)
    assert summary["median_alpha"] == pytest.approx(10.0)
    assert score_summary(voxels.assign(significant=False))["mean_significant_score"] == 0.0


def test_constant_voxels_are_counted_and_left_out_of_every_statistic(voxels):
    # voxels 2 and 5 constant: the statistics are those of voxels 0, 1, 3, 4 only
    flagged = voxels.assign(constant=[False, False, True, False, False, True])
    summary = score_summary(flagged)
    kept = [0.6, 0.5, 0.05, 0.4]
    assert summary["n_voxels"] == 6 and summary["n_constant_voxels"] == 2
    assert summary["median_score"] == pytest.approx(np.median(kept))
    assert summary["mean_score"] == pytest.approx(np.mean(kept))
    assert summary["std_score"] == pytest.approx(np.std(kept))
    assert summary["min_score"] == pytest.approx(0.05)
    assert summary["percent_significant"] == pytest.approx(75.0)
    assert summary["median_alpha"] == pytest.approx(np.median([1.0, 10.0, 100.0, 1.0]))
    assert score_summary(voxels)["n_constant_voxels"] == 0
    everything = score_summary(voxels.assign(constant=True))
    assert everything["median_score"] == 0.0 and everything["percent_significant"] == 0.0


def test_summary_table_rows_follow_the_fits():
    fits = [["s1", "fs", 0], ["s1", "fs", 1]]
    table = summary_table(fits, [{"median_score": 0.1}, {"median_score": 0.2}],
                          [{"recall": 1.0}, {"recall": 0.5}])
    assert table.to_dict("records") == [
        {"subject": "s1", "feature_set": "fs", "layer": 0, "median_score": 0.1, "recall": 1.0},
        {"subject": "s1", "feature_set": "fs", "layer": 1, "median_score": 0.2, "recall": 0.5}]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.npy"
    save_npy(target, np.arange(3))
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    np.testing.assert_array_equal(np.load(target), np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]
