"""A small study from scratch, and a rerun after a ridge change, against the tutorial's way of
extracting features (issue 20: "small studies no slower than the tutorial's library").

    python benchmarks/small_study.py                 # 6 stories of 120 s, 2 subjects, 4 layers
    python benchmarks/small_study.py --keep /tmp/ss  # keep the run's folder
    python benchmarks/small_study.py --snakemake-args="--set-threads extract_features=1"

The study: the embedded demo with 6 stories (5 train, 1 test) of `--story-duration` seconds,
2 subjects and a random-weight Whisper of d_model 128 and 4 layers, features every 0.5 s over
8 s of context. The script

1. runs the workflow from scratch (`snakemake --cores 2`) and reports its wall time and, per
   rule, the jobs and their summed wall seconds (from the rules' benchmark files);
2. changes `ridge.alphas` and runs it again: only the fits and the summary rerun;
3. times the tutorial library's method of extraction on the same resampled audio in one process:
   every window alone through Hugging Face's feature extractor and encoder
   (`tests/extraction_reference.py`, which follows it). Extraction was 189 of the library's 203 s
   in the issue's measurement; its fits took 2.7 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import soundfile
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from extraction_reference import load_reference, reference_loop  # noqa: E402
from timed_workflow import benchmark_value, timed_snakemake  # noqa: E402
from workflow_runner import planned_jobs  # noqa: E402

CHUNK, CONTEXT = 0.5, 8.0


def study_config(story_duration: float) -> dict:
    """The demo's config reshaped into the issue's study."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["demo"].pop("brain", None)  # the study as measured: 200 voxels in no brain, no maps
    config.pop("brain_maps", None)
    config["demo"].update(n_train_stories=5, n_test_stories=1, story_duration=story_duration,
                          n_voxels=200, n_driven=40,
                          model={"d_model": 128, "encoder_layers": 4, "attention_heads": 4,
                                 "ffn_dim": 512})
    config["feature_sets"][0].update(chunk_size=CHUNK, context_size=CONTEXT)
    return config


def run(folder: Path, config: dict, cores: int, extra: tuple[str, ...] = ()) -> tuple[float, dict[str, int]]:
    """Write `config` and run the workflow in `folder` (with `extra` snakemake arguments): wall
    seconds and jobs per rule."""
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    seconds, result = timed_snakemake(folder, *extra, cores=cores)
    return seconds, planned_jobs(result)


def rule_seconds(results: Path, since: float) -> dict[str, tuple[int, float]]:
    """Per rule: jobs and summed wall seconds of the benchmark files written after `since`."""
    totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for path in (results / "benchmarks").rglob("*.tsv"):
        if path.stat().st_mtime < since:
            continue
        rule = path.relative_to(results / "benchmarks").parts[0].removesuffix(".tsv")
        totals[rule][0] += 1
        totals[rule][1] += benchmark_value(path, "s")
    return {rule: (n, seconds) for rule, (n, seconds) in sorted(totals.items())}


def library_extraction_seconds(folder: Path, threads: int) -> tuple[float, int]:
    """Wall seconds and windows of the reference loop over every resampled story."""
    torch.set_num_threads(threads)
    start = time.perf_counter()
    extractor, encoder, is_whisper = load_reference(str(folder / "results" / "demo" / "model"))
    windows = 0
    for path in sorted((folder / "results" / "audio").rglob("*.wav")):
        audio, rate = soundfile.read(path, dtype="float32")
        layers, _ = reference_loop(extractor, encoder, is_whisper, audio, rate, CHUNK, CONTEXT,
                                   "mean")
        windows += len(layers[0])
    return time.perf_counter() - start, windows


def report(label: str, seconds: float, jobs: dict[str, int], per_rule: dict) -> None:
    print(f"{label}: {seconds:.1f} s wall, {sum(jobs.values())} jobs")
    for rule, (n, total) in per_rule.items():
        print(f"  {rule:24s} {n:3d} jobs  {total:7.1f} s summed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--story-duration", type=float, default=120.0, help="seconds")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it")
    parser.add_argument("--snakemake-args", default="",
                        help='more snakemake arguments for both runs, e.g. '
                             '"--set-threads extract_features=1"')
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="small_study_"))
    folder.mkdir(parents=True, exist_ok=True)
    config = study_config(args.story_duration)

    start = time.time()
    extra = tuple(args.snakemake_args.split())
    seconds, jobs = run(folder, config, args.cores, extra)
    report("from scratch", seconds, jobs, rule_seconds(folder / "results", start))

    config["ridge"]["alphas"] = {"logspace": [-1, 8, 12]}
    start = time.time()
    seconds, jobs = run(folder, config, args.cores, extra)
    report("rerun after a change of ridge.alphas", seconds, jobs,
           rule_seconds(folder / "results", start))

    seconds, windows = library_extraction_seconds(folder, args.cores)
    print(f"the library's extraction (reference loop, one process, {args.cores} threads): "
          f"{seconds:.1f} s for {windows} windows")
    print(f"folder: {folder}")


if __name__ == "__main__":
    main()
