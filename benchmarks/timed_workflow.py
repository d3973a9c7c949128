"""What the workflow benchmarks share: one timed snakemake command, and a value from the Snakemake
benchmark file of a job."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed_snakemake(folder: Path, *args: str, cores: int = 2) -> tuple[float, subprocess.CompletedProcess]:
    """Wall seconds and result of `snakemake` with `folder/config.yaml` in `folder`; a failed
    command ends the benchmark with its command line and output."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(folder), "--configfile", str(folder / "config.yaml"),
               "--cores", str(cores), *args]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    return seconds, result


def benchmark_value(path: Path, column: str) -> float:
    """One column (`s`: wall seconds, `cpu_time`: CPU seconds) of a job's benchmark file."""
    with path.open() as handle:
        return float(next(csv.DictReader(handle, delimiter="\t"))[column])
