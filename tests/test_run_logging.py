"""A job's log file: what log_to_file records (in a subprocess, since it takes over stderr)."""

from __future__ import annotations

import os
import subprocess
import sys

JOB = """
import logging, sys
from speech_encoding.run.job_logging import log_to_file
log_to_file(sys.argv[1])
logging.info("working")
print("progress", file=sys.stderr)
"""


def log_of_job(tmp_path, **environment) -> str:
    """The log of a job run with the SLURM variables of `environment` (and no others)."""
    path = tmp_path / "logs" / "job.log"
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLURM")}
    subprocess.run([sys.executable, "-c", JOB, str(path)], env={**env, **environment}, check=True)
    return path.read_text()


def test_a_slurm_job_records_its_job_id_and_node(tmp_path):
    log = log_of_job(tmp_path, SLURM_JOB_ID="4711", SLURMD_NODENAME="node07")
    assert "SLURM_JOB_ID=4711 on node node07" in log
    assert "working" in log and "progress" in log


def test_a_job_outside_slurm_records_no_job_id(tmp_path):
    log = log_of_job(tmp_path)
    assert "SLURM_JOB_ID" not in log
    assert "working" in log and "progress" in log
