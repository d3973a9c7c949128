"""The dry-run parser the workflow tests rely on: an empty plan only when Snakemake says so."""

from __future__ import annotations

import subprocess

import pytest
from workflow_runner import planned_jobs

JOB_STATS = """Building DAG of jobs...
Job stats:
job                   count
------------------  -------
downsample               20
fit_encoding_model        8
all                       1
total                    29

Reasons:
"""


def dry_run(stdout: str, stderr: str = "") -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(["snakemake", "-n"], 0, stdout, stderr)


def test_job_stats_are_read_rule_by_rule():
    assert planned_jobs(dry_run("", JOB_STATS)) == {"downsample": 20, "fit_encoding_model": 8,
                                                    "all": 1}


def test_nothing_to_be_done_is_the_only_empty_plan():
    nothing = "Building DAG of jobs...\nNothing to be done (all requested files are present).\n"
    assert planned_jobs(dry_run(nothing)) == {}


@pytest.mark.parametrize("output", ["", "Building DAG of jobs...\nsome new wording\n",
                                    "Job stats:\njob count\n--- ---\nnot a table row at all\n"],
                         ids=["empty", "unknown wording", "unreadable table"])
def test_output_it_cannot_read_fails_with_the_output(output):
    with pytest.raises(AssertionError, match="Job stats") as error:
        planned_jobs(dry_run(output + "marker"))
    assert "marker" in str(error.value)
