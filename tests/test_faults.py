"""Faults: killed jobs, a second snakemake process, determinism, and bad input that must not
destroy earlier results."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest
import soundfile
from conftest import REPO, TINY_DEMO, validated, write_config
from workflow_runner import digests, run_ok, snakemake

from speech_encoding.demo.dataset import write_demo_dataset

pytestmark = pytest.mark.workflow


def start(workdir, *args) -> subprocess.Popen:
    """snakemake in the background, in its own process group (so it can be killed whole)."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
               "--cores", "2", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def kill(process) -> None:
    """SIGKILL snakemake and every job it started, as a lost node would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def prepare(workdir, model) -> None:
    """A bring-your-own dataset (3 stories, 1 subject) and a config for it."""
    demo = {**validated(TINY_DEMO)["demo"], "n_train_stories": 2, "subjects": ["s1"],
            "story_duration": 30.0}
    write_demo_dataset(demo, workdir / "data")
    write_config(workdir, {
        "dataset": {"stories": "data/stories.tsv", "responses": "data/responses"},
        "feature_sets": [{**TINY_DEMO["feature_sets"][0], "model": model, "pool": "last",
                          "layers": [0]}],
        "ridge": {"chunk_length": 5, "n_inner_folds": 3},
    })


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, tiny_hubert):
    workdir = tmp_path_factory.mktemp("clean")
    prepare(workdir, tiny_hubert)
    run_ok(workdir)
    return workdir


def find_job(process, script: str, timeout=300.0) -> psutil.Process:
    """The job process (a child of snakemake) running `script`, once it has started. Tests
    suspend it (SIGSTOP) at once, so that it is still mid-job whenever they kill it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(process.pid).children(recursive=True):
            try:
                if any(script in part for part in child.cmdline()):
                    return child
            except psutil.NoSuchProcess:
                continue
        assert process.poll() is None, process.stdout.read()
        time.sleep(0.1)
    raise AssertionError(f"no job running {script}")


def test_killed_jobs_are_redone_and_a_run_from_scratch_is_bit_identical(tmp_path, clean_run,
                                                                        tiny_hubert):
    prepare(tmp_path, tiny_hubert)
    results = tmp_path / "results"
    running = start(tmp_path)
    job = find_job(running, "extract_features")
    job.suspend()
    second = snakemake(tmp_path)
    assert second.returncode != 0 and "cannot be locked" in second.stdout + second.stderr
    job.kill()
    assert running.wait(timeout=120) != 0
    assert not any((results / "features").glob("tiny/*/meta.json"))
    run_ok(tmp_path, "--until", "delay")

    running = start(tmp_path, "--forcerun", "fit_encoding_model")
    find_job(running, "fit_encoding_model").suspend()
    kill(running)
    locked = snakemake(tmp_path)
    assert locked.returncode != 0 and "--unlock" in locked.stdout + locked.stderr
    run_ok(tmp_path, "--unlock")
    rerun = run_ok(tmp_path)
    assert "rule fit_encoding_model" in rerun.stdout + rerun.stderr
    expected = digests(clean_run / "results")
    assert len(expected) > 10
    assert digests(results) == expected


def test_bad_input_never_destroys_earlier_results(tmp_path, clean_run):
    workdir = tmp_path / "copy"
    shutil.copytree(clean_run, workdir)
    results = workdir / "results"
    snapshot = {p: p.stat().st_mtime_ns for p in results.rglob("*") if p.is_file()}
    audio_path = workdir / "data" / "audio" / "story02.wav"
    original = audio_path.read_bytes()

    audio_path.write_bytes(original[:-20000])
    result = snakemake(workdir)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "story 'story02'" in output and "truncated" in output
    assert {p: p.stat().st_mtime_ns for p in results.rglob("*") if p.is_file()} == snapshot

    audio, rate = soundfile.read(audio_path, dtype="float32")
    audio[100] = np.nan
    soundfile.write(audio_path, audio, rate, subtype="FLOAT")
    kept = [results / "fits" / "s1" / "tiny" / "layer0" / "voxels.parquet",
            results / "summary.parquet", results / "features" / "tiny" / "story01" / "layer0.npy"]
    before = {p: p.read_bytes() for p in kept}
    result = snakemake(workdir)
    log = "results/logs/resample_audio/16000hz/story02.log"
    assert result.returncode != 0 and log in result.stdout + result.stderr
    assert "story 'story02': audio file" in (workdir / log).read_text()
    assert "contains NaN" in (workdir / log).read_text()
    assert not (results / "audio" / "16000hz" / "story02.wav").exists()
    assert not list((results / "audio" / "16000hz").glob(".*.tmp"))
    assert {p: p.read_bytes() for p in kept} == before
