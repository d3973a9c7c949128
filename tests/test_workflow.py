"""The workflow end to end: snakemake runs in a temporary folder on tiny configs."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from browser_page import require_browser, shown_result
from conftest import TINY_DEMO, validated, write_config, write_pycortex_mask
from workflow_runner import planned_jobs, run_ok, snakemake

from speech_encoding.demo.dataset import write_demo_dataset
from speech_encoding.demo.model import write_demo_model

pytestmark = pytest.mark.workflow


# The tiny demo's voxels in pycortex's example subject S1 (driven ones in auditory cortex), with
# small flatmaps of every fit.
BRAIN = {"subject": "S1", "transform": "fullhead", "roi": "AC"}
FLATMAPS = {"*": {"space": "pycortex", "filestore": "results/demo/brain/pycortex-db", "subject": "S1",
                  "transform": "fullhead", "mask_type": "demo", "height": 256}}


def with_brain(config: dict) -> dict:
    config["demo"]["brain"] = dict(BRAIN)
    config["brain_maps"] = copy.deepcopy(FLATMAPS)
    return config


@pytest.fixture
def demo_config(tiny_demo_config) -> dict:
    """The config of `first_demo_run` (a fresh copy)."""
    return with_brain(tiny_demo_config)


@pytest.fixture(scope="module")
def first_demo_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """The folder of a complete run of the tiny demo in S1's brain, and what snakemake printed."""
    workdir = tmp_path_factory.mktemp("demo")
    write_config(workdir, with_brain(copy.deepcopy(TINY_DEMO)))
    return workdir, run_ok(workdir)


@pytest.fixture(scope="module")
def demo_run(first_demo_run) -> Path:
    return first_demo_run[0]


def test_demo_writes_every_output(demo_run):
    results = demo_run / "results"
    for name in ("summary.parquet", "summary.csv", "plots/median_r_by_layer.png",
                 "plots/r_histograms.png", "plots/p_histograms.png", "demo/dataset/stories.tsv",
                 "demo/dataset/truth.json", "config_in_effect.yaml"):
        assert (results / name).is_file(), name
    for story in ("story01", "story04"):
        assert (results / "audio" / "16000hz" / f"{story}.wav").is_file()
        features = results / "features" / "tiny" / story
        assert {p.name for p in features.iterdir()} >= {"layer0.npy", "layer1.npy", "times.npy",
                                                         "meta.json"}
        for layer in (0, 1):
            delayed = np.load(results / "delayed" / "tiny" / story / f"layer{layer}.npy")
            assert delayed.shape == (30, 4 * 32)
    table = pd.read_parquet(results / "summary.parquet")
    assert len(table) == 2 * 2
    assert set(table["subject"]) == {"s1", "s2"} and set(table["layer"]) == {0, 1}
    for subject in ("s1", "s2"):
        for layer in (0, 1):
            fit = results / "fits" / subject / "tiny" / f"layer{layer}"
            voxels = pd.read_parquet(fit / "voxels.parquet")
            assert list(voxels.columns[:6]) == ["voxel", "r", "p", "q", "significant", "alpha"]
            assert len(voxels) == 40 and np.isfinite(voxels[["r", "p", "q", "alpha"]]).all().all()
            summary = json.loads((fit / "summary.json").read_text())
            assert summary["n_test_rows"] == 25 and summary["n_train_rows"] == 75
            assert summary["trimming"] == "auto" and summary["n_rows_zero_padded"] == 0
            assert summary["n_rows_without_windows"] == 0
            log = (results / "logs" / "fit_encoding_model" / subject / "tiny" / f"layer{layer}.log")
            assert "test story 'story04': auto trimming keeps 25 of 30 feature rows [5:30]" \
                in log.read_text()
            # a fit this small takes one thread, so that two run at once on the run's 2 cores
            assert "INFO root: 1 threads, job memory" in log.read_text()


def test_jobs_print_no_shell_command(first_demo_run):
    """Every rule runs a script: printshellcmds would print `Shell command: None` under each job."""
    _, result = first_demo_run
    output = result.stdout + result.stderr
    assert "rule make_demo_dataset" in output and "rule extract_features" in output
    assert "Shell command" not in output


def test_the_config_in_effect_has_the_defaults_filled_in(demo_run):
    written = yaml.safe_load((demo_run / "results" / "config_in_effect.yaml").read_text())
    assert written == validated(with_brain(copy.deepcopy(TINY_DEMO)))
    assert written["significance"]["n_permutations"] == 10000 and written["fir_delays"] == [1, 2, 3, 4]


def test_second_run_has_nothing_to_do(demo_run):
    result = run_ok(demo_run, "-n")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_driven_voxels_score_clearly_higher(demo_run):
    table = pd.read_parquet(demo_run / "results" / "summary.parquet")
    truth = json.loads((demo_run / "results" / "demo" / "dataset" / "truth.json").read_text())
    for _, row in table.iterrows():
        voxels = pd.read_parquet(demo_run / "results" / "fits" / row["subject"] / "tiny" /
                                 f"layer{row['layer']}" / "voxels.parquet")
        driven = np.isin(voxels["voxel"], truth[row["subject"]]["driven_voxels"])
        r = voxels["r"].to_numpy()
        assert np.median(r[driven]) > np.median(r[~driven]) + 0.2
        assert row["median_r_driven"] == pytest.approx(np.median(r[driven]), abs=1e-12)
        assert row["recall"] > 0.5 and row["precision"] > 0.5


def test_noise_ceilings_recover_the_planted_ones(demo_run):
    results = demo_run / "results"
    truth = json.loads((results / "demo" / "dataset" / "truth.json").read_text())
    table = pd.read_parquet(results / "summary.parquet")
    for subject in ("s1", "s2"):
        # one ceiling per subject: the test story over the 25 rows its fits score
        ceilings = sorted(p.name for p in (results / "ceilings" / subject / "story04").iterdir())
        assert ceilings == ["rows5-30.parquet"]
        ceiling = pd.read_parquet(results / "ceilings" / subject / "story04" / "rows5-30.parquet")
        assert set(ceiling["n_rows"]) == {25} and set(ceiling["n_repeats"]) == {4}
        planted = np.array(truth[subject]["noise_ceiling"])
        driven = planted > 0
        estimate = ceiling["noise_ceiling"].to_numpy()
        # driven voxels: planted 0.944; 4 repeats of 25 rows estimate it within 0.1 in median
        assert abs(np.nanmedian(estimate[driven]) - planted[driven][0]) < 0.1
        assert np.isfinite(estimate[driven]).all()
        # voxels without signal: mostly no ceiling (signal power <= 0) or a small one
        assert np.nanmedian(np.where(np.isfinite(estimate[~driven]), estimate[~driven], 0)) < 0.3
        for layer in (0, 1):
            voxels = pd.read_parquet(results / "fits" / subject / "tiny" / f"layer{layer}" / "voxels.parquet")
            assert list(voxels.columns[-2:]) == ["noise_ceiling", "r_normalized"]
            np.testing.assert_allclose(voxels["noise_ceiling"], estimate, rtol=1e-12, equal_nan=True)
            np.testing.assert_allclose(voxels["r_normalized"], voxels["r"] / estimate, equal_nan=True)
            row = table[(table["subject"] == subject) & (table["layer"] == layer)].iloc[0]
            usable = (estimate >= 0.3) & ~voxels["constant"].to_numpy()
            assert row["n_voxels_with_ceiling"] == usable.sum() > 0
            assert row["median_r_normalized"] == pytest.approx(np.median(voxels["r_normalized"][usable]))
            assert row["ceiling_median_abs_error"] < 0.1 and row["ceiling_n_estimated"] == driven.sum()
        assert (results / "plots" / "noise_ceiling" / f"{subject}.png").stat().st_size > 0
    log = (results / "logs" / "noise_ceiling" / "s1" / "story04" / "rows5-30.log").read_text()
    assert "4 repeats, rows 5-30 of 30" in log


def test_a_changed_ridge_setting_reruns_only_fits(demo_run, demo_config):
    demo_config["ridge"]["n_inner_folds"] = 3
    (demo_run / "changed.yaml").write_text(yaml.safe_dump(demo_config))
    result = run_ok(demo_run, "-n", config="changed.yaml")
    # and the maps of the refitted fits (one job per subject and feature set)
    assert planned_jobs(result) == {"fit_encoding_model": 4, "summarize": 1, "draw_brain_maps": 2,
                                    "all": 1}


def test_brain_maps_are_drawn_without_refitting(demo_run, demo_config, tmp_path, pycortex_store):
    """s1's 40 voxels in a NIfTI mask, s2's in 40 voxels of pycortex's S1: every layer's maps, in
    the mask's voxels; a map setting redraws only that subject's maps."""
    import nibabel

    from speech_encoding.report.brain_space import PycortexSpace, column_volume, mask_and_affine

    work = tmp_path / "maps"
    shutil.copytree(demo_run, work, symlinks=True)
    nifti_mask = np.zeros((6, 5, 4), dtype=np.uint8)
    nifti_mask.flat[::3] = 1
    nibabel.save(nibabel.Nifti1Image(nifti_mask, np.diag([3.0, 3.0, 3.0, 1.0])), work / "mask.nii.gz")
    write_pycortex_mask(pycortex_store, "tiny40", 40)
    s2 = {"space": "pycortex", "filestore": str(pycortex_store), "subject": "S1",
          "transform": "fullhead", "mask_type": "tiny40", "height": 256}
    demo_config["brain_maps"] = {"s1": {"space": "nifti", "mask": "mask.nii.gz"}, "s2": s2}
    write_config(work, demo_config)
    assert planned_jobs(run_ok(work, "-n")) == {"draw_brain_maps": 2, "all": 1}
    run_ok(work)
    masks = {"s1": nifti_mask != 0,
             "s2": mask_and_affine(PycortexSpace(str(pycortex_store), "S1", "fullhead", "tiny40"))[0]}
    for subject, mask in masks.items():
        folder = work / "results" / "maps" / subject / "tiny"
        for layer in (0, 1):
            voxels = pd.read_parquet(work / "results" / "fits" / subject / "tiny" / f"layer{layer}"
                                     / "voxels.parquet")
            quantities = {"r", "r_significant", "alpha"} | (
                {"r_normalized"} if voxels["r_normalized"].notna().any() else set())
            assert {p.name for p in (folder / f"layer{layer}").iterdir()} == {
                f"{q}.{ext}" for q in quantities for ext in ("png", "nii.gz")}
            volume = np.asarray(nibabel.load(folder / f"layer{layer}" / "r.nii.gz").get_fdata())
            expected = column_volume(voxels["r"].to_numpy(np.float32), mask, "pycortex")
            np.testing.assert_array_equal(volume[mask], expected[mask])
        assert (folder / "best_layer.png").stat().st_size > 1000
    demo_config["brain_maps"]["s2"]["height"] = 300
    write_config(work, demo_config)
    assert planned_jobs(run_ok(work, "-n")) == {"draw_brain_maps": 1, "all": 1}


def test_the_demo_flatmap_finds_auditory_cortex(demo_run):
    """r sampled onto S1's cortical surface (the vertex data pycortex draws the flatmap from): the
    vertices inside the auditory cortex outline hold clearly higher r than the others with data;
    the demo's driven voxels are the brain's ROI voxels."""
    import cortex
    import nibabel

    from speech_encoding.report.brain_space import use_filestore

    results = demo_run / "results"
    brain = json.loads((results / "demo" / "brain" / "brain.json").read_text())
    truth = json.loads((results / "demo" / "dataset" / "truth.json").read_text())
    use_filestore(str(results / "demo" / "brain" / "pycortex-db"))
    ac = cortex.utils.get_roi_verts("S1", "AC")["AC"]
    for subject in ("s1", "s2"):
        assert truth[subject]["driven_voxels"] == brain["driven_columns"]
        volume = np.asarray(nibabel.load(results / "maps" / subject / "tiny" / "layer1" / "r.nii.gz")
                            .get_fdata())
        vertices = cortex.Volume(volume.T, "S1", "fullhead").map("nearest").data
        inside = np.zeros(len(vertices), dtype=bool)
        inside[ac] = True
        r_in, r_out = np.nanmean(vertices[inside]), np.nanmean(vertices[~inside])
        assert np.isfinite(vertices[inside]).sum() > 20 and np.isfinite(vertices[~inside]).sum() > 20
        assert r_in > r_out + 0.3, (subject, r_in, r_out)


def test_the_report_shows_the_brain_maps_in_a_browser(demo_run, tmp_path):
    """The report opened in headless Chromium as a person would: under Brain maps, each subject's
    r flatmap is drawn on the page. The pixels of the image as the page draws it hold the grey
    cortex and coloured voxels and colour bar, which a blank page or a broken image lacks."""
    require_browser()
    report = tmp_path / "report.html"
    run_ok(demo_run, "--report", str(report))
    for subject in ("s1", "s2"):
        pixels = shown_result(report, ["Brain maps", subject], f"maps/{subject}/tiny/layer1/r.png",
                              tmp_path / f"{subject}.png")
        assert pixels.shape[0] > 150 and pixels.shape[1] > 300, pixels.shape
        spread = pixels.max(axis=2) - pixels.min(axis=2)
        brightness = pixels.mean(axis=2)
        cortex = (spread < 0.05) & (brightness > 0.2) & (brightness < 0.8)
        assert cortex.mean() > 0.15, cortex.mean()
        assert (spread > 0.3).sum() > 50, (spread > 0.3).sum()


def test_own_dataset_and_local_model_are_planned(tmp_path, tiny_demo_config):
    """Bring-your-own-data route: a manifest and a model folder that no rule produces, and a
    --configfile that replaces config.yaml (real runs on such data: test_invalidation, test_faults)."""
    demo = validated(tiny_demo_config)["demo"]
    write_demo_dataset({**demo, "n_train_stories": 2}, tmp_path / "data")
    write_demo_model(demo["model"], tmp_path / "model")
    config = {
        "dataset": {"stories": str(tmp_path / "data" / "stories.tsv"),
                    "responses": str(tmp_path / "data" / "responses"), "subjects": ["s2"]},
        "feature_sets": [{**tiny_demo_config["feature_sets"][0], "model": str(tmp_path / "model"),
                          "layers": [1]}],
        "ridge": {"chunk_length": 10, "n_inner_folds": 3},
    }
    write_config(tmp_path, tiny_demo_config)
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(config))
    rules = run_ok(tmp_path, "--list-rules", config="own.yaml").stdout
    assert "fit_encoding_model" in rules and "make_demo_dataset" not in rules
    result = run_ok(tmp_path, "-n", config="own.yaml")
    # downsample and delay: one job per feature set and layer, each doing every story
    assert planned_jobs(result) == {"resample_audio": 3, "extract_features": 3, "downsample": 1,
                                    "delay": 1, "fit_encoding_model": 1, "summarize": 1, "all": 1}


def test_bad_config_stops_before_any_job(tmp_path, tiny_demo_config):
    tiny_demo_config["feature_sets"][0]["pool"] = "max"
    write_config(tmp_path, tiny_demo_config)
    result = snakemake(tmp_path, "-n")
    assert result.returncode != 0 and "pool" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_a_brain_mask_of_the_wrong_size_stops_the_run_before_any_job(tmp_path, tiny_demo_config):
    """The demo's 40 voxels against a NIfTI mask of 39: a named error when the run is planned."""
    import nibabel

    mask = np.zeros((4, 5, 2), dtype=np.uint8)
    mask.flat[:39] = 1
    nibabel.save(nibabel.Nifti1Image(mask, np.eye(4)), tmp_path / "mask.nii.gz")
    tiny_demo_config["brain_maps"] = {"s2": {"space": "nifti", "mask": "mask.nii.gz"}}
    write_config(tmp_path, tiny_demo_config)
    result = snakemake(tmp_path)
    assert result.returncode != 0
    assert ("brain_maps.s2: the NIfTI mask mask.nii.gz has 39 voxels but subject s2's responses have "
            "40 columns") in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


def test_bad_manifest_stops_before_any_job(tmp_path, tiny_demo_config):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stories.tsv").write_text(
        "story\taudio\ttr\tn_trs\tsplit\na\ta.wav\t2\t10\ttrain\nb\tb.wav\t2\t10\ttest\n")
    tiny_demo_config["dataset"] = {"stories": "data/stories.tsv", "responses": "data/responses"}
    del tiny_demo_config["demo"]
    write_config(tmp_path, tiny_demo_config)
    result = snakemake(tmp_path, "-n")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "story 'a': audio file not found" in output and "a.wav" in output


def test_nested_cv_with_lanczos_reuses_extraction(demo_run, demo_config):
    """Runs last in this module: it refits the demo run in nested CV mode."""
    demo_config["ridge"].update(mode="nested_cv", n_outer_folds=4, n_inner_folds=3,
                                folding_type="group")
    demo_config["downsample"] = {"method": "lanczos", "window": 3}
    demo_config["fir_circpad"] = False
    (demo_run / "nested.yaml").write_text(yaml.safe_dump(demo_config))
    planned = planned_jobs(run_ok(demo_run, "-n", config="nested.yaml"))
    # every story is scored in nested CV: the repeated test story's ceilings over its new rows
    assert planned == {"downsample": 2, "delay": 2, "noise_ceiling": 2, "fit_encoding_model": 4,
                       "summarize": 1, "draw_brain_maps": 2, "all": 1}
    run_ok(demo_run, config="nested.yaml")
    table = pd.read_parquet(demo_run / "results" / "summary.parquet")
    # auto trimming: Lanczos reaches 6 s either side, so each story keeps rows 7-27 of 30 (not 5-29)
    assert set(table["mode"]) == {"nested_cv"} and (table["n_rows"] == 4 * 21).all()
    assert (table["median_r_driven"] > table["median_r_other"] + 0.2).all()
    voxels = pd.read_parquet(demo_run / "results" / "fits" / "s1" / "tiny" / "layer0" / "voxels.parquet")
    assert {"n_significant_folds", "majority_significant"} <= set(voxels.columns)
