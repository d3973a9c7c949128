"""What a second analysis costs on the demo: two analyses that differ only in their alphas against
one (README, "Comparing analyses").

Three runs of the embedded demo, each in its own folder: (1) one analysis from scratch; (2) the
same folder after adding a second analysis with other alphas; (3) both analyses from scratch. It
reports each run's wall time and jobs per rule, and the summed run time of the second analysis's
fit jobs (from their benchmark files), which is what (3) should cost on top of (1).

    python benchmarks/analyses_cost.py [--cores 2] [--keep DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from timed_workflow import benchmark_value, timed_snakemake  # noqa: E402
from workflow_runner import planned_jobs  # noqa: E402

ONE = [{"name": "first"}]
TWO = [*ONE, {"name": "second", "ridge": {"alphas": {"logspace": [-3, 10, 14]}}}]


def run(folder: Path, analyses: list[dict], cores: int) -> tuple[float, dict[str, int]]:
    """Run the demo with `analyses` in `folder`: wall seconds and jobs per rule."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["analyses"] = analyses
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    seconds, result = timed_snakemake(folder, cores=cores)
    return seconds, planned_jobs(result)


def fit_seconds(results: Path, analysis: str) -> float:
    """Summed wall seconds of an analysis's fit jobs (their Snakemake benchmark files)."""
    return sum(benchmark_value(path, "s")
               for path in (results / "benchmarks" / "fit_encoding_model" / analysis).rglob("*.tsv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="analyses_cost_"))
    incremental, scratch = root / "incremental", root / "scratch"
    incremental.mkdir(parents=True, exist_ok=True)
    scratch.mkdir(parents=True, exist_ok=True)
    one, one_jobs = run(incremental, ONE, args.cores)
    added, added_jobs = run(incremental, TWO, args.cores)
    both, both_jobs = run(scratch, TWO, args.cores)
    second_fits = fit_seconds(incremental / "results", "second")
    print(f"one analysis from scratch:        {one:6.1f} s  jobs {one_jobs}")
    print(f"adding a second (other alphas):   {added:6.1f} s  jobs {added_jobs}")
    print(f"both from scratch:                {both:6.1f} s  jobs {both_jobs}")
    print(f"second analysis's fit jobs, summed run time: {second_fits:.1f} s "
          f"(on {args.cores} cores they run {min(args.cores, 8)} at a time at most)")
    extra = {rule: count - one_jobs.get(rule, 0) for rule, count in both_jobs.items()
             if count != one_jobs.get(rule, 0)}
    print(f"both - one = {both - one:.1f} s; extra jobs: {extra}")
    print(f"folders in {root}" if args.keep else "")


if __name__ == "__main__":
    main()
