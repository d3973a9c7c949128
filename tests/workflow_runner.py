"""Running the repository's workflow from tests, and reading what a run planned and wrote."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def snakemake(workdir: Path, *args: str, config: str = "config.yaml") -> subprocess.CompletedProcess:
    """Run the repository's workflow in `workdir` with the config file `config` there."""
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(workdir), "--configfile", str(workdir / config),
               "--cores", "2", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)


def run_ok(workdir: Path, *args: str, config: str = "config.yaml") -> subprocess.CompletedProcess:
    result = snakemake(workdir, *args, config=config)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return result


def planned_jobs(result: subprocess.CompletedProcess) -> dict[str, int]:
    """Job counts per rule from a dry run's 'Job stats' table; {} only for 'Nothing to be done'.

    Output with neither (or a table that cannot be read) fails with the output in the message,
    so that expecting {} cannot pass on output this parser does not understand.
    """
    output = result.stdout + result.stderr
    lines = output.splitlines()
    if "Job stats:" not in lines:
        assert "Nothing to be done" in output, f"no 'Job stats:' table in:\n{output[-6000:]}"
        return {}
    counts = {}
    for line in lines[lines.index("Job stats:") + 3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    assert counts, f"unreadable 'Job stats:' table in:\n{output[-6000:]}"
    return counts


def digests(results: Path) -> dict[str, str]:
    """sha256 of every .npy, .parquet and .json output; left out: benchmarks, summaries moved
    to stale/ and summary_run.json (it records when and from which config file the run ended)."""
    return {str(p.relative_to(results)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(results.rglob("*"))
            if p.suffix in (".npy", ".parquet", ".json") and not {"benchmarks", "stale"} & set(p.parts)
            and p.name != "summary_run.json"}
