"""Named analyses: how their settings merge with the top level, sweeps, the folder names that make
equal settings share files, the errors that name an analysis, and the summary's record and
retirement. The workflow runs with analyses are in tests/test_invalidation.py and
tests/test_workflow.py."""

from __future__ import annotations

import copy
import itertools
import json
import os
from pathlib import Path

import pytest
from conftest import REPO, TINY_DEMO, validated

from speech_encoding.errors import InputError
from speech_encoding.run.analyses import (
    analysis_config,
    delay_folder,
    downsample_folder,
    resolve_analyses,
)
from speech_encoding.run.rerun_policy import delay_params, downsample_params
from speech_encoding.run.summary_record import (
    SUMMARY_FILES,
    config_digest,
    retire_summary,
    write_run_record,
)

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def with_analyses(*analyses, **top) -> dict:
    """The tiny demo config (validated: schema defaults filled in) with `analyses` and top-level
    keys `top`."""
    return validated({**copy.deepcopy(TINY_DEMO), **top, "analyses": list(analyses)})


def by_name(config: dict) -> dict:
    return {analysis.name: analysis.config for _, analysis in resolve_analyses(config)}


def test_a_config_without_analyses_is_one_unnamed_analysis_with_todays_folders():
    config = validated(copy.deepcopy(TINY_DEMO))
    (where, analysis), = resolve_analyses(config)
    assert analysis.name is None and analysis.config == config
    assert (analysis.fit_folder, analysis.downsampled_folder, analysis.delayed_folder) == ("", "", "")


def test_sections_merge_key_by_key_and_the_rest_is_replaced():
    config = with_analyses({"name": "base"},
                           {"name": "wide", "ridge": {"alphas": [1.0, 10.0]}, "fir_delays": [1, 2],
                            "trimming": {"train_features_start": 6, "train_targets_start": 6}},
                           ridge={"chunk_length": 10, "n_inner_folds": 4, "alphas": [5.0]},
                           fir_delays=[1, 2, 3])
    analyses = by_name(config)
    assert analyses["base"]["ridge"] == config["ridge"]
    assert analyses["wide"]["ridge"] == {**config["ridge"], "alphas": [1.0, 10.0]}
    assert analyses["wide"]["ridge"]["n_inner_folds"] == 4  # from the top level, not the default 5
    assert analyses["base"]["fir_delays"] == [1, 2, 3] and analyses["wide"]["fir_delays"] == [1, 2]
    assert analyses["wide"]["trimming"] == {"train_features_start": 6, "train_targets_start": 6}
    assert analyses["base"]["trimming"] == "auto"
    assert "analyses" not in analyses["base"]
    assert config["ridge"]["alphas"] == [5.0]  # resolving leaves the config as it was


def test_a_sweep_expands_into_one_named_analysis_per_value():
    config = with_analyses({"name": "delays", "sweep": {"fir_delays": [[1, 2], [1, 2, 3, 4]]},
                            "ridge": {"alphas": [2.0]}},
                           {"name": "method", "sweep": {"downsample.method": ["rect", "lanczos"]}},
                           {"name": "alphas", "sweep": {"ridge.alphas": [{"logspace": [0, 2, 3]},
                                                                        [1.0, 3.0]]}})
    analyses = by_name(config)
    assert list(analyses) == ["delays-1_2", "delays-1_2_3_4", "method-rect", "method-lanczos",
                              "alphas-1", "alphas-1.0_3.0"]
    assert analyses["delays-1_2"]["fir_delays"] == [1, 2]
    assert analyses["delays-1_2_3_4"]["ridge"]["alphas"] == [2.0]  # the entry's own keys stay
    assert analyses["method-lanczos"]["downsample"] == {**config["downsample"], "method": "lanczos"}
    assert analyses["alphas-1"]["ridge"]["alphas"] == {"logspace": [0, 2, 3]}


@pytest.mark.parametrize("analyses, message", [
    ([{"name": "a"}, {"name": "a"}], r"duplicate analysis name\(s\) a"),
    ([{"name": "d", "sweep": {"fir_delays": [[1], [1]]}}], r"duplicate analysis name\(s\) d-1"),
    ([{"name": "a", "ridge": {"save_weights": True}}],
     r"analyses\[0\] \(a\): ridge.save_weights is set for every analysis at once"),
    ([{"name": "a", "sweep": {"feature_sets": [[]]}}],
     r"analyses\[0\] \(a\).sweep: 'feature_sets' is not a setting an analysis can sweep"),
    ([{"name": "a", "sweep": {"ridge": [{}]}}], r"'ridge' is not a setting an analysis can sweep"),
    ([{"name": "a", "sweep": {"fir_delays.x": [1]}}], r"'fir_delays.x' is not a setting"),
])
def test_bad_analyses_are_refused_naming_the_analysis(analyses, message):
    with pytest.raises(InputError, match=message):
        resolve_analyses({**validated(copy.deepcopy(TINY_DEMO)), "analyses": analyses})


@pytest.mark.parametrize("analysis, message", [
    ({"name": "w", "ridge": {"alpha": [1.0]}}, r"analyses\[1\] \(w\): ridge.alpha: not a known key; "
                                               r"did you mean 'alphas'\?"),
    ({"name": "w", "fir_delays": "1,2"}, r"analyses\[1\] \(w\): fir_delays: '1,2' is not of type 'array'"),
    ({"name": "w", "downsample": {"method": "cubic"}}, r"analyses\[1\] \(w\): downsample.method: 'cubic'"),
    ({"name": "w", "sweep": {"significance.n_permutations": [100, 0]}},
     r"analyses\[1\] \(w\) -> w-0: significance.n_permutations: 0 is less than the minimum of 1"),
    ({"name": "w", "ridge": {"n_inner_folds": 1}}, r"analyses\[1\] \(w\): ridge.n_inner_folds"),
    ({"name": "w/x"}, r"analyses\[1\].name: 'w/x' does not match"),
])
def test_schema_errors_in_an_analysis_name_it(analysis, message):
    config = {**copy.deepcopy(TINY_DEMO), "analyses": [{"name": "ok"}, analysis]}
    with pytest.raises(InputError, match=message):
        validated(config)


def test_a_cross_check_in_an_analysis_names_it_at_planning():
    from test_config import planned_config

    with pytest.raises(InputError, match=r"analyses\[1\] \(dup\): fir_delays: duplicate delays"):
        planned_config({"analyses": [{"name": "ok"}, {"name": "dup", "fir_delays": [1, 1]}]})
    with pytest.raises(InputError, match=r"analyses\[0\] \(gap\): ridge.fold_gap=80"):
        planned_config({"analyses": [{"name": "gap", "ridge": {"mode": "nested_cv",
                                                                "n_outer_folds": 2, "fold_gap": 80,
                                                                "folding_type": "kfold"}}]},
                       n_trs=(120, 40), splits=("train", "test"))


def test_analyses_with_equal_settings_share_folders_and_different_ones_do_not():
    config = with_analyses({"name": "base"}, {"name": "alphas", "ridge": {"alphas": [1.0]}},
                           {"name": "trim", "trimming": {"train_features_start": 6,
                                                         "train_targets_start": 6}},
                           {"name": "delays", "fir_delays": [1, 2]},
                           {"name": "circ", "fir_circpad": True},
                           {"name": "lanczos", "downsample": {"method": "lanczos"}},
                           {"name": "rect-window", "downsample": {"window": 7}},
                           {"name": "lanczos-delays", "downsample": {"method": "lanczos"},
                            "fir_delays": [1, 2]})
    analyses = {analysis.name: analysis for _, analysis in resolve_analyses(config)}
    fits = {name: a.fit_folder for name, a in analyses.items()}
    assert fits == {name: f"{name}/" for name in analyses}
    downsampled = {name: a.downsampled_folder for name, a in analyses.items()}
    # rect takes no window option: an analysis that sets one shares rect's files
    assert {downsampled[n] for n in ("base", "alphas", "trim", "delays", "circ", "rect-window")} == {"/rect"}
    assert downsampled["lanczos"] == downsampled["lanczos-delays"] != "/rect"
    delayed = {name: a.delayed_folder for name, a in analyses.items()}
    assert delayed["base"] == delayed["alphas"] == delayed["trim"] == "/rect/delays1_2_3_4"
    assert len({delayed[n] for n in ("base", "delays", "circ", "lanczos", "lanczos-delays")}) == 5
    assert delayed["lanczos-delays"].startswith(downsampled["lanczos"] + "/")


def test_folder_names_differ_whenever_the_settings_do():
    """Over a grid of downsampling and delay settings: equal names exactly for equal parameters."""
    from speech_encoding.design_matrix.downsample import METHODS

    downsampling = [{"method": method, "window": window, "cutoff_mult": cutoff, "rectify": rectify,
                     "causal": causal, "renorm": renorm}
                    for method in METHODS.names
                    for window, cutoff, rectify, causal, renorm in itertools.product(
                        [3, 3.5], [1.0, 0.5], [False, True], [False, True], [False, True])]
    params = {json.dumps(downsample_params(d), sort_keys=True) for d in downsampling}
    names = {downsample_folder(json.loads(p)) for p in params}
    assert len(names) == len(params) > len(METHODS.names)
    assert downsample_folder(downsample_params({"method": "lanczos", "window": 3, "cutoff_mult": 1,
                                                "rectify": False})) == \
        downsample_folder(downsample_params({"method": "lanczos", "window": 3.0, "cutoff_mult": 1.0,
                                             "rectify": False}))
    delays = [[1, 2], [12], [1, 2, 3, 4], [-1, 0, 1], [-1, -2], [1, -2], [-12], [0]]
    delay_names = {delay_folder(delay_params({"fir_delays": d, "fir_circpad": circ}))
                   for d in delays for circ in (False, True)}
    assert len(delay_names) == 2 * len(delays)


def test_a_fit_job_finds_its_analysis_by_its_fits_folder():
    config = with_analyses({"name": "a"}, {"name": "b", "ridge": {"device": "cpu", "voxel_batch": 7}})
    assert analysis_config(config, "b/")["ridge"]["voxel_batch"] == 7
    assert analysis_config(config, "a/")["ridge"]["voxel_batch"] is None
    plain = validated(copy.deepcopy(TINY_DEMO))
    assert analysis_config(plain, "") == plain
    with pytest.raises(InputError, match="no analysis has its fits in fits/c/"):
        analysis_config(config, "c/")


def test_analyses_equal_in_the_row_settings_share_one_row_plan():
    from test_config import planned_config

    plan = planned_config({"analyses": [{"name": "a"}, {"name": "b", "ridge": {"alphas": [1.0]}},
                                        {"name": "c", "fir_delays": [1, 2]},
                                        {"name": "n", "ridge": {"mode": "nested_cv"}}]})
    rows = {p.analysis.name: p.rows for p in plan.analyses}
    assert rows["a"] is rows["b"] and rows["c"] is not rows["a"]
    splits = {p.analysis.name: {s.split for s in p.stories} for p in plan.analyses}
    assert splits["a"] == {"train", "test"} and splits["n"] == {"train"}
    # in nested CV every story is scored, so every story with repeats has a ceiling
    ceilings = {p.analysis.name: p.ceilings for p in plan.analyses}
    assert ceilings["a"] == ceilings["b"]


# ---------- the summary's record and its retirement ----------

def test_the_config_digest_ignores_key_order_and_sees_every_value():
    config = validated(copy.deepcopy(TINY_DEMO))
    reordered = json.loads(json.dumps(config, sort_keys=True))
    assert config_digest(reordered) == config_digest(config)
    changed = copy.deepcopy(config)
    changed["ridge"]["device"] = "cpu"
    assert config_digest(changed) != config_digest(config)


def write_summary(results: Path, finished: str) -> None:
    results.mkdir(parents=True, exist_ok=True)
    for name in ("summary.parquet", "summary.csv"):
        (results / name).write_text(name)
    (results / "plots").mkdir()
    (results / "plots" / "best_layer.png").write_text("png")
    (results / "summary_run.json").write_text(json.dumps({"finished": finished}))


def test_a_refit_moves_the_summary_to_stale_keeping_every_file(tmp_path):
    results = tmp_path / "results"
    write_summary(results, "2026-12-01T10:00:00+00:00")
    (results / "fits").mkdir()
    target = retire_summary(results)
    assert target == results / "stale" / "2026-12-01T100000Z"
    assert not any((results / name).exists() for name in SUMMARY_FILES)
    assert (target / "summary.csv").read_text() == "summary.csv"
    assert (target / "plots" / "best_layer.png").read_text() == "png"
    assert (results / "fits").is_dir()
    assert retire_summary(results) is None  # the next fit of the run finds nothing to move
    write_summary(results, "2026-12-02T09:00:00+00:00")
    second = retire_summary(results)
    assert second != target and (target / "summary.csv").exists()  # an older stale one stays


def test_a_summary_without_a_record_is_retired_by_its_time(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    (results / "summary.csv").write_text("x")
    os.utime(results / "summary.csv", (0, 0))
    assert retire_summary(results) == results / "stale" / "1970-01-01T000000Z"


def test_the_run_record_names_the_config_files_and_the_end_time(tmp_path):
    config = validated(copy.deepcopy(TINY_DEMO))
    (tmp_path / "c.yaml").write_text("x")
    record = write_run_record(tmp_path / "summary_run.json", config, [str(tmp_path / "c.yaml")],
                              4, ["a", "b"])
    assert json.loads((tmp_path / "summary_run.json").read_text()) == record
    assert record["config_files"] == [str((tmp_path / "c.yaml").resolve())]
    assert record["config_sha256"] == config_digest(config) and len(record["config_sha256"]) == 64
    assert record["n_fits"] == 4 and record["analyses"] == ["a", "b"]
    assert record["finished"].endswith("+00:00")


def test_the_shipped_analyses_config_plans_shared_folders():
    """config/analyses.yaml, planned from the demo's generated stand-ins (no file read): five
    analyses over three downsampled-and-delayed folders and two downsampling folders."""
    import yaml

    from speech_encoding.demo.planning import demo_generated_inputs
    from speech_encoding.run.plan import plan_run

    config = validated(yaml.safe_load((REPO / "config" / "analyses.yaml").read_text()))
    folder = f"{config['results_dir']}/demo"
    plan = plan_run(config, demo_generated_inputs(config, f"{folder}/dataset", f"{folder}/model"))
    analyses = {p.analysis.name: p.analysis for p in plan.analyses}
    assert list(analyses) == ["default", "tutorial-test", "lanczos", "delays-1_2", "delays-1_2_3_4_5_6"]
    assert {a.delayed_folder for a in analyses.values()} == {
        "/rect/delays1_2_3_4", "/lanczos-cutoff_mult1.0-rectifyfalse-window3.0/delays1_2_3_4",
        "/rect/delays1_2", "/rect/delays1_2_3_4_5_6"}
    assert analyses["tutorial-test"].config["significance"]["method"] == "ttest"
    # more delays reach further before a story's first TR: auto trimming keeps fewer rows
    starts = {p.analysis.name: p.rows["demo-whisper"]["story01"].rows.features.start
              for p in plan.analyses}
    assert starts["default"] == starts["tutorial-test"] == 5 and starts["delays-1_2_3_4_5_6"] > 5
