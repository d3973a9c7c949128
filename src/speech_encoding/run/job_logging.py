"""Sending a job's logging, warnings and progress bars (stderr) to its log file."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path


def log_to_file(path: str | Path) -> None:
    """Route logging, warnings and stderr of this process to `path` (line-buffered). A job running
    under SLURM first records its job id and node, so its log says where it ran."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "w", buffering=1)
    sys.stderr = handle
    logging.basicConfig(stream=handle, level=logging.INFO, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    if "SLURM_JOB_ID" in os.environ:
        logging.info("SLURM_JOB_ID=%s on node %s", os.environ["SLURM_JOB_ID"],
                     os.environ.get("SLURMD_NODENAME", "unknown"))
