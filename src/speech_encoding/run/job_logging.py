"""Sending a job's logging, warnings and progress bars (stderr) to its log file, and ending an
interrupted job (Ctrl-C) with one line instead of a traceback."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def log_to_file(path: str | Path) -> None:
    """Route logging, warnings and stderr of this process to `path` (line-buffered), and make an
    interrupt end the job with one line naming it (`job_name` of the log path). A job running under
    SLURM first records its job id and node, so its log says where it ran."""
    sys.excepthook = interrupt_hook(job_name(path), sys.excepthook)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w", buffering=1)
    sys.stderr = handle
    logging.basicConfig(stream=handle, level=logging.INFO, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    if "SLURM_JOB_ID" in os.environ:
        logging.info("SLURM_JOB_ID=%s on node %s", os.environ["SLURM_JOB_ID"],
                     os.environ.get("SLURMD_NODENAME", "unknown"))


def job_name(log_path: str | Path) -> str:
    """'rule (value/value)' from a log path `.../logs/<rule>/<wildcard values...>.log` (every rule's
    log follows it); 'rule' alone for a rule without wildcards; the path itself otherwise."""
    parts = Path(log_path).with_suffix("").parts
    folders = [index for index, part in enumerate(parts[:-1]) if part == "logs"]
    if not folders:
        return str(log_path)
    rule, *values = parts[folders[-1] + 1:]
    return f"{rule} ({'/'.join(values)})" if values else rule


def interrupt_hook(job: str, previous: ExceptHook) -> ExceptHook:
    """An excepthook that reports a KeyboardInterrupt as one line (to the terminal and the log) and
    leaves every other exception to `previous`. Python then still ends the process by SIGINT."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            previous(kind, error, tb)
            return
        line = (f"Interrupted: {job}. Snakemake removes this job's incomplete outputs; "
                "rerun the same command to resume.")
        logging.warning(line)
        print(line, file=sys.__stderr__, flush=True)

    return hook
