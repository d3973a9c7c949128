"""Calibration of the significance methods on simulated fMRI-like data, in both modes.

Data from `speech_encoding.demo.simulated_responses`: smooth, FIR-delayed features and AR(1) noise
along TRs (rho in {0, 0.3, 0.7, 0.9}). Two simulations per rho:
- null: no voxel has signal. Reported: the fraction of voxels with p < 0.05 (a valid test: 5%),
  the fraction called significant at FDR 0.05 (BH; a valid test: about 0) and the median r;
- planted: the same null voxels plus voxels with a random linear read-out of the features at a
  few effect sizes (signal std / noise std); reported per effect: the power of the test at level
  0.05 (planted voxels with p < 0.05) and the share of planted voxels called at FDR 0.05 (which
  also depends on how many voxels are planted).
Six stories of 200 TRs; train/test holds out the last story; nested CV's five outer folds of 240
rows cut through stories, so the fold gap matters.

    python benchmarks/calibration.py            # 2000 null voxels, 3 x 200 planted
    python benchmarks/calibration.py --full     # 8000 null voxels, 3 x 500 planted

Then nested CV's median null r over 40,000 null voxels per seed (`--median-voxels`), with each
outer fold's training and held-out rows z-scored apart (`ridge.outer_zscore: split`, the default)
and with whole stories z-scored before folding (`story`, the tutorial's).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence

import numpy as np

from speech_encoding.demo.simulated_responses import simulate_stories
from speech_encoding.modelling.fit import fit_stories
from speech_encoding.run.settings import SignificanceSettings

EFFECTS = (0.1, 0.2, 0.3)
N_STORIES, N_ROWS = 6, 200
RHOS = (0.0, 0.3, 0.7, 0.9)


def null_metrics(voxels) -> dict:
    """Calibration on a simulation without signal."""
    return {"p<0.05": np.mean(voxels["p"] < 0.05), "FDR null": np.mean(voxels["significant"]),
            "median null r": float(np.median(voxels["r"]))}


def power(voxels, effects: np.ndarray) -> dict:
    """Per planted effect size: the power of the test at level 0.05 (p < 0.05), and the share
    called at FDR 0.05 among these null and planted voxels together."""
    return {f"{kind} {effect}": np.mean(called[effects == effect])
            for kind, called in (("power", voxels["p"] < 0.05), ("FDR", voxels["significant"]))
            for effect in EFFECTS}


def default_sections(ridge: dict) -> tuple:
    """RidgeSettings and SignificanceSettings of the schema's defaults, updated by `ridge`."""
    from pathlib import Path

    from snakemake.utils import validate

    from speech_encoding.run.settings import RidgeSettings

    config = {"dataset": {"stories": "s.tsv", "responses": "r"},
              "feature_sets": [{"name": "f", "model": "m"}], "ridge": ridge}
    validate(config, str(Path(__file__).resolve().parents[1] / "workflow/schemas/config.schema.yaml"))
    return (RidgeSettings.from_config(config["ridge"]),
            SignificanceSettings.from_config(config["significance"]))


METHODS = {"ttest two-sided, fisher (tutorial)": {"method": "ttest", "alternative": "two-sided"},
           "ttest greater": {"method": "ttest", "alternative": "greater", "combine": "cauchy"},
           "permutation phase (default)": {"method": "permutation", "alternative": "greater"},
           "permutation block": {"method": "permutation", "alternative": "greater", "null": "block"},
           "permutation shift": {"method": "permutation", "alternative": "greater",
                                 "null": "shift"}}


def median_null_r(n_voxels: int, seeds: Sequence[int]) -> None:
    """Nested CV's median null r (default folds) over many voxels, with each outer fold's two
    sides z-scored apart (the default) and with whole stories z-scored first (the tutorial's).
    r does not depend on the significance method, so the fast t-test is used."""
    print(f"\nnested CV (kfold outer folds, gap 20), {n_voxels} null voxels per seed: median r "
          "(bootstrap se) / mean r")
    print("| rho | outer_zscore | " + " | ".join(f"seed {seed}" for seed in seeds) + " |\n|---|---|"
          + "---|" * len(seeds))
    rng = np.random.default_rng(0)
    for rho in RHOS:
        data = [simulate_stories(rho, np.zeros(n_voxels), N_STORIES, N_ROWS, seed)
                for seed in seeds]
        for zscore in ("split", "story"):
            settings, significance = default_sections({"mode": "nested_cv",
                                                       "outer_zscore": zscore})
            cells = []
            for features, responses in data:
                voxels, _ = fit_stories(features, responses, dict.fromkeys(features, "train"), None,
                                        settings, significance=dataclasses.replace(
                                            significance, method="ttest"))
                r = voxels["r"].to_numpy()
                boot = np.median(rng.choice(r, (200, len(r))), axis=1)
                cells.append(f"{np.median(r):+.4f} ({boot.std():.4f}) / {r.mean():+.4f}")
            print(f"| {rho} | {zscore} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more voxels (slower)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gaps", type=int, nargs="+", default=[0, 20],
                        help="nested CV ridge.fold_gap values (kfold outer folds, the default)")
    parser.add_argument("--median-voxels", type=int, default=40_000,
                        help="null voxels per seed for nested CV's median null r (0: skip)")
    parser.add_argument("--median-seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    n_null, n_planted = (8000, 500) if args.full else (2000, 200)
    nested = {"mode": "nested_cv"}
    cases = [("train_test", {"mode": "train_test"}),
             ("nested_cv, chunked outer folds, gap 0 (tutorial)",
              nested | {"outer_folding_type": "chunked", "fold_gap": 0, "fold_remainder": "last",
                       "outer_zscore": "story"})] + [
        (f"nested_cv, kfold outer folds, gap {gap}", nested | {"fold_gap": gap})
        for gap in args.gaps] + [
        ("nested_cv, group outer folds", nested | {"outer_folding_type": "group"})]
    header = ["rho", "mode", "method", "p<0.05", "FDR null", "median null r",
              *[f"power {e}" for e in EFFECTS], *[f"FDR {e}" for e in EFFECTS]]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for rho in RHOS:
        planted_effects = np.concatenate([np.zeros(n_null), np.repeat(EFFECTS, n_planted)])
        null_data = simulate_stories(rho, np.zeros(n_null), N_STORIES, N_ROWS, args.seed)
        planted_data = simulate_stories(rho, planted_effects, N_STORIES, N_ROWS, args.seed + 1)
        splits = {story: "train" for story in null_data[0]} | {f"s{N_STORIES - 1}": "test"}
        for mode, ridge in cases:
            settings, default = default_sections(ridge)
            for name, method in METHODS.items():
                significance = dataclasses.replace(default, **method)
                null_voxels, _ = fit_stories(*null_data, splits, None, settings,
                                             significance=significance)
                planted_voxels, _ = fit_stories(*planted_data, splits, None, settings,
                                                significance=significance)
                row = null_metrics(null_voxels) | power(planted_voxels, planted_effects)
                print(f"| {rho} | {mode} | {name} | " + " | ".join(
                    f"{value:+.4f}" if key == "median null r" else f"{100 * value:.1f}%"
                    for key, value in row.items()) + " |", flush=True)
    if args.median_voxels:
        median_null_r(args.median_voxels, args.median_seeds)


if __name__ == "__main__":
    main()
