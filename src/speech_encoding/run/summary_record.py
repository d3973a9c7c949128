"""Whether a summary is current: what it records about the run that wrote it, and moving it aside
(into `stale/`) as soon as a fit it summarises is being recomputed."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

from .atomic_io import save_json

log = logging.getLogger(__name__)

RECORD = "summary_run.json"
# What the summary rule writes that a refit makes stale (relative to results_dir).
SUMMARY_FILES = ("summary.parquet", "summary.csv", RECORD, "config_in_effect.yaml", "analyses_in_effect.yaml",
                 "plots")
# The environment variable through which the workflow tells the summary job its config files.
CONFIG_FILES_VARIABLE = "SPEECH_ENCODING_CONFIG_FILES"


def config_digest(config: Mapping) -> str:
    """sha256 of the config in effect (keys sorted, so the order of keys in a file does not count)."""
    text = json.dumps(config, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def write_run_record(path: str | Path, config: Mapping, config_files: Sequence[str],
                     n_fits: int, analyses: Sequence[str]) -> dict:
    """Write what a summary came from: the config files and the digest of the config in effect,
    the fits and analyses it covers, and when it was finished (UTC); return it."""
    record = {
        "config_files": [str(Path(file).resolve()) for file in config_files],
        "config_sha256": config_digest(config),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "n_fits": n_fits,
        "analyses": list(analyses),
    }
    save_json(path, record)
    return record


def config_files_from_environment() -> list[str]:
    """The config files the workflow was started with (set by the Snakefile)."""
    return json.loads(os.environ.get(CONFIG_FILES_VARIABLE, "[]"))


def stale_folder(results_dir: Path) -> Path:
    """Where a summary goes once it is stale: stale/<when it was finished>."""
    try:
        finished = json.loads((results_dir / RECORD).read_text())["finished"]
    except (OSError, ValueError, KeyError):
        present = [results_dir / name for name in SUMMARY_FILES if (results_dir / name).exists()]
        finished = datetime.fromtimestamp(present[0].stat().st_mtime, timezone.utc).isoformat(
            timespec="seconds")
    return results_dir / "stale" / finished.replace(":", "").replace("+0000", "Z")


def retire_summary(results_dir: str | Path) -> Path | None:
    """Move the summary's files to stale/<when it was finished>/ (a fit it summarises is being
    recomputed, so it no longer describes the results); the folder, or None when there was none.
    Jobs that start together move it once (a lock file in results_dir)."""
    results_dir = Path(results_dir)
    if not any((results_dir / name).exists() for name in SUMMARY_FILES):
        return None
    with open(results_dir / ".summary.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        present = [name for name in SUMMARY_FILES if (results_dir / name).exists()]
        if not present:
            return None
        target = stale_folder(results_dir)
        target.mkdir(parents=True, exist_ok=True)
        for name in present:
            os.replace(results_dir / name, target / name)
    log.info("a fit is being recomputed: the summary it made stale moved to %s", target)
    return target
