"""Benchmark of the fit stage's ridge solver against a plain SVD reference and himalaya.

    python benchmarks/ridge_fit.py                       # n=3000, p=1536, v=10000, 5 folds, 10 alphas
    python benchmarks/ridge_fit.py --large               # the stage alone: n=9000, v=95000, memmapped
    python benchmarks/ridge_fit.py --large --significance phase   # ... with the default null

`--significance` (ttest, phase, block or shift; the stage only) sets significance.method/null: with a
permutation null the stage also draws `--permutations` nulls per voxel, and the difference from a
`ttest` run is the null's cost.

Each method runs in its own process on the same seeded random float32 data, so its peak RSS is its
own. The stage's FLOPs are counted from the products it really executes (torch's FlopCounterMode,
in a separate untimed run) and compared with the float32 matmul peak measured here. himalaya is
not a dependency: `pip install himalaya` to include it (otherwise it is reported as missing).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3000, help="training rows")
    parser.add_argument("--test-rows", type=int, default=300)
    parser.add_argument("--features", type=int, default=1536)
    parser.add_argument("--voxels", type=int, default=10000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--alphas", type=int, default=10)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--device", default="cpu", help="the stage's ridge.device")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--large", action="store_true",
                        help="stage only, n=9000 rows and v=95000 voxels read memory-mapped")
    parser.add_argument("--stage-only", action="store_true",
                        help="as --large (memory-mapped, stage only) at --rows and --voxels")
    parser.add_argument("--significance", choices=["ttest", "phase", "block", "shift"],
                        default="ttest")
    parser.add_argument("--permutations", type=int, default=10000)
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.large:
        args.rows, args.voxels = 9000, 95000
    return args


# ---------- data and settings shared by every method ----------

def alphas(n: int) -> np.ndarray:
    return np.logspace(-1, 8, n)


def design(args) -> tuple[np.ndarray, np.ndarray]:
    """Training and test features, float32."""
    rng = np.random.default_rng(args.seed)
    x = rng.standard_normal((args.rows + args.test_rows, args.features), dtype=np.float32)
    return x[:args.rows], x[args.rows:]


def responses(args, x: np.ndarray, seed_offset: int) -> np.ndarray:
    """Responses x @ B + noise, float32, for the rows of `x` (B is the same for every call)."""
    coefficients = np.random.default_rng(args.seed + 1).standard_normal(
        (args.features, args.voxels), dtype=np.float32) / np.sqrt(args.features)
    noise = np.random.default_rng(args.seed + 2 + seed_offset).standard_normal(
        (len(x), args.voxels), dtype=np.float32)
    return x @ coefficients + 2.0 * noise


def folds(args) -> list[tuple[np.ndarray, np.ndarray]]:
    """Contiguous k-fold splits of the training rows."""
    rows = np.arange(args.rows)
    return [(np.setdiff1d(rows, held_out), held_out)
            for held_out in np.array_split(rows, args.folds)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def correlation(predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    p = predicted - predicted.mean(0)
    a = actual - actual.mean(0)
    return (p * a).sum(0) / np.sqrt((p * p).sum(0) * (a * a).sum(0))


# ---------- the three methods (each returns test r and alphas per voxel) ----------

def stage_settings(args):
    """The fit's settings: the benchmark's, and the schema's defaults for the rest."""
    from snakemake.utils import validate

    from speech_encoding.run.settings import RidgeSettings

    ridge = {"alphas": list(alphas(args.alphas)), "n_inner_folds": args.folds,
             "folding_type": "kfold", "device": args.device}
    config = {"dataset": {"stories": "-", "responses": "-"},
              "feature_sets": [{"name": "f", "model": "-"}], "ridge": ridge}
    validate(config, str(Path(__file__).resolve().parents[1] / "workflow" / "schemas"
                         / "config.schema.yaml"))
    return RidgeSettings.from_config(config["ridge"])


def significance_settings(args):
    """`--significance` as the fit's significance settings (the schema's defaults otherwise)."""
    from speech_encoding.run.settings import TUTORIAL_SIGNIFICANCE

    if args.significance == "ttest":
        return TUTORIAL_SIGNIFICANCE
    return dataclasses.replace(TUTORIAL_SIGNIFICANCE, method="permutation", alternative="greater",
                               null=args.significance, n_permutations=args.permutations,
                               block_length=10, combine=None)


def run_stage(args, x_train, y_train, x_test, y_test):
    from speech_encoding.modelling.fit import fit_train_test
    from speech_encoding.modelling.memory_budget import fit_memory_mb, working_memory_bytes
    input_mb = (y_train.nbytes + y_test.nbytes + 2 * (x_train.nbytes + x_test.nbytes)) / 2 ** 20
    table = fit_train_test(x_train, y_train, x_test, y_test, stage_settings(args),
                           working_bytes=working_memory_bytes(fit_memory_mb(input_mb)))
    return table["r"].to_numpy(), table["alpha"].to_numpy()


def run_reference(args, x_train, y_train, x_test, y_test):
    """SVD of each training matrix, a loop over folds and over alphas, weights formed per alpha."""
    grid = alphas(args.alphas)
    scores = np.zeros((len(grid), args.voxels))
    for train, held_out in folds(args):
        u, s, vt = np.linalg.svd(x_train[train], full_matrices=False)
        uty = u.T @ y_train[train]
        for i, alpha in enumerate(grid * s[0]):
            weights = vt.T @ ((s / (s ** 2 + alpha ** 2))[:, None] * uty)
            scores[i] += correlation(x_train[held_out] @ weights, y_train[held_out])
    chosen = grid[len(grid) - 1 - np.argmax(scores[::-1], axis=0)]
    u, s, vt = np.linalg.svd(x_train, full_matrices=False)
    predicted = np.empty((len(x_test), args.voxels), dtype=np.float32)
    for alpha in np.unique(chosen):
        voxels = chosen == alpha
        scaled = alpha * s[0]
        weights = vt.T @ ((s / (s ** 2 + scaled ** 2))[:, None] * (u.T @ y_train[:, voxels]))
        predicted[:, voxels] = x_test @ weights
    return correlation(predicted, y_test), chosen


def run_himalaya(args, x_train, y_train, x_test, y_test):
    """himalaya's RidgeCV, per-voxel alphas, correlation scorer, torch backend (float32)."""
    from himalaya.backend import set_backend
    from himalaya.ridge import RidgeCV
    from himalaya.scoring import correlation_score
    backend = set_backend("torch_cuda" if args.device == "cuda" else "torch")
    scale = np.linalg.norm(x_train, 2)  # normalpha has no himalaya equivalent: scale once
    model = RidgeCV(alphas=alphas(args.alphas) ** 2 * scale ** 2, cv=folds(args),
                    solver_params={"score_func": correlation_score, "local_alpha": True})
    model.fit(x_train, y_train)
    predicted = backend.to_numpy(model.predict(x_test))
    return correlation(predicted, y_test), backend.to_numpy(model.best_alphas_) ** 0.5 / scale


METHODS = {"stage": run_stage, "reference": run_reference, "himalaya": run_himalaya}


def run_role(args) -> None:
    """Child process: build the data, time one method, write its result as JSON and .npy."""
    import torch
    torch.set_num_threads(args.threads)
    x_train, x_test = design(args)
    y_train, y_test = responses(args, x_train, 0), responses(args, x_test, 1)
    warm_up = {"stage": "speech_encoding.modelling.fit", "himalaya": "himalaya.ridge"}
    if args.role in warm_up:  # imports are not part of the timed fit
        __import__(warm_up[args.role])
    started = time.perf_counter()
    r, chosen = METHODS[args.role](args, x_train, y_train, x_test, y_test)
    seconds = time.perf_counter() - started
    np.save(f"{args.out}.npy", np.stack([r, chosen]))
    Path(f"{args.out}.json").write_text(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb()}))


def count_stage_flops(args) -> float:
    """FLOPs of every product the stage executes on this data (an untimed run)."""
    from torch.utils.flop_counter import FlopCounterMode
    x_train, x_test = design(args)
    y_train, y_test = responses(args, x_train, 0), responses(args, x_test, 1)
    with FlopCounterMode(display=False) as counter:
        run_stage(args, x_train, y_train, x_test, y_test)
    return float(counter.get_total_flops())


def matmul_peak(threads: int, device: str) -> float:
    """Best float32 matmul throughput with `threads` torch threads, FLOP/s."""
    import torch
    from peak_throughput import matmul_peak as peak_gflops
    torch.set_num_threads(threads)
    return peak_gflops(device, repeats=5) * 1e9


def child(args, role: str, out: Path) -> dict | None:
    """Run one method in a fresh process; None (with the reason) if it cannot run."""
    command = [sys.executable, __file__, "--role", role, "--out", str(out),
               *[f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items()
                 if k not in ("role", "out", "large") and v is not None]]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "OPENBLAS_NUM_THREADS": str(args.threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        print(f"{role}: failed\n{done.stderr[-2000:]}")
        return None
    result = json.loads(Path(f"{out}.json").read_text())
    result["r"], result["alphas"] = np.load(f"{out}.npy")
    return result


# ---------- the large run: the real fit path on memory-mapped response files ----------

def write_story(folder: Path, name: str, x: np.ndarray, args, seed_offset: int, block: int = 500):
    """Features (float64, as the workflow stores them) and float32 responses, written in blocks."""
    np.save(folder / f"{name}_features.npy", x.astype(np.float64))
    out = np.lib.format.open_memmap(folder / f"{name}_responses.npy", mode="w+",
                                    dtype=np.float32, shape=(len(x), args.voxels))
    for start in range(0, len(x), block):
        out[start:start + block] = responses(args, x[start:start + block], seed_offset + start)
    out.flush()


def run_large_role(args) -> None:
    """Child process: fit_stories on memory-mapped responses, as the fit job does."""
    import torch

    from speech_encoding.data.responses import load_responses
    from speech_encoding.modelling.fit import fit_stories
    from speech_encoding.modelling.memory_budget import fit_memory_mb, working_memory_bytes
    torch.set_num_threads(args.threads)
    folder = Path(args.out)
    stories = {"train": "train", "test": "test"}
    input_mb = sum(f.stat().st_size for f in folder.glob("*.npy")) / 2 ** 20
    features = {s: np.load(folder / f"{s}_features.npy") for s in stories}
    started = time.perf_counter()
    data = {s: load_responses(folder / f"{s}_responses.npy", "bench", s) for s in stories}
    voxels, summary = fit_stories(features, data, stories, None, stage_settings(args), "bench",
                                  working_memory_bytes(fit_memory_mb(input_mb)),
                                  significance=significance_settings(args))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rss_mb": peak_rss_mb(), "job_mem_mb": fit_memory_mb(input_mb),
                      "median_r": float(np.median(voxels["r"])), "n_voxels": len(voxels)}))


def large(args) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMPDIR")) as tmp:
        x_train, x_test = design(args)
        started = time.perf_counter()
        write_story(Path(tmp), "train", x_train, args, 0)
        write_story(Path(tmp), "test", x_test, args, 10 ** 6)
        print(f"wrote {args.rows}+{args.test_rows} rows x {args.voxels} voxels in "
              f"{time.perf_counter() - started:.0f} s")
        command = [sys.executable, __file__, "--role", "large", "--out", tmp,
                   f"--rows={args.rows}", f"--voxels={args.voxels}", f"--threads={args.threads}",
                   f"--features={args.features}", f"--folds={args.folds}",
                   f"--alphas={args.alphas}", f"--test-rows={args.test_rows}",
                   f"--device={args.device}", f"--seed={args.seed}",
                   f"--significance={args.significance}", f"--permutations={args.permutations}"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"large run failed:\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"stage, n={args.rows} rows, p={args.features}, v={args.voxels}, "
              f"{args.test_rows} test rows, significance {args.significance}: "
              f"{result['seconds']:.1f} s, peak RSS {result['rss_mb'] / 1024:.2f} GB "
              f"(job memory request {result['job_mem_mb'] / 1024:.1f} GB), "
              f"median test r {result['median_r']:.3f}")


def compare(args) -> None:
    peak = matmul_peak(args.threads, args.device)
    print(f"data: n={args.rows} training rows (+{args.test_rows} test), p={args.features}, "
          f"v={args.voxels}, {args.folds} folds, {args.alphas} alphas, {args.threads} threads, "
          f"device {args.device}")
    print(f"float32 matmul peak: {peak / 1e9:.1f} GFLOP/s")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for role in METHODS:
            result = child(args, role, Path(tmp) / role)
            if result is not None:
                results[role] = result
                print(f"{role:>10}: {result['seconds']:7.2f} s, peak RSS {result['rss_mb']:7.0f} MB")
    stage = results["stage"]
    for other in ("reference", "himalaya"):
        if other in results:
            print(f"stage is {results[other]['seconds'] / stage['seconds']:.2f}x faster than {other}")
    if "reference" in results:
        same = np.mean(np.isclose(stage["alphas"], results["reference"]["alphas"]))
        print(f"vs reference: same alpha for {100 * same:.2f}% of voxels, max |delta r| "
              f"{np.abs(stage['r'] - results['reference']['r']).max():.2e}")
    flops = count_stage_flops(args)
    achieved = flops / stage["seconds"]
    print(f"stage products: {flops / 1e12:.2f} TFLOP in {stage['seconds']:.2f} s = "
          f"{achieved / 1e9:.1f} GFLOP/s = {100 * achieved / peak:.0f}% of matmul peak")


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.role == "large":
        run_large_role(args)
    elif args.role:
        run_role(args)
    elif args.large or args.stage_only:
        large(args)
    else:
        compare(args)


if __name__ == "__main__":
    main()
