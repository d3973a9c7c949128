"""A job's log file: what log_to_file records (in a subprocess, since it takes over stderr), and an
interrupted job ending with one line rather than a traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from speech_encoding.run.job_logging import interrupt_hook, job_name

JOB = """
import logging, sys, time
from speech_encoding.run.job_logging import log_to_file
log_to_file(sys.argv[1])
logging.info("working")
print("progress", file=sys.stderr)
if sys.argv[2:] == ["wait"]:
    print("ready", flush=True)
    time.sleep(60)
"""

INTERRUPTED = ("Interrupted: extract_features (tiny/story04). Snakemake removes "
               "this job's incomplete outputs; rerun the same command to resume.")
EXTRACTION_LOG = "results/logs/extract_features/tiny/story04.log"


def log_of_job(tmp_path, **environment) -> str:
    """The log of a job run with the SLURM variables of `environment` (and no others)."""
    path = tmp_path / EXTRACTION_LOG
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


def raised(error: BaseException) -> tuple[type[BaseException], BaseException, object]:
    """(type, value, traceback) of `error` raised and caught, as an excepthook receives them."""
    try:
        raise error
    except BaseException:
        return sys.exc_info()


def test_an_interrupt_is_one_line_naming_the_job(capfd):
    """In process: the hook writes to the terminal's stderr (fd 2), which log_to_file keeps."""
    passed_on = []
    hook = interrupt_hook(job_name(EXTRACTION_LOG), lambda *info: passed_on.append(info))
    hook(*raised(KeyboardInterrupt()))
    assert capfd.readouterr().err == INTERRUPTED + "\n"
    assert not passed_on


def test_other_errors_keep_their_traceback(capfd):
    passed_on = []
    hook = interrupt_hook("summarize", lambda *info: passed_on.append(info))
    info = raised(ValueError("bad"))
    hook(*info)
    assert passed_on == [info] and capfd.readouterr().err == ""


def test_the_job_is_named_from_its_log_path():
    assert job_name("/data/run/results/logs/summarize.log") == "summarize"
    assert job_name("logs/fit_encoding_model/s1/tiny/layer0.log") == "fit_encoding_model (s1/tiny/layer0)"
    assert job_name("/tmp/logs/x/results/logs/delay/f/layer1.log") == "delay (f/layer1)"
    assert job_name("/tmp/job.log") == "/tmp/job.log"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigint_ends_a_job_with_one_line_and_by_sigint(tmp_path):
    """What Ctrl-C does to a running job: one line on the terminal and in the log, no traceback, and
    the process still ends by SIGINT (so Snakemake reports the job as interrupted)."""
    log = tmp_path / EXTRACTION_LOG
    job = subprocess.Popen([sys.executable, "-c", JOB, str(log), "wait"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert job.stdout.readline() == "ready\n"
    job.send_signal(signal.SIGINT)
    _, terminal = job.communicate(timeout=60)
    assert job.returncode == -signal.SIGINT
    assert terminal == INTERRUPTED + "\n"
    assert log.read_text().splitlines()[-1].endswith("WARNING root: " + INTERRUPTED)
