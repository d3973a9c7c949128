"""Importers: tutorial assembly pickles (read without running their code) and OpenNeuro ds003020,
each into a dataset folder that config/lebel.yaml runs on."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, validated, write_config, write_subset_mask
from fake_datasets import (
    fake_assembly,
    fake_story,
    lebel_like_stories,
    stand_in_classes,
    write_ds003020,
    write_pickle,
    write_wav,
)
from workflow_runner import planned_jobs, run_ok

from speech_encoding.data.importers.cli import import_assembly_main, import_lebel_main
from speech_encoding.data.manifest import read_manifest, tr_times
from speech_encoding.demo.model import write_demo_model

STORIES = ["alternateithicatom", "souls", "wheretheressmoke"]
N_TRS = {"alternateithicatom": 70, "souls": 72, "wheretheressmoke": 70}
CURRENT = ("encoding.assembly.story_data", "encoding.assembly.assemblies")
OLDER = ("encoding.story_data", "encoding.assemblies")


class Payload:
    """Pickles as a call of `func(*args)`: what a malicious pickle runs on a plain pickle.load."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def lebel_config(model: str) -> dict:
    """config/lebel.yaml with a tiny local model, ridge folds that fit tiny data and small flatmaps."""
    config = yaml.safe_load((REPO / "config" / "lebel.yaml").read_text())
    config["feature_sets"][0].update(model=model, chunk_size=2.0, context_size=2.0, layers=[1],
                                     batch_size=16)
    config["ridge"].update(chunk_length=5, n_inner_folds=3)
    config["brain_maps"]["*"]["height"] = 256  # small flatmaps draw faster
    return config


def expected_jobs(n_stories: int, n_fits: int, n_ceilings: int = 0, n_maps: int = 0) -> dict[str, int]:
    """One feature set with one layer: per story resampling and extraction; downsample and delay
    run once per feature set and layer; a noise ceiling per subject with repeats of the test story;
    the brain maps of each subject the dataset's pycortex filestore holds."""
    per_story = {rule: n_stories for rule in ("resample_audio", "extract_features")}
    ceilings = {"noise_ceiling": n_ceilings} if n_ceilings else {}
    maps = {"draw_brain_maps": n_maps} if n_maps else {}
    return {**per_story, "downsample": 1, "delay": 1, **ceilings, "fit_encoding_model": n_fits,
            "summarize": 1, **maps, "all": 1}


# ---------------------------------------------------------------- assembly pickles


@pytest.fixture
def audio_dir(tmp_path):
    folder = tmp_path / "stimuli"
    for index, story in enumerate(STORIES):
        write_wav(folder / f"{story}.wav", 2.0 * N_TRS[story], rate=8000, seed=index)
    return folder


def assembly_stories(seed: int = 0) -> dict:
    return lebel_like_stories(STORIES, [N_TRS[s] for s in STORIES], n_voxels=6, seed=seed)


def write_assembly(tmp_path, monkeypatch, modules=CURRENT, protocol=4, numpy1=False, seed=0):
    """An assembly pickle written through stand-in classes; `numpy1` spells numpy 1.x paths."""
    stories = assembly_stories(seed)
    assembly = fake_assembly(stand_in_classes(monkeypatch, *modules), stories)
    path = write_pickle(tmp_path / f"assembly_{seed}.pkl", assembly, protocol)
    if numpy1:
        path.write_bytes(path.read_bytes().replace(b"numpy._core.", b"numpy.core."))
    return path, stories


def import_assembly(pickle_path, subject, audio_dir, out) -> int:
    return import_assembly_main([str(pickle_path), "--subject", subject, "--audio-dir",
                                 str(audio_dir), "--out", str(out)])


@pytest.mark.parametrize("modules, protocol, numpy1", [
    pytest.param(CURRENT, 4, False, id="current module paths"),
    pytest.param(OLDER, 2, False, id="older module paths, protocol 2"),
    pytest.param(CURRENT, 2, True, id="numpy 1.x paths"),
    pytest.param(CURRENT, 5, False, id="protocol 5"),
    pytest.param(CURRENT, 0, False, id="protocol 0"),
])
def test_assembly_pickle_becomes_a_dataset(tmp_path, monkeypatch, audio_dir, modules, protocol, numpy1):
    path, stories = write_assembly(tmp_path, monkeypatch, modules, protocol, numpy1)
    if numpy1:
        assert b"numpy.core.multiarray" in path.read_bytes()
    out = tmp_path / "data"
    assert import_assembly(path, "UTS03", audio_dir, out) == 0

    manifest = read_manifest(out / "stories.tsv")
    assert [s.name for s in manifest] == STORIES
    assert [s.split for s in manifest] == ["train", "train", "test"]
    table = pd.read_csv(out / "stories.tsv", sep="\t", dtype=str)
    assert table["tr_times"].tolist() == [f"tr_times/{s}.npy" for s in STORIES]
    assert table["audio"].tolist() == [f"audio/{s}.wav" for s in STORIES]
    for story in manifest:
        times, brain = stories[story.name]
        assert story.n_trs == len(times) and story.tr == 2.0
        np.testing.assert_array_equal(tr_times(**story.tr_grid_params()), times)
        assert story.audio.read_bytes() == (audio_dir / f"{story.name}.wav").read_bytes()
        responses = np.load(out / "responses" / "UTS03" / f"{story.name}.npy")
        assert responses.dtype == np.float32
        np.testing.assert_array_equal(responses, brain.astype(np.float32))
    record, = json.loads((out / "PROVENANCE.json").read_text())["imports"]
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record["source"] == str(path.resolve()) and record["date"]
    assert record["command"][0] == "speech-encoding-import-assembly"


def test_a_second_subject_adds_responses_and_keeps_the_dataset(tmp_path, monkeypatch, audio_dir):
    first, _ = write_assembly(tmp_path, monkeypatch, seed=0)
    second, stories = write_assembly(tmp_path, monkeypatch, seed=1)
    out = tmp_path / "data"
    assert import_assembly(first, "UTS01", audio_dir, out) == 0
    manifest = (out / "stories.tsv").read_bytes()
    audio_times = [p.stat().st_mtime_ns for p in sorted((out / "audio").iterdir())]
    assert import_assembly(second, "UTS02", audio_dir, out) == 0
    assert (out / "stories.tsv").read_bytes() == manifest
    assert [p.stat().st_mtime_ns for p in sorted((out / "audio").iterdir())] == audio_times
    np.testing.assert_array_equal(np.load(out / "responses" / "UTS02" / "souls.npy"),
                                  stories["souls"][1].astype(np.float32))
    assert sorted(p.name for p in (out / "responses").iterdir()) == ["UTS01", "UTS02"]
    assert len(json.loads((out / "PROVENANCE.json").read_text())["imports"]) == 2


def test_an_assembly_with_another_tr_grid_is_refused_in_the_same_folder(tmp_path, monkeypatch,
                                                                          audio_dir, capsys):
    path, _ = write_assembly(tmp_path, monkeypatch)
    out = tmp_path / "data"
    assert import_assembly(path, "UTS01", audio_dir, out) == 0
    stories = assembly_stories()
    stories["souls"] = (stories["souls"][0] + 0.5, stories["souls"][1])
    other = write_pickle(tmp_path / "other.pkl",
                         fake_assembly(stand_in_classes(monkeypatch, *CURRENT), stories))
    assert import_assembly(other, "UTS02", audio_dir, out) == 1
    error = capsys.readouterr().err
    assert "already holds a different dataset" in error and "souls" in error
    assert not (out / "responses" / "UTS02").exists()


def test_missing_audio_lists_every_missing_story(tmp_path, monkeypatch, audio_dir, capsys):
    path, _ = write_assembly(tmp_path, monkeypatch)
    for story in ("alternateithicatom", "wheretheressmoke"):
        (audio_dir / f"{story}.wav").unlink()
    assert import_assembly(path, "UTS03", audio_dir, tmp_path / "data") == 1
    error = capsys.readouterr().err
    assert "alternateithicatom, wheretheressmoke" in error and str(audio_dir) in error
    assert not (tmp_path / "data").exists()


PAYLOADS = {
    "os.system": lambda marker: (Payload(os.system, (f"touch {marker}",)),
                                 f"{os.system.__module__}.system"),
    "eval": lambda marker: (Payload(eval, (f"open({str(marker)!r}, 'w').close()",)), "builtins.eval"),
    "subprocess.Popen": lambda marker: (Payload(subprocess.Popen, (["touch", str(marker)],)),
                                        "subprocess.Popen"),
}


@pytest.mark.parametrize("call", PAYLOADS)
@pytest.mark.parametrize("nested", [False, True], ids=["top level", "inside a story"])
def test_a_pickle_calling_anything_else_is_refused_unexecuted(tmp_path, monkeypatch, audio_dir,
                                                              capsys, call, nested):
    marker = tmp_path / "executed"
    payload, refused = PAYLOADS[call](marker)
    obj = payload
    if nested:
        classes = stand_in_classes(monkeypatch, *CURRENT)
        assembly = fake_assembly(classes, assembly_stories())
        assembly.story_data["souls"] = fake_story(classes[0], "souls", *assembly_stories()["souls"],
                                                  stimuli=payload)
        obj = assembly
    path = write_pickle(tmp_path / "evil.pkl", obj)
    assert import_assembly(path, "UTS03", audio_dir, tmp_path / "data") == 1
    error = capsys.readouterr().err
    assert f"pickle refers to {refused}, which is not allowed" in error and str(path) in error
    assert not marker.exists()
    assert not (tmp_path / "data").exists()
    result = pickle.loads(pickle.dumps(payload))
    getattr(result, "wait", lambda: None)()
    assert marker.exists(), "the payload runs under a plain pickle.loads"


def test_only_the_tutorial_classes_are_mapped(tmp_path, monkeypatch, audio_dir, capsys):
    path, _ = write_assembly(tmp_path, monkeypatch, modules=("mylib.story_data", "mylib.assemblies"))
    assert import_assembly(path, "UTS03", audio_dir, tmp_path / "data") == 1
    assert "pickle refers to mylib.assemblies.SimpleNeuroidAssembly" in capsys.readouterr().err
    path.write_bytes(b"not a pickle at all")
    assert import_assembly(path, "UTS03", audio_dir, tmp_path / "data") == 1
    assert "not a readable assembly pickle" in capsys.readouterr().err


@pytest.mark.workflow
def test_an_imported_assembly_plans_the_lebel_run(tmp_path, monkeypatch, audio_dir, tiny_whisper):
    path, _ = write_assembly(tmp_path, monkeypatch)
    assert import_assembly(path, "UTS03", audio_dir, tmp_path / "data" / "lebel") == 0
    write_config(tmp_path, lebel_config(tiny_whisper))
    result = run_ok(tmp_path, "-n")
    assert planned_jobs(result) == expected_jobs(3, 1)
    assert "No brain maps for subject UTS03: the \"*\" entry does not apply: pycortex filestore " \
           "data/lebel/pycortex-db is not a folder" in result.stdout + result.stderr


# ---------------------------------------------------------------- ds003020

RESPDICT = {**N_TRS, "avatar": 70, "legacy": 66}
SUBJECTS = {"UTS01": 5, "UTS02": 7}


@pytest.fixture(scope="module")
def ds003020(tmp_path_factory, pycortex_store):
    """Three complete stories; avatar has no responses, legacy no audio. Its pycortex filestore
    holds UTS01 (pycortex's S1, as UTS01_auto, with a thick mask of UTS01's 5 voxels), not UTS02."""
    root = tmp_path_factory.mktemp("ds003020")
    write_ds003020(root, RESPDICT, SUBJECTS, no_audio=("legacy",), no_responses=("avatar",))
    subject = root / "derivative" / "pycortex-db" / "UTS01"
    shutil.copytree(pycortex_store / "S1", subject, ignore=shutil.ignore_patterns("cache"))
    (subject / "transforms" / "fullhead").rename(subject / "transforms" / "UTS01_auto")
    write_subset_mask(subject / "transforms" / "UTS01_auto", "thick", SUBJECTS["UTS01"])
    return root


def import_lebel(root, out, *options: str) -> int:
    return import_lebel_main([str(root), "--out", str(out), *options])


def test_ds003020_becomes_a_dataset_on_the_tutorial_grid(ds003020, tmp_path, caplog):
    import h5py

    out = tmp_path / "data"
    assert import_lebel(ds003020, out, "--subjects", "UTS01", "UTS02") == 0
    assert "skipping story avatar" in caplog.text and "skipping story legacy" in caplog.text
    manifest = read_manifest(out / "stories.tsv")
    assert [s.name for s in manifest] == STORIES
    assert [s.split for s in manifest] == ["train", "train", "test"]
    for story in manifest:
        n = N_TRS[story.name]
        assert story.n_trs == n - 5
        np.testing.assert_allclose(tr_times(**story.tr_grid_params()), 2.0 * np.arange(n - 5) - 9.0)
        assert story.audio.read_bytes() == (ds003020 / "stimuli" / f"{story.name}.wav").read_bytes()
        for subject, n_voxels in SUBJECTS.items():
            responses = np.load(out / "responses" / subject / f"{story.name}.npy")
            source = ds003020 / "derivative" / "preprocessed_data" / subject / f"{story.name}.hf5"
            with h5py.File(source, "r") as handle:
                np.testing.assert_array_equal(responses, handle["data"][:].astype(np.float32))
            assert responses.dtype == np.float32 and responses.shape == (n - 20, n_voxels)
    record, = json.loads((out / "PROVENANCE.json").read_text())["imports"]
    respdict = (ds003020 / "derivative" / "respdict.json").read_bytes()
    assert record["sha256"] == {"derivative/respdict.json": hashlib.sha256(respdict).hexdigest()}
    assert "derivative/preprocessed_data/UTS02/souls.hf5" in record["files"]
    pycortex_db = ds003020 / "derivative" / "pycortex-db"
    assert record["pycortex_db"] == {"path": str(pycortex_db.resolve()),
                                     "transforms": {"UTS01": ["UTS01_auto", "retinotopy"], "UTS02": []}}
    assert (out / "pycortex-db").resolve() == pycortex_db.resolve()
    assert "pycortex-db has no transform UTS02_auto for subject UTS02" in caplog.text


def test_ds003020_individual_repeats_become_repeats_files(ds003020, tmp_path, caplog):
    import h5py

    caplog.set_level(logging.INFO)
    out = tmp_path / "data"
    assert import_lebel(ds003020, out, "--subjects", "UTS01", "UTS02") == 0
    for subject, n_voxels in SUBJECTS.items():
        assert sorted(p.name for p in (out / "repeats" / subject).iterdir()) == ["wheretheressmoke.npy"]
        repeats = np.load(out / "repeats" / subject / "wheretheressmoke.npy")
        source = ds003020 / "derivative" / "preprocessed_data" / subject / "wheretheressmoke.hf5"
        with h5py.File(source, "r") as handle:
            np.testing.assert_array_equal(repeats, handle["individual_repeats"][:].astype(np.float32))
        assert repeats.dtype == np.float32 and repeats.shape == (3, 70 - 20, n_voxels)
        assert f"subject {subject}: responses to 3 stories written; repeats: wheretheressmoke x 3" \
            in caplog.text
    record, = json.loads((out / "PROVENANCE.json").read_text())["imports"]
    assert record["repeats"] == {"UTS01": {"wheretheressmoke": 3}, "UTS02": {"wheretheressmoke": 3}}


def test_ds003020_repeats_of_another_shape_are_an_error(tmp_path, capsys):
    root = write_ds003020(tmp_path / "ds", N_TRS, SUBJECTS, repeat_rows=1)
    assert import_lebel(root, tmp_path / "data", "--subjects", "UTS01") == 1
    error = capsys.readouterr().err
    assert "wheretheressmoke.hf5: individual_repeats has shape (3, 51, 5)" in error
    assert "the shape of 'data' (50, 5)" in error


def test_an_assembly_import_makes_an_empty_repeats_folder(tmp_path, monkeypatch, audio_dir):
    pickle_path, _ = write_assembly(tmp_path, monkeypatch)
    assert import_assembly(pickle_path, "UTS03", audio_dir, tmp_path / "data") == 0
    assert (tmp_path / "data" / "repeats").is_dir() and not any((tmp_path / "data" / "repeats").iterdir())


def test_subjects_imported_one_at_a_time_share_one_manifest(ds003020, tmp_path, capsys):
    together, apart = tmp_path / "together", tmp_path / "apart"
    assert import_lebel(ds003020, together, "--subjects", "UTS01", "UTS02") == 0
    assert import_lebel(ds003020, apart, "--subjects", "UTS01") == 0
    assert import_lebel(ds003020, apart, "--subjects", "UTS02") == 0
    assert (apart / "stories.tsv").read_text() == (together / "stories.tsv").read_text()
    assert sorted(p.name for p in (apart / "responses").iterdir()) == ["UTS01", "UTS02"]
    assert import_lebel(ds003020, apart, "--subjects", "UTS02", "--stories", "souls",
                        "wheretheressmoke") == 1
    assert "story 'alternateithicatom' only in the existing manifest" in capsys.readouterr().err


@pytest.mark.parametrize("story, missing", [
    ("avatar", "responses of subject UTS01 to story avatar"),
    ("legacy", "audio of story legacy"),
    ("nosuchstory", "no TR count for story(s) nosuchstory"),
])
def test_an_incomplete_story_asked_for_is_an_error(ds003020, tmp_path, capsys, story, missing):
    assert import_lebel(ds003020, tmp_path / "data", "--subjects", "UTS01", "--stories", "souls",
                        story, "wheretheressmoke") == 1
    assert missing in capsys.readouterr().err
    assert not (tmp_path / "data").exists()


def test_a_test_story_not_imported_is_an_error(ds003020, tmp_path, capsys):
    assert import_lebel(ds003020, tmp_path / "data", "--subjects", "UTS01", "--stories", "souls",
                        "alternateithicatom") == 1
    assert "test story 'wheretheressmoke' is not among the stories" in capsys.readouterr().err


def test_response_rows_that_do_not_match_respdict_are_an_error(tmp_path, capsys):
    root = write_ds003020(tmp_path / "ds", N_TRS, SUBJECTS, extra_rows={("UTS02", "souls"): 1})
    assert import_lebel(root, tmp_path / "data", "--subjects", "UTS01", "UTS02") == 1
    error = capsys.readouterr().err
    assert "subject UTS02, story souls: souls.hf5 has 53 rows" in error and "expected 52" in error
    assert not (tmp_path / "data").exists()


def test_lebel_config_holds_the_tutorial_settings():
    config = validated(yaml.safe_load((REPO / "config" / "lebel.yaml").read_text()))
    feature_set, = config["feature_sets"]
    assert feature_set["model"] == "openai/whisper-tiny" and feature_set["layers"] == [3]
    assert feature_set["chunk_size"] == 0.1 and feature_set["context_size"] == 16.0
    assert feature_set["pool"] == "last" and feature_set["target_sample_rate"] == 16000
    assert config["fir_delays"] == [1, 2, 3, 4] and config["downsample"]["method"] == "rect"
    assert config["trimming"] == {
        "train_features_start": 10, "train_features_end": -5, "train_targets_start": 0,
        "train_targets_end": None, "test_features_start": 50, "test_features_end": -5,
        "test_targets_start": 40, "test_targets_end": None}
    ridge = config["ridge"]
    assert ridge["alphas"] == {"logspace": [-1, 8, 10]} and ridge["alpha_fdr"] == 0.05
    assert (ridge["n_inner_folds"], ridge["chunk_length"], ridge["folding_type"]) == (5, 20, "chunked")
    assert ridge["fold_remainder"] == "last"
    assert ridge["normalpha"] and not ridge["single_alpha"]


@pytest.mark.workflow
def test_imported_ds003020_runs_the_lebel_config_end_to_end(ds003020, tmp_path, tiny_whisper):
    assert import_lebel(ds003020, tmp_path / "data" / "lebel", "--subjects", "UTS01", "UTS02") == 0
    write_config(tmp_path, lebel_config(tiny_whisper))
    assert planned_jobs(run_ok(tmp_path, "-n")) == expected_jobs(3, 2, n_ceilings=2, n_maps=1)
    result = run_ok(tmp_path)
    assert "No brain maps for subject UTS02: the \"*\" entry does not apply: unknown pycortex " \
           "subject 'UTS02'" in result.stdout + result.stderr
    results = tmp_path / "results" / "lebel"
    table = pd.read_parquet(results / "summary.parquet")
    assert sorted(table["subject"]) == ["UTS01", "UTS02"] and set(table["layer"]) == {1}
    for subject, n_voxels in SUBJECTS.items():
        fit = results / "fits" / subject / "whisper-tiny" / "layer1"
        summary = json.loads((fit / "summary.json").read_text())
        assert summary["n_train_rows"] == (70 - 20) + (72 - 20)
        assert summary["n_test_rows"] == 70 - 60
        assert summary["n_voxels"] == n_voxels
        # the test story's imported repeats give the voxels ceilings (signal sd = noise sd, 3 repeats:
        # 0.87 planted, estimated from the 10 scored rows)
        voxels = pd.read_parquet(fit / "voxels.parquet")
        assert voxels["noise_ceiling"].notna().sum() >= n_voxels - 1
        assert voxels["noise_ceiling"].median() > 0.5
    # flatmaps of UTS01 in the dataset's filestore, through the link the importer made
    maps = results / "maps" / "UTS01" / "whisper-tiny"
    assert {p.name for p in (maps / "layer1").glob("*.png")} == {
        "r.png", "r_significant.png", "alpha.png", "r_normalized.png"}
    assert (maps / "best_layer.png").stat().st_size > 10_000
    assert not (results / "maps" / "UTS02").exists()


@pytest.mark.workflow
def test_the_shipped_lebel_config_plans_as_is_with_the_model_in_the_hub_cache(ds003020, tmp_path,
                                                                                monkeypatch):
    """`snakemake -n --configfile config/lebel.yaml`, unchanged, on an imported tree. The hub id
    openai/whisper-tiny resolves from a private Hugging Face cache holding a random model with
    whisper-tiny's layer count: nothing is downloaded."""
    repo = tmp_path / "hf" / "models--openai--whisper-tiny"
    revision = "0" * 40
    write_demo_model({"seed": 0, "num_mel_bins": 80, "d_model": 16, "encoder_layers": 4,
                      "attention_heads": 2, "ffn_dim": 32}, repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert import_lebel(ds003020, tmp_path / "data" / "lebel", "--subjects", "UTS01", "UTS02") == 0
    shutil.copy(REPO / "config" / "lebel.yaml", tmp_path / "config.yaml")
    assert planned_jobs(run_ok(tmp_path, "-n")) == expected_jobs(3, 2, n_ceilings=2, n_maps=1)
