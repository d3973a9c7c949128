"""Benchmark of the DAG at LeBel's full shape: jobs planned, planning time, SLURM submissions.

    python benchmarks/dag_scale.py                  # 84 stories, 8 subjects, two 12-layer models
    python benchmarks/dag_scale.py --stories 26     # the 26-story subset
    python benchmarks/dag_scale.py --work /tmp/dag  # keep the synthetic tree (rebuilt only if absent)

Builds a synthetic dataset of that shape (short stories: planning reads only audio headers and
response shapes, so their length does not matter) and two random-weight Whisper encoders with
`--layers` layers, then measures, each `--repeats` times (median and range):

- `snakemake -n` from scratch: wall time and the jobs it plans, per rule;
- the same dry run under `profiles/slurm`: the SLURM submissions a full run would make;
- a no-op run after a complete one: every output made (empty) and marked up to date by
  `snakemake --touch`, then `snakemake -n` (it must answer "Nothing to be done");
- the cheap stages for real at a size that fits this machine (`--real-stories` stories, one
  subject, both models, every layer): wall time of downsample and delay, run again with
  `--forcerun downsample --until delay` after one complete run up to them, and the jobs' summed
  CPU seconds from their benchmark files.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from timed_workflow import benchmark_value, timed_snakemake  # noqa: E402
from workflow_runner import planned_jobs  # noqa: E402

from speech_encoding.demo.dataset import write_demo_dataset  # noqa: E402
from speech_encoding.demo.model import write_demo_model  # noqa: E402

CHEAP_RULES = ("downsample", "delay")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=84)
    parser.add_argument("--subjects", type=int, default=8)
    parser.add_argument("--layers", type=int, default=12, help="layers of each of the two models")
    parser.add_argument("--story-duration", type=float, default=60.0, help="seconds")
    parser.add_argument("--real-stories", type=int, default=6,
                        help="stories of the real run of the cheap stages")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, help="folder for the synthetic trees (default: temporary)")
    return parser.parse_args(argv)


def build_tree(folder: Path, n_stories: int, subjects: list[str], n_layers: int,
               story_duration: float) -> None:
    """A dataset of `n_stories` stories (one of them a test story) and two models, with a config."""
    if (folder / "config.yaml").exists():
        return
    demo = {"seed": 0, "n_train_stories": n_stories - 1, "n_test_stories": 1,
            "story_duration": story_duration, "sample_rate": 16000, "tr": 2.0, "subjects": subjects,
            "n_voxels": 8, "n_driven": 2, "noise_level": 1.0, "noise_smoothness": 0.5,
            "n_repeats": 1}
    write_demo_dataset(demo, folder / "data")
    feature_sets = []
    for seed, name in enumerate(("first", "second")):
        write_demo_model({"seed": seed, "num_mel_bins": 80, "d_model": 32, "encoder_layers": n_layers,
                          "attention_heads": 2, "ffn_dim": 64}, folder / "models" / name)
        feature_sets.append({"name": name, "model": f"models/{name}", "chunk_size": 1.0,
                             "context_size": 2.0, "batch_size": 16})
    config = {"dataset": {"stories": "data/stories.tsv", "responses": "data/responses",
                          "subjects": subjects},
              "feature_sets": feature_sets, "ridge": {"chunk_length": 5, "n_inner_folds": 2}}
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def timed(folder: Path, repeats: int, *args: str) -> tuple[list[float], subprocess.CompletedProcess]:
    runs = [timed_snakemake(folder, *args) for _ in range(repeats)]
    return [seconds for seconds, _ in runs], runs[-1][1]


def spread(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.2f} s (range {min(seconds):.2f}-{max(seconds):.2f})"


def mark_complete(folder: Path) -> None:
    """Make the run look complete: an empty file (a folder for a feature folder) for every output
    `snakemake --summary` lists, then `snakemake --touch` to give them the DAG's mtime order."""
    _, result = timed_snakemake(folder, "--summary")
    for line in result.stdout.splitlines()[1:]:
        path = folder / line.split("\t")[0]
        if path.exists():
            continue
        if path.parent.parent.name == "features":  # features/<feature_set>/<story>/
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    timed_snakemake(folder, "--touch", "--quiet", "all")


def cheap_stage_cpu(folder: Path) -> dict[str, tuple[int, float]]:
    """Per cheap rule: jobs and summed CPU seconds (user + system) from the benchmark files."""
    totals = {}
    for rule in CHEAP_RULES:
        files = sorted((folder / "results" / "benchmarks" / rule).rglob("*.tsv"))
        totals[rule] = (len(files), sum(benchmark_value(path, "cpu_time") for path in files))
    return totals


def main(argv=None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        subjects = [f"sub{i + 1:02d}" for i in range(args.subjects)]
        full = work / f"full_{args.stories}x{args.layers}x{args.subjects}"
        build_tree(full, args.stories, subjects, args.layers, args.story_duration)

        seconds, result = timed(full, args.repeats, "-n")
        jobs = planned_jobs(result)
        print(f"dry run, {args.stories} stories x 2 models x {args.layers} layers x "
              f"{args.subjects} subjects: {spread(seconds)}")
        print(f"  jobs planned: {sum(jobs.values())}  {jobs}")

        _, result = timed_snakemake(full, "-n", "--profile", str(REPO / "profiles" / "slurm"),
                              "--slurm-no-account")
        slurm_jobs = planned_jobs(result)
        local = {"summarize", "all"}
        print(f"  SLURM submissions of a full run: "
              f"{sum(n for rule, n in slurm_jobs.items() if rule not in local)}")

        mark_complete(full)
        seconds, result = timed(full, args.repeats, "-n")
        if planned_jobs(result):
            sys.exit(f"after --touch the dry run still plans {planned_jobs(result)}")
        print(f"no-op run after a complete run: {spread(seconds)}")

        small = work / f"real_{args.real_stories}x{args.layers}"
        build_tree(small, args.real_stories, ["sub01"], args.layers, 60.0)
        timed_snakemake(small, "--until", "delay")
        seconds, _ = timed_snakemake(small, "--forcerun", "downsample", "--until", "delay")
        cpu = cheap_stage_cpu(small)
        print(f"cheap stages for real, {args.real_stories} stories x 2 models x {args.layers} layers: "
              f"{seconds:.1f} s wall on 2 cores; " + ", ".join(
                  f"{rule}: {n} jobs, {total:.1f} CPU s" for rule, (n, total) in cpu.items()))


if __name__ == "__main__":
    main()
