"""Sending a job's logging, warnings and progress bars (stderr) to its log file, and ending an
interrupted job (Ctrl-C) with one line instead of a traceback."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def log_to_file(path: str | Path, rule: str, wildcards: Iterable[tuple[str, str]] = ()) -> None:
    """Route logging, warnings and stderr of this process to `path` (line-buffered), and make an
    interrupt end the job with one line naming `rule` and its `wildcards`. A job running under SLURM
    first records its job id and node, so its log says where it ran."""
    sys.excepthook = interrupt_hook(job_name(rule, wildcards), sys.excepthook)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w", buffering=1)
    sys.stderr = handle
    logging.basicConfig(stream=handle, level=logging.INFO, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    if "SLURM_JOB_ID" in os.environ:
        logging.info("SLURM_JOB_ID=%s on node %s", os.environ["SLURM_JOB_ID"],
                     os.environ.get("SLURMD_NODENAME", "unknown"))


def job_name(rule: str, wildcards: Iterable[tuple[str, str]]) -> str:
    """'rule (name=value, ...)', or the rule alone when it has no wildcards."""
    values = ", ".join(f"{name}={value}" for name, value in wildcards)
    return f"{rule} ({values})" if values else rule


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
