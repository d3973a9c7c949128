"""The DAG as the cache: after a real run, exactly the jobs a change invalidates are planned.

One real run on a bring-your-own dataset with two feature sets (a Whisper and a HuBERT), then a
dry run per change, asserting the job count of every rule.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import TINY_DEMO, validated, write_config
from workflow_runner import digests, planned_jobs, run_ok, snakemake

from speech_encoding.demo.dataset import write_demo_dataset

pytestmark = pytest.mark.workflow

DOWNSTREAM = {"summarize": 1, "all": 1}


@pytest.fixture(scope="module")
def base(tmp_path_factory, tiny_whisper, tiny_hubert):
    work = tmp_path_factory.mktemp("cache")
    demo = {**validated(TINY_DEMO)["demo"], "n_train_stories": 4, "story_duration": 40.0,
            "subjects": ["s1", "s2", "s3"]}
    write_demo_dataset(demo, work / "data")
    manifest = (work / "data" / "stories.tsv").read_text().splitlines()
    (work / "data" / "base.tsv").write_text(
        "\n".join(line for line in manifest if not line.startswith("story04")) + "\n")
    for name, source in (("whisper", tiny_whisper), ("whisper-copy", tiny_whisper),
                         ("hubert", tiny_hubert)):
        shutil.copytree(source, work / "models" / name)
    window = {"chunk_size": 1.0, "context_size": 1.0, "layers": [0], "batch_size": 16}
    config = {
        "dataset": {"stories": "data/base.tsv", "responses": "data/responses",
                    "repeats": "data/repeats", "subjects": ["s1", "s2"]},
        "feature_sets": [{"name": "w", "model": "models/whisper", "pool": "mean", **window},
                         {"name": "h", "model": "models/hubert", "pool": "last", **window}],
        "ridge": {"chunk_length": 5, "n_inner_folds": 3},
    }
    write_config(work, config)
    run_ok(work)
    return work, config


def plan_after(base, change) -> dict[str, int]:
    """Jobs a dry run plans after `change(config)`."""
    work, config = base
    changed = copy.deepcopy(config)
    change(changed)
    (work / "changed.yaml").write_text(yaml.safe_dump(changed, sort_keys=False))
    return planned_jobs(run_ok(work, "-n", config="changed.yaml"))


def set_in(*path_and_value):
    *path, key, value = path_and_value

    def change(config):
        target = config
        for step in path:
            target = target[step]
        target[key] = value
    return change


def one_feature_set(**extra) -> dict[str, int]:
    """Jobs of feature set w from extraction on: 4 stories' extraction, one downsample and one delay
    job (its one layer, every story), its 2 fits and the summary."""
    return {**extra, "extract_features": 4, "downsample": 1, "delay": 1, "fit_encoding_model": 2,
            **DOWNSTREAM}


@pytest.mark.parametrize("change, expected", [
    pytest.param(lambda c: None, {}, id="second run does nothing"),
    pytest.param(lambda c: c.update(yaml.safe_load(yaml.safe_dump(c, sort_keys=True))), {},
                 id="reordered config keys change nothing"),
    pytest.param(set_in("downsample", {"method": "rect", "window": 5}), {},
                 id="an option rect does not use changes nothing"),
    pytest.param(set_in("ridge", "alphas", [1.0, 10.0, 100.0]),
                 {"fit_encoding_model": 4, **DOWNSTREAM}, id="ridge reruns only fits"),
    pytest.param(set_in("ridge", "folding_type", "kfold"),
                 {"fit_encoding_model": 4, **DOWNSTREAM}, id="folding reruns only fits"),
    pytest.param(lambda c: c["ridge"].update(voxel_batch=3, device="cpu"), {},
                 id="voxel batch and device change nothing"),
    pytest.param(set_in("ridge", "save_weights", True), {"fit_encoding_model": 4, **DOWNSTREAM},
                 id="save_weights reruns fits for their weights.npy"),
    pytest.param(set_in("feature_sets", 0, "layers", [0, 1]),
                 {"downsample": 1, "delay": 1, "fit_encoding_model": 2, **DOWNSTREAM},
                 id="a new layer runs only its fits"),
    pytest.param(set_in("feature_sets", 0, "chunk_size", 0.5), one_feature_set(), id="chunk_size"),
    pytest.param(set_in("feature_sets", 0, "context_size", 2.0), one_feature_set(), id="context_size"),
    pytest.param(set_in("feature_sets", 0, "pool", "last"), one_feature_set(), id="pool"),
    pytest.param(set_in("feature_sets", 0, "model", "models/whisper-copy"), one_feature_set(),
                 id="model"),
    pytest.param(set_in("feature_sets", 0, "dtype", "bfloat16"), one_feature_set(), id="dtype"),
    pytest.param(set_in("feature_sets", 0, "save_dtype", "float16"), one_feature_set(),
                 id="save_dtype"),
    pytest.param(set_in("feature_sets", 0, "whisper_padding", "none"), one_feature_set(),
                 id="whisper_padding of a Whisper"),
    pytest.param(set_in("feature_sets", 1, "whisper_padding", "none"), {},
                 id="whisper_padding of a HuBERT changes nothing"),
    pytest.param(lambda c: c["feature_sets"][0].update(batch_size=3, device="cpu"), {},
                 id="batch_size and device change nothing"),
    pytest.param(set_in("feature_sets", 0, "target_sample_rate", 8000),
                 one_feature_set(resample_audio=4), id="target_sample_rate"),
    # both move auto trimming (a wider kernel, fewer delays), so the test story's ceilings are
    # computed over its new scored rows (one file per subject; both feature sets keep the same rows)
    pytest.param(set_in("downsample", {"method": "lanczos"}),
                 {"downsample": 2, "delay": 2, "noise_ceiling": 2, "fit_encoding_model": 4, **DOWNSTREAM},
                 id="downsampling reruns from downsample"),
    pytest.param(set_in("fir_delays", [1, 2]),
                 {"delay": 2, "noise_ceiling": 2, "fit_encoding_model": 4, **DOWNSTREAM},
                 id="delays rerun from delay"),
    pytest.param(set_in("trimming", {"train_features_start": 6, "train_targets_start": 6}),
                 {"fit_encoding_model": 4, **DOWNSTREAM}, id="trimming reruns only fits"),
    pytest.param(set_in("dataset", "stories", "data/stories.tsv"),
                 {"resample_audio": 1, "extract_features": 2, "downsample": 2, "delay": 2,
                  "fit_encoding_model": 4, **DOWNSTREAM}, id="a new story"),
    pytest.param(set_in("dataset", "subjects", ["s1", "s2", "s3"]),
                 {"noise_ceiling": 1, "fit_encoding_model": 2, **DOWNSTREAM}, id="a new subject"),
    pytest.param(set_in("trimming", {"test_features_start": 6, "test_targets_start": 6}),
                 {"noise_ceiling": 2, "fit_encoding_model": 4, **DOWNSTREAM},
                 id="test trimming: ceilings over the new rows"),
    pytest.param(set_in("noise_ceiling", {"min_ceiling": 0.5}), DOWNSTREAM,
                 id="min_ceiling reruns only the summary"),
    pytest.param(set_in("dataset", "repeats", None), {"fit_encoding_model": 4, **DOWNSTREAM},
                 id="no repeats: the fits lose their ceilings"),
])
def test_change_reruns_exactly_what_it_invalidates(base, change, expected):
    assert plan_after(base, change) == expected


def test_an_edited_response_file_reruns_only_that_subjects_fits(base, tmp_path):
    work, _ = base
    copy_dir = tmp_path / "copy"
    shutil.copytree(work, copy_dir, symlinks=True)
    assert planned_jobs(run_ok(copy_dir, "-n")) == {}
    path = copy_dir / "data" / "responses" / "s1" / "story02.npy"
    np.save(path, np.load(path) * 2.0)
    assert planned_jobs(run_ok(copy_dir, "-n")) == {"fit_encoding_model": 2, **DOWNSTREAM}


def test_an_edited_repeats_file_reruns_only_that_subjects_ceiling_and_fits(base, tmp_path):
    work, _ = base
    copy_dir = tmp_path / "copy"
    shutil.copytree(work, copy_dir, symlinks=True)
    path = copy_dir / "data" / "repeats" / "s2" / "story05.npy"
    np.save(path, np.load(path)[::-1])
    assert planned_jobs(run_ok(copy_dir, "-n")) == {"noise_ceiling": 1, "fit_encoding_model": 2,
                                                    **DOWNSTREAM}


def test_a_missing_feature_folder_is_rebuilt_when_a_later_job_must_run(base, tmp_path):
    """Ctrl-C during a rerun's extraction leaves the story's folder deleted and its later files in
    place: Snakemake plans nothing until a job that reads the folder must run (README, "After
    Ctrl-C")."""
    work, config = base
    copy_dir = tmp_path / "copy"
    shutil.copytree(work, copy_dir, symlinks=True)
    shutil.rmtree(copy_dir / "results" / "features" / "w" / "story01")
    assert planned_jobs(run_ok(copy_dir, "-n")) == {}
    changed = copy.deepcopy(config)
    changed["downsample"] = {"method": "lanczos"}
    write_config(copy_dir, changed)
    assert planned_jobs(run_ok(copy_dir, "-n")) == {"extract_features": 1, "downsample": 2, "delay": 2,
                                                    "noise_ceiling": 2, "fit_encoding_model": 4,
                                                    **DOWNSTREAM}


def test_stale_features_are_refused_by_downsample(base, tmp_path):
    """Features kept despite a changed setting (mtime-only triggers) stop downsampling."""
    work, config = base
    copy_dir = tmp_path / "copy"
    shutil.copytree(work, copy_dir, symlinks=True)
    changed = copy.deepcopy(config)
    changed["feature_sets"][0]["pool"] = "last"
    write_config(copy_dir, changed)
    target = "results/downsampled/w/story01/layer0.npy"
    result = snakemake(copy_dir, "--rerun-triggers", "mtime", "--forcerun", "downsample", target)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Error in rule downsample" in output
    # the job goes through the stories in manifest order: the first, stale like every other, stops it
    log = (copy_dir / "results/logs/downsample/w/layer0.log").read_text()
    assert ("results/features/w/story01/meta.json: pool is 'mean' but the config asks for 'last'"
            in log), log


def test_feature_sets_are_compared_in_summary_and_report(base):
    work, _ = base
    table = pd.read_parquet(work / "results" / "summary.parquet")
    assert sorted(map(tuple, table[["subject", "feature_set", "layer"]].values.tolist())) == [
        ("s1", "h", 0), ("s1", "w", 0), ("s2", "h", 0), ("s2", "w", 0)]
    assert table["best_layer"].all()
    assert (work / "results" / "plots" / "best_layer.png").stat().st_size > 0
    run_ok(work, "--report", str(work / "report.html"))
    report = (work / "report.html").read_text()
    for figure in ("median_r_by_layer.png", "r_histograms.png", "p_histograms.png", "best_layer.png",
                   "summary.csv", "config_in_effect.yaml", "Noise ceilings"):
        assert figure in report
    # the noise-ceiling figure of each subject, with its caption
    assert (work / "results" / "plots" / "noise_ceiling" / "s1.png").stat().st_size > 0
    assert "Held-out r of every voxel against its noise ceiling" in report
    # the configuration is shown, not only linked: a key this config leaves out, with its default
    assert "significance" not in base[1] and "n_permutations: 10000" in report


def requested_gpus(output: str, rule: str) -> dict[str, set[str]]:
    """gpu resource of each planned job of `rule`, by feature set."""
    gpus = {}
    for block in output.split(f"rule {rule}:")[1:]:
        feature_set = re.search(r"wildcards: .*feature_set=(\w+)", block).group(1)
        gpus.setdefault(feature_set, set()).add(re.search(r"resources: .*gpu=(\d+)", block).group(1))
    return gpus


def test_jobs_ask_for_a_gpu_only_when_their_device_is_cuda(base):
    work, config = base
    changed = copy.deepcopy(config)
    changed["feature_sets"][0]["device"] = "cuda"
    (work / "cuda.yaml").write_text(yaml.safe_dump(changed))
    output = run_ok(work, "-n", "--forcerun", "extract_features", config="cuda.yaml").stdout
    assert requested_gpus(output, "extract_features") == {"w": {"1"}, "h": {"0"}}
    assert requested_gpus(output, "fit_encoding_model") == {"w": {"0"}, "h": {"0"}}
    changed["ridge"]["device"] = "cuda"
    (work / "cuda.yaml").write_text(yaml.safe_dump(changed))
    output = run_ok(work, "-n", "--forcerun", "fit_encoding_model", config="cuda.yaml").stdout
    assert requested_gpus(output, "fit_encoding_model") == {"w": {"1"}, "h": {"1"}}


# ---------- named analyses (README, "Comparing analyses") ----------

ANALYSES = [{"name": "a"}, {"name": "b", "ridge": {"alphas": [1.0, 10.0, 100.0]}}]


def with_analyses(config: dict, analyses: list[dict]) -> dict:
    """`config` with feature set w and subject s1 only, and `analyses`."""
    changed = copy.deepcopy(config)
    changed["dataset"]["subjects"] = ["s1"]
    return {**changed, "feature_sets": [changed["feature_sets"][0]], "analyses": copy.deepcopy(analyses)}


@pytest.fixture(scope="module")
def analysed(base, tmp_path_factory):
    """The base run's folder (its features kept) run again with two analyses that differ only in
    their alphas; the run's job counts."""
    work, config = base
    copy_dir = tmp_path_factory.mktemp("analyses") / "work"
    shutil.copytree(work, copy_dir, symlinks=True)
    changed = with_analyses(config, ANALYSES)
    write_config(copy_dir, changed)
    jobs = planned_jobs(run_ok(copy_dir))
    return copy_dir, changed, jobs


def test_analyses_differing_in_ridge_share_every_file_up_to_the_fits(analysed):
    work, _, jobs = analysed
    # features are shared with the run without analyses; one downsample and one delay job serve both
    assert jobs == {"downsample": 1, "delay": 1, "fit_encoding_model": 2, **DOWNSTREAM}
    results = work / "results"
    folders = sorted(p.relative_to(results).as_posix() for p in (results / "delayed" / "w").iterdir()
                     if p.is_dir())
    assert folders == ["delayed/w/rect", "delayed/w/story01", "delayed/w/story02", "delayed/w/story03",
                       "delayed/w/story05"]
    assert [p.name for p in (results / "delayed" / "w" / "rect").iterdir() if p.is_dir()] == [
        "delays1_2_3_4"]
    assert sorted(p.name for p in (results / "fits").iterdir()) == ["a", "b", "s1", "s2"]


def story_digests(folder: Path) -> dict[str, str]:
    """digests of the story files of a downsampled or delayed folder (its subfolders and the layer
    index, which names the files by path, left out)."""
    return {k: v for k, v in digests(folder).items() if k.count("/") == 1 and k.endswith(".npy")}


def test_an_analysis_without_overrides_writes_the_same_bytes_as_the_config_without_analyses(analysed):
    work, _, _ = analysed
    results = work / "results"
    plain = {k: v for k, v in digests(results / "fits" / "s1").items() if not k.startswith("h/")}
    assert digests(results / "fits" / "a" / "s1") == plain
    assert len(plain) == 2  # w's voxels.parquet and summary.json
    for stage, folder in (("downsampled", "rect"), ("delayed", "rect/delays1_2_3_4")):
        shared = story_digests(results / stage / "w" / folder)
        assert shared == story_digests(results / stage / "w") and len(shared) == 4


def test_the_summary_compares_the_analyses_and_records_its_run(analysed):
    work, changed, _ = analysed
    results = work / "results"
    table = pd.read_parquet(results / "summary.parquet")
    assert list(table.columns[:4]) == ["analysis", "subject", "feature_set", "layer"]
    assert sorted(map(tuple, table[["analysis", "subject"]].values.tolist())) == [("a", "s1"), ("b", "s1")]
    assert table["n_compared_voxels"].nunique() == 1
    record = json.loads((results / "summary_run.json").read_text())
    assert record["config_files"] == [str((work / "config.yaml").resolve())]
    assert record["analyses"] == ["a", "b"] and record["n_fits"] == 2
    settings = yaml.safe_load((results / "analyses_in_effect.yaml").read_text())
    assert settings["b"]["ridge"]["alphas"] == [1.0, 10.0, 100.0]
    assert settings["a"]["ridge"]["alphas"] == {"logspace": [-1, 8, 10]}
    assert settings["a"]["folders"]["delayed"] == ["results/delayed/w/rect/delays1_2_3_4"]
    assert (results / "plots" / "analysis_comparison.png").stat().st_size > 0
    run_ok(work, "--report", str(work / "report.html"))
    report = (work / "report.html").read_text()
    for item in ("analysis_comparison.png", "analyses_in_effect.yaml", "summary_run.json",
                 "Analyses side by side"):
        assert item in report
    # each analysis's settings and folders are shown in the report, not only linked
    assert "results/delayed/w/rect/delays1_2_3_4" in report


def add_analysis(analysis: dict):
    return lambda c: c["analyses"].append(analysis)


@pytest.mark.parametrize("change, expected", [
    pytest.param(lambda c: None, {}, id="second run does nothing"),
    pytest.param(add_analysis({"name": "c", "ridge": {"alphas": [3.0]}}),
                 {"fit_encoding_model": 1, **DOWNSTREAM}, id="a new analysis of other alphas: its fit"),
    pytest.param(add_analysis({"name": "c", "fir_delays": [1, 2]}),
                 {"delay": 1, "noise_ceiling": 1, "fit_encoding_model": 1, **DOWNSTREAM},
                 id="a new analysis of other delays: from delay"),
    pytest.param(add_analysis({"name": "c", "downsample": {"method": "lanczos"}}),
                 {"downsample": 1, "delay": 1, "noise_ceiling": 1, "fit_encoding_model": 1, **DOWNSTREAM},
                 id="a new analysis of other downsampling: from downsample"),
    pytest.param(lambda c: c["analyses"][1]["ridge"].update(alphas=[2.0]),
                 {"fit_encoding_model": 1, **DOWNSTREAM}, id="one analysis's ridge: its fit only"),
    pytest.param(lambda c: c["ridge"].update(folding_type="kfold"),
                 {"fit_encoding_model": 2, **DOWNSTREAM}, id="top-level ridge: every analysis"),
    pytest.param(lambda c: c["analyses"].pop(), DOWNSTREAM, id="a removed analysis: the summary"),
])
def test_a_change_to_analyses_reruns_exactly_what_it_invalidates(analysed, change, expected):
    work, config, _ = analysed
    changed = copy.deepcopy(config)
    change(changed)
    (work / "changed.yaml").write_text(yaml.safe_dump(changed, sort_keys=False))
    assert planned_jobs(run_ok(work, "-n", config="changed.yaml")) == expected


def test_removing_an_analysis_deletes_nothing(analysed, tmp_path):
    work, config, _ = analysed
    copy_dir = tmp_path / "copy"
    shutil.copytree(work, copy_dir, symlinks=True)
    before = digests(copy_dir / "results" / "fits")
    write_config(copy_dir, {**config, "analyses": config["analyses"][:1]})
    run_ok(copy_dir)
    assert digests(copy_dir / "results" / "fits") == before  # b's fits stay, a's are not rewritten
    table = pd.read_parquet(copy_dir / "results" / "summary.parquet")
    assert set(table["analysis"]) == {"a"}


def test_a_summary_is_moved_aside_once_a_fit_it_summarises_is_recomputed(analysed, tmp_path):
    """Only one fit is asked for, so the summary is not rewritten: the old one must not stay in
    place looking current."""
    work, config, _ = analysed
    copy_dir = tmp_path / "copy"
    shutil.copytree(work, copy_dir, symlinks=True)
    results = copy_dir / "results"
    finished = json.loads((results / "summary_run.json").read_text())["finished"]
    old = (results / "summary.csv").read_text()
    changed = copy.deepcopy(config)
    changed["analyses"][1]["ridge"]["alphas"] = [2.0]
    write_config(copy_dir, changed)
    run_ok(copy_dir, "results/fits/b/s1/w/layer0/voxels.parquet")
    assert not (results / "summary.csv").exists() and not (results / "plots").exists()
    stale = results / "stale" / finished.replace(":", "").replace("+0000", "Z")
    assert (stale / "summary.csv").read_text() == old and (stale / "plots" / "best_layer.png").exists()
    assert planned_jobs(run_ok(copy_dir, "-n")) == DOWNSTREAM  # the next run writes a new summary
