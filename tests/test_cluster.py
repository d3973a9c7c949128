"""The workflow on a live SLURM cluster through the unchanged profiles/slurm.

Start a one-node cluster on this machine first:  tests/cluster/local_slurm.sh start
Without a responding SLURM these tests are skipped with the reason, unless
SPEECH_ENCODING_CLUSTER_TESTS=required (as in CI), which makes them fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, TINY_DEMO, write_config
from workflow_runner import digests, planned_jobs, run_ok, snakemake

pytestmark = pytest.mark.workflow

# The tiny demo cut to the fewest jobs that still run every rule: one train and one test story
# (with repeats, for the noise ceiling), one subject, one layer.
CONFIG = {**TINY_DEMO,
          "demo": {**TINY_DEMO["demo"], "n_train_stories": 1, "story_duration": 30.0,
                   "subjects": ["s1"]},
          "feature_sets": [{**TINY_DEMO["feature_sets"][0], "layers": [0]}],
          "ridge": {"chunk_length": 5, "n_inner_folds": 2}}

# One CPU per job, so that the 2-CPU test node runs two jobs at once. The local run the cluster
# run is compared with gets the same setting.
THREADS = ("--max-threads", "1")

# The profile as a user runs it; the command line adds only what this test node needs: it has no
# accounting (no account to charge, job status from squeue instead of sacct), no GPU, 2 CPUs, and
# its jobs take seconds, so status checks start 10 s apart rather than 40 s (the plugin adds 10 s
# after each check that finds no job finished).
ON_CLUSTER = ("--profile", str(REPO / "profiles" / "slurm"), "--slurm-no-account",
              "--slurm-status-command", "squeue", "--set-resources", "extract_features:gpu=0",
              "--slurm-init-seconds-before-status-checks", "10", *THREADS)

LOCAL_RULES = {"summarize", "all"}
SUMMARY_OUTPUTS = ("summary.parquet", "summary.csv", "plots/median_r_by_layer.png",
                   "plots/r_histograms.png", "plots/p_histograms.png", "plots/best_layer.png",
                   "plots/noise_ceiling/s1.png", "config_in_effect.yaml", "summary_run.json")
FIT_LOG = "results/logs/fit_encoding_model/s1/tiny/layer0.log"


def slurm_problem() -> str | None:
    """Why the cluster tests cannot run here, or None when a SLURM node is up."""
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        return "snakemake-executor-plugin-slurm is not installed (pip install -e '.[slurm]')"
    if shutil.which("sinfo") is None:
        return "no SLURM on this machine (sinfo not found); see tests/cluster/local_slurm.sh"
    try:
        result = subprocess.run(["sinfo", "--noheader", "--Node", "--format=%T"],
                                capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "SLURM does not respond (sinfo timed out)"
    states = result.stdout.split()
    if result.returncode != 0 or not set(states) & {"idle", "mixed"}:
        return f"SLURM does not respond or has no free node: {result.stderr.strip() or states}"
    return None


@pytest.fixture(scope="module")
def slurm():
    problem = slurm_problem()
    if problem and os.environ.get("SPEECH_ENCODING_CLUSTER_TESTS") == "required":
        pytest.fail(f"SPEECH_ENCODING_CLUSTER_TESTS=required, but {problem}")
    if problem:
        pytest.skip(problem)


def on_cluster(workdir) -> subprocess.CompletedProcess:
    return snakemake(workdir, *ON_CLUSTER)


def submitted_job_ids(result: subprocess.CompletedProcess) -> list[str]:
    return re.findall(r"submitted with SLURM jobid (\d+)", result.stdout + result.stderr)


def output_of(result: subprocess.CompletedProcess) -> str:
    return result.stdout[-3000:] + result.stderr[-6000:]


@dataclass
class Failure:
    """What each step of `break_and_fix_a_fit` left behind."""

    results: Path
    failed: subprocess.CompletedProcess
    failed_log: str
    left_in_fit_folder: list[str]
    summary_after_failure: list[str]
    stale_after_failure: list[str]
    rerun: subprocess.CompletedProcess
    written_by_rerun: set[str]


def break_and_fix_a_fit(workdir: Path) -> Failure:
    """In a finished run's folder: put a NaN into a response file (found only inside the fit job),
    run on the cluster, restore the file, run on the cluster again."""
    results = workdir / "results"
    responses = results / "demo" / "dataset" / "responses" / "s1" / "story01.npy"
    original = np.load(responses)
    corrupt = original.copy()
    corrupt[3, 7] = np.nan
    np.save(responses, corrupt)
    failed = on_cluster(workdir)
    log = workdir / FIT_LOG
    failed_log = log.read_text() if log.exists() else ""
    left = sorted(p.name for p in (results / "fits" / "s1" / "tiny" / "layer0").glob("*"))
    summary = [name for name in SUMMARY_OUTPUTS if (results / name).exists()]
    stale = sorted(str(p.relative_to(results / "stale").as_posix())
                   for p in (results / "stale").rglob("*") if p.is_file())
    np.save(responses, original)
    before = modification_times(results)
    rerun = on_cluster(workdir)
    written = {str(p.relative_to(results).as_posix()) for p, mtime in modification_times(results).items()
               if before.get(p) != mtime}
    return Failure(results, failed, failed_log, left, summary, stale, rerun, written)


def modification_times(results: Path) -> dict[Path, int]:
    """mtime of every output file (logs and benchmarks left out)."""
    return {p: p.stat().st_mtime_ns for p in results.rglob("*")
            if p.is_file() and not {"logs", "benchmarks"} & set(p.parts)}


@dataclass
class Runs:
    """The cluster run's folder and result, the local run's folder, and the failure's record."""

    cluster: Path
    result: subprocess.CompletedProcess
    local: Path
    failure: Failure


def local_run_then_failure(local: Path, copy: Path) -> Failure:
    run_ok(local, *THREADS)
    shutil.copytree(local, copy)
    return break_and_fix_a_fit(copy)


@pytest.fixture(scope="module")
def runs(slurm, tmp_path_factory):
    """The config run from scratch on the cluster. Meanwhile (the cluster run mostly waits for its
    status checks) the same config runs locally, and a copy of that run goes through a job
    failure on the cluster."""
    cluster, local = tmp_path_factory.mktemp("cluster"), tmp_path_factory.mktemp("local")
    write_config(cluster, CONFIG)
    write_config(local, CONFIG)
    copy = tmp_path_factory.mktemp("failure") / "copy"
    with ThreadPoolExecutor(max_workers=1) as pool:
        failure = pool.submit(local_run_then_failure, local, copy)
        result = on_cluster(cluster)
        assert result.returncode == 0, output_of(result)
        return Runs(cluster, result, local, failure.result())


def test_every_job_but_the_local_summary_ran_as_its_own_slurm_job(runs):
    jobs = planned_jobs(runs.result)
    logs = runs.cluster / "results" / "logs"
    ids_by_rule: dict[str, list[str]] = {}
    for path in sorted(logs.rglob("*.log")):
        rule = path.relative_to(logs).parts[0].removesuffix(".log")
        ids_by_rule.setdefault(rule, []).extend(re.findall(r"SLURM_JOB_ID=(\d+)", path.read_text()))
    assert ids_by_rule.pop("summarize") == []
    assert {rule: len(ids) for rule, ids in ids_by_rule.items()} == {
        rule: count for rule, count in jobs.items() if rule not in LOCAL_RULES}
    assert len(ids_by_rule) == 8  # every rule but summarize, noise_ceiling included
    logged = sorted(job for ids in ids_by_rule.values() for job in ids)
    assert logged == sorted(submitted_job_ids(runs.result))


def test_the_outputs_equal_those_of_a_local_run(runs):
    expected = digests(runs.local / "results")
    assert len(expected) > 10
    assert digests(runs.cluster / "results") == expected


def test_a_second_run_submits_nothing(runs):
    result = on_cluster(runs.cluster)
    assert result.returncode == 0, output_of(result)
    assert "Nothing to be done" in result.stdout + result.stderr
    assert submitted_job_ids(result) == []


def test_a_job_failing_on_the_cluster_fails_the_run_naming_its_log(runs):
    failure = runs.failure
    assert failure.failed.returncode != 0
    assert FIT_LOG in failure.failed.stdout + failure.failed.stderr
    job_ids = re.findall(r"SLURM_JOB_ID=(\d+)", failure.failed_log)
    assert job_ids == submitted_job_ids(failure.failed)
    assert "story 'story01'" in failure.failed_log
    assert "1 NaN/inf value(s), first at (row 3, voxel 7)" in failure.failed_log
    assert failure.left_in_fit_folder == []
    # the fit started recomputing, so the summary of the old fits was moved aside, not left in place
    assert failure.summary_after_failure == []
    assert {name.split("/", 1)[1] for name in failure.stale_after_failure} == set(SUMMARY_OUTPUTS)


def test_after_the_fix_a_rerun_completes_only_what_was_missing(runs):
    failure = runs.failure
    assert failure.rerun.returncode == 0, output_of(failure.rerun)
    assert planned_jobs(failure.rerun) == {"fit_encoding_model": 1, "summarize": 1, "all": 1}
    assert len(submitted_job_ids(failure.rerun)) == 1
    assert failure.written_by_rerun == set(SUMMARY_OUTPUTS) | {
        "fits/s1/tiny/layer0/voxels.parquet", "fits/s1/tiny/layer0/summary.json"}
    assert digests(failure.results) == digests(runs.local / "results")
