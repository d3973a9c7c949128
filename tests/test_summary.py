"""Summary metrics, demo recovery and atomic writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from speech_encoding.modelling.scores import score_summary
from speech_encoding.report import plots
from speech_encoding.report.summary import (
    FIT_KEYS,
    add_comparison,
    fit_label,
    mark_best_layers,
    recovery_metrics,
    summary_table,
    trimming_warnings,
)
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


def named(fits) -> list[dict]:
    """Fits as the summarize rule passes them: (analysis,) subject, feature_set, layer by name."""
    keys = ("subject", "feature_set", "layer") if len(fits[0]) == 3 else FIT_KEYS
    return [dict(zip(keys, fit, strict=True)) for fit in fits]


def test_summary_table_rows_follow_the_fits():
    fits = [["s1", "fs", 0], ["s1", "fs", 1]]
    table = summary_table(named(fits), [{"median_score": 0.1}, {"median_score": 0.2}],
                          [{"recall": 1.0}, {"recall": 0.5}])
    assert table.to_dict("records") == [
        {"subject": "s1", "feature_set": "fs", "layer": 0, "median_score": 0.1, "recall": 1.0},
        {"subject": "s1", "feature_set": "fs", "layer": 1, "median_score": 0.2, "recall": 0.5}]


def voxel_table(r, significant, constant=None) -> pd.DataFrame:
    """A fit's voxels.parquet as the fit writes it (p, q and alpha do not matter here)."""
    n = len(r)
    constant = np.zeros(n, bool) if constant is None else np.asarray(constant, bool)
    return pd.DataFrame({"voxel": np.arange(n), "r": np.asarray(r, float), "p": 0.5, "q": 0.5,
                         "significant": np.asarray(significant, bool), "alpha": 1.0,
                         "constant": constant})


def compared_table(fits, tables) -> pd.DataFrame:
    """The summarize script's table: summaries, comparison statistic, best layers."""
    summaries = [score_summary(table) for table in tables]
    return mark_best_layers(add_comparison(summary_table(named(fits), summaries), tables))


@pytest.fixture
def trial_like():
    """As on the trial data: A has signal in 10% of voxels (significant there) and r near 0
    elsewhere; B has no signal and no significant voxel, but a higher r over all voxels. A and B are
    two feature sets, and again two layers of one feature set."""
    rng = np.random.default_rng(0)
    n = 1000
    driven = np.arange(n) < n // 10
    signal = np.where(driven, 0.3, 0.0) + rng.normal(0.0, 0.02, n)
    no_signal = 0.05 + rng.normal(0.0, 0.02, n)
    a, b = voxel_table(signal, driven), voxel_table(no_signal, np.zeros(n, bool))
    fits = [["s1", "A", 0], ["s1", "B", 0], ["s2", "C", 0], ["s2", "C", 1]]
    return compared_table(fits, [a, b, a, b])


def test_a_feature_set_with_higher_median_r_but_no_signal_loses(trial_like):
    by_fit = trial_like.set_index(["subject", "feature_set", "layer"])
    a, b = by_fit.loc[("s1", "A", 0)], by_fit.loc[("s1", "B", 0)]
    assert b["median_score"] > a["median_score"]  # median r over all voxels favours B ...
    assert a["mean_r_compared"] > b["mean_r_compared"]  # ... the comparison statistic does not
    assert a["n_significant"] == 100 and b["n_significant"] == 0
    assert a["percent_significant"] == pytest.approx(10.0) and b["percent_significant"] == 0.0
    assert (trial_like["n_compared_voxels"] == 100).all()
    layers = by_fit.loc[("s2", "C")]
    assert layers.loc[1, "median_score"] > layers.loc[0, "median_score"]
    assert layers["best_layer"].tolist() == [True, False]
    assert (trial_like["best_layer_by"] == "mean_r_compared").all()


def test_mean_r_compared_against_a_loop_over_voxels():
    """Per subject, the union of the voxels significant and not constant in any fit; each fit's
    mean r over those of them that are not constant in it."""
    rng = np.random.default_rng(1)
    n = 40
    fits = [["s1", "A", 0], ["s1", "A", 1], ["s1", "B", 0], ["s2", "A", 0]]
    tables = [voxel_table(rng.normal(0.1, 0.2, n), rng.random(n) < 0.15, rng.random(n) < 0.1)
              for _ in fits]
    table = add_comparison(summary_table(named(fits), [{"median_score": 0.0}] * len(fits)), tables)
    for row, (subject, _, _) in enumerate(fits):
        compared = set()
        for other, (other_subject, _, _) in enumerate(fits):
            for v in range(n):
                if (other_subject == subject and tables[other]["significant"][v]
                        and not tables[other]["constant"][v]):
                    compared.add(v)
        r = [tables[row]["r"][v] for v in compared if not tables[row]["constant"][v]]
        assert table["n_compared_voxels"][row] == len(compared)
        assert table["mean_r_compared"][row] == pytest.approx(sum(r) / len(r))
    assert table["n_compared_voxels"][0] != table["n_compared_voxels"][3]  # per subject


def test_constant_voxels_stay_out_of_the_comparison():
    # voxel 0 is flagged significant but constant in fit A (it should not be; such a flag is
    # ignored) and constant in B: not in the set. Voxel 2 is in the set (significant in A) but
    # constant in B: left out of B's mean only.
    a = voxel_table([0.9, 0.4, 0.3], [True, True, True], [True, False, False])
    b = voxel_table([0.9, 0.1, 0.8], [False, False, False], [True, False, True])
    table = compared_table([["s1", "A", 0], ["s1", "B", 0]], [a, b])
    assert table["n_compared_voxels"].tolist() == [2, 2]
    assert table["mean_r_compared"].tolist() == pytest.approx([0.35, 0.1])


def test_best_layer_falls_back_to_median_r_where_nothing_is_significant():
    # s1 has no significant voxel: its layers are ranked by median r; s2 by mean_r_compared
    low, high = voxel_table([0.1, 0.1, 0.1], [False] * 3), voxel_table([0.2, 0.2, 0.2], [False] * 3)
    signal = voxel_table([0.5, 0.0, 0.0], [True, False, False])
    fits = [["s1", "A", 0], ["s1", "A", 1], ["s2", "A", 0], ["s2", "A", 1]]
    table = compared_table(fits, [low, high, signal, high])
    assert table["n_compared_voxels"].tolist() == [0, 0, 1, 1]
    assert table["mean_r_compared"][:2].isna().all()
    assert table["best_layer"].tolist() == [False, True, True, False]
    assert table["best_layer_by"].tolist() == ["median_score"] * 2 + ["mean_r_compared"] * 2


def test_ties_go_to_the_lowest_layer():
    same = voxel_table([0.3, 0.0], [True, False])
    table = compared_table([["s1", "A", 2], ["s1", "A", 0], ["s1", "A", 1]], [same] * 3)
    assert table.loc[table["best_layer"], "layer"].tolist() == [0]


def test_the_comparison_plots_name_their_statistic(trial_like, monkeypatch, tmp_path):
    plots.plot_median_r_by_layer(trial_like, tmp_path / "by_layer.png")
    plots.plot_best_layers(trial_like, tmp_path / "best.png")
    assert (tmp_path / "by_layer.png").stat().st_size > 0 and (tmp_path / "best.png").stat().st_size > 0
    figures = []
    monkeypatch.setattr(plots, "save_figure", lambda figure, path: figures.append(figure))
    plots.plot_median_r_by_layer(trial_like, tmp_path / "unused.png")
    plots.plot_best_layers(trial_like, tmp_path / "unused.png")
    by_layer, best = (figure.get_axes() for figure in figures)
    for axes in (by_layer[0], best[0]):
        label = axes.get_ylabel().replace("\n", " ")
        assert "mean r" in label and "significant in any fit" in label
        assert "median" not in label
    # the by-layer figure's first panel plots mean_r_compared, its second median r over all voxels
    first_line = by_layer[0].get_lines()[0].get_ydata()
    assert first_line[0] == pytest.approx(trial_like["mean_r_compared"].iloc[0])
    assert "median r over all voxels" in by_layer[1].get_ylabel()
    # one bar per feature set and subject, empty (0) where the subject lacks the feature set
    heights = sorted(bar.get_height() for bar in best[0].patches if bar.get_height() != 0)
    best_rows = trial_like[trial_like["best_layer"]]
    assert heights == pytest.approx(sorted(best_rows["mean_r_compared"]))


def test_fits_keeping_rows_without_features_are_named_in_the_summary_log():
    table = pd.DataFrame({"subject": ["s1", "s1", "s2"], "feature_set": ["f", "f", "f"],
                          "layer": [0, 1, 0], "n_rows_zero_padded": [0, 4, 0],
                          "n_rows_without_windows": [0, 0, 7], "n_stories_with_warnings": [0, 1, 3]})
    lines = trimming_warnings(table)
    assert len(lines) == 2
    assert lines[0].startswith("s1 / f / layer 1: 4 kept rows hold zero-padded")
    assert "in 1 stories" in lines[0]
    assert lines[1].startswith("s2 / f / layer 0: 0 kept rows") and "7 a block of a TR" in lines[1]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "x.npy"
    save_npy(target, np.arange(3))
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    np.testing.assert_array_equal(np.load(target), np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]


def test_analyses_are_compared_on_one_voxel_set_and_get_a_best_layer_each():
    """With analyses: the comparison set is the subject's union over every analysis; the best layer
    is chosen per analysis, subject and feature set."""
    n = 50
    driven = np.arange(n) < 10
    good = voxel_table(np.where(driven, 0.4, 0.0), driven)
    weak = voxel_table(np.where(driven, 0.2, 0.0), np.zeros(n, bool))
    fits = [["a", "s1", "A", 0], ["a", "s1", "A", 1], ["b", "s1", "A", 0], ["b", "s1", "A", 1]]
    table = compared_table(fits, [weak, good, good, weak])
    assert list(table.columns[:4]) == list(FIT_KEYS)
    assert (table["n_compared_voxels"] == 10).all()  # b's layer 0 and a's layer 1 are one union
    assert table["mean_r_compared"].tolist() == pytest.approx([0.2, 0.4, 0.4, 0.2])
    best = table[table["best_layer"]].set_index("analysis")["layer"].to_dict()
    assert best == {"a": 1, "b": 0}
    assert fit_label(table.iloc[2]) == "b / s1 / A / layer 0"
    assert fit_label({"subject": "s1", "feature_set": "A", "layer": 3}) == "s1 / A / layer 3"
