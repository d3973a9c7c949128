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
and with whole stories z-scored before folding (`story`, the tutorial's), and the default's share
of p < 0.05 on them.

Last, the power target at white noise, where the one-sided t-test is valid, measured on enough
voxels to resolve a ratio near 90% (`--power-voxels` planted per effect, as many null voxels, over
`--power-seeds`): per mode and effect, the default's power against the t-test's (one-sided, with the
default's fold combination), both at p < 0.05 and at matched size (each method's threshold the 5%
quantile of its own null voxels' p, so that a test that passes more noise gains no power by it).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence

import numpy as np

from speech_encoding.demo.simulated_responses import FEATURE_RHO, simulate_stories
from speech_encoding.modelling.fit import fit_stories
from speech_encoding.run.settings import SignificanceSettings

EFFECTS = (0.1, 0.2, 0.3)
POWER_EFFECTS = (0.05, 0.1, 0.15, 0.2, 0.3)
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
    The default (`split`) runs the default test and also reports its share of p < 0.05; r does
    not depend on the significance method, so `story` uses the fast t-test."""
    print(f"\nnested CV (kfold outer folds, gap 20), {n_voxels} null voxels per seed: median r "
          "(bootstrap se) / mean r, and for the default the share with p < 0.05")
    print("| rho | outer_zscore | " + " | ".join(f"seed {seed}" for seed in seeds) + " |\n|---|---|"
          + "---|" * len(seeds))
    rng = np.random.default_rng(0)
    for rho in RHOS:
        data = [simulate_stories(rho, np.zeros(n_voxels), N_STORIES, N_ROWS, seed)
                for seed in seeds]
        for zscore in ("split", "story"):
            settings, significance = default_sections({"mode": "nested_cv",
                                                       "outer_zscore": zscore})
            if zscore != "split":
                significance = dataclasses.replace(significance, method="ttest")
            cells = []
            for features, responses in data:
                voxels, _ = fit_stories(features, responses, dict.fromkeys(features, "train"), None,
                                        settings, significance=significance)
                r = voxels["r"].to_numpy()
                boot = np.median(rng.choice(r, (200, len(r))), axis=1)
                cells.append(f"{np.median(r):+.4f} ({boot.std():.4f}) / {r.mean():+.4f}" + (
                    f"; {100 * np.mean(voxels['p'] < 0.05):.2f}%" if zscore == "split" else ""))
            print(f"| {rho} | {zscore} | " + " | ".join(cells) + " |", flush=True)


def called_shares(p: dict[str, np.ndarray], effects: np.ndarray) -> dict[str, list]:
    """Per way of calling ("p < 0.05", "matched size": each method's threshold the 5% quantile of
    its own null voxels' p), the share of planted voxels called per method and effect."""
    cuts = {"p < 0.05": dict.fromkeys(p, np.nextafter(0.05, 0)),  # p < 0.05 as p <= a cut
            "matched size": {key: np.quantile(values[effects == 0], 0.05)
                             for key, values in p.items()}}
    return {name: [[np.mean(p[key][effects == effect] <= cut[key]) for effect in POWER_EFFECTS]
                   for key in p] for name, cut in cuts.items()}


def ratio_cells(per_seed: np.ndarray) -> list[str]:
    """Per effect, "default / t-test = ratio (se)" from (seed, method, effect) powers: the ratio of
    the powers pooled over seeds, its standard error from the spread of the per-seed ratios."""
    ratios = per_seed[:, 0] / per_seed[:, 1]
    pooled = per_seed.mean(axis=0)
    se = ratios.std(axis=0, ddof=1) / np.sqrt(len(ratios)) if len(ratios) > 1 else ratios[0] * np.nan
    return [f"{100 * a:.1f}% / {100 * b:.1f}% = {100 * a / b:.1f}% ({100 * e:.1f})"
            for a, b, e in zip(pooled[0], pooled[1], se, strict=True)]


def power_at_white_noise(n_voxels: int, seeds: Sequence[int], feature_rho: float) -> None:
    """The default's power over the one-sided t-test's at white noise, per mode and effect size,
    at p < 0.05 and at matched size. `feature_rho`: the features' lag-1 autocorrelation (the
    smoother the predictions, the more the exact null costs)."""
    effects = np.concatenate([np.zeros(n_voxels), np.repeat(POWER_EFFECTS, n_voxels)])
    methods = {"default": {}, "ttest": METHODS["ttest greater"]}
    print(f"\nwhite noise, features' lag-1 autocorrelation {feature_rho}, {n_voxels} null and "
          f"{n_voxels} planted voxels per effect, seeds {', '.join(map(str, seeds))}: power of the "
          "default / of the one-sided t-test = ratio (se over seeds)")
    print("| mode | test | null p < 0.05 (default / t-test) | "
          + " | ".join(f"effect {effect}" for effect in POWER_EFFECTS) + " |\n|---|---|---|"
          + "---|" * len(POWER_EFFECTS))
    for mode in ("train_test", "nested_cv"):
        settings, default = default_sections({"mode": mode})
        shares, null_rates = [], []
        for seed in seeds:
            features, responses = simulate_stories(0.0, effects, N_STORIES, N_ROWS, 100 + seed,
                                                  feature_rho)
            splits = dict.fromkeys(features, "train") | {f"s{N_STORIES - 1}": "test"}
            p = {name: fit_stories(features, responses, splits, None, settings,
                                   significance=dataclasses.replace(default, **method))[0]["p"]
                 .to_numpy() for name, method in methods.items()}
            null_rates.append([np.mean(values[effects == 0] < 0.05) for values in p.values()])
            shares.append(called_shares(p, effects))
        default_null, ttest_null = np.mean(null_rates, axis=0)
        for name in shares[0]:
            cells = ratio_cells(np.asarray([seed_shares[name] for seed_shares in shares]))
            print(f"| {mode} | {name} | {100 * default_null:.2f}% / {100 * ttest_null:.2f}% | "
                  + " | ".join(cells) + " |", flush=True)


def main_table(full: bool, seed: int, gaps: Sequence[int]) -> None:
    """Every method in every case and rho: calibration on null voxels, power on planted ones."""
    n_null, n_planted = (8000, 500) if full else (2000, 200)
    nested = {"mode": "nested_cv"}
    cases = [("train_test", {"mode": "train_test"}),
             ("nested_cv, chunked outer folds, gap 0 (tutorial)",
              nested | {"outer_folding_type": "chunked", "fold_gap": 0, "fold_remainder": "last",
                       "outer_zscore": "story"})] + [
        (f"nested_cv, kfold outer folds, gap {gap}", nested | {"fold_gap": gap})
        for gap in gaps] + [
        ("nested_cv, group outer folds", nested | {"outer_folding_type": "group"})]
    header = ["rho", "mode", "method", "p<0.05", "FDR null", "median null r",
              *[f"power {e}" for e in EFFECTS], *[f"FDR {e}" for e in EFFECTS]]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for rho in RHOS:
        planted_effects = np.concatenate([np.zeros(n_null), np.repeat(EFFECTS, n_planted)])
        null_data = simulate_stories(rho, np.zeros(n_null), N_STORIES, N_ROWS, seed)
        planted_data = simulate_stories(rho, planted_effects, N_STORIES, N_ROWS, seed + 1)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more voxels (slower)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gaps", type=int, nargs="+", default=[0, 20],
                        help="nested CV ridge.fold_gap values (kfold outer folds, the default)")
    parser.add_argument("--median-voxels", type=int, default=40_000,
                        help="null voxels per seed for nested CV's median null r (0: skip)")
    parser.add_argument("--median-seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--power-voxels", type=int, default=10_000,
                        help="white-noise power table: null voxels, and planted voxels per effect"
                             " (0: skip)")
    parser.add_argument("--power-seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--power-feature-rho", type=float, default=FEATURE_RHO,
                        help="power table: the features' lag-1 autocorrelation (the other tables "
                             f"use {FEATURE_RHO})")
    parser.add_argument("--skip-main", action="store_true",
                        help="only the median and power tables")
    args = parser.parse_args()
    if not args.skip_main:
        main_table(args.full, args.seed, args.gaps)
    if args.median_voxels:
        median_null_r(args.median_voxels, args.median_seeds)
    if args.power_voxels:
        power_at_white_noise(args.power_voxels, args.power_seeds, args.power_feature_rho)


if __name__ == "__main__":
    main()
