"""Calibration of the significance methods on simulated fMRI-like data, in both modes.

Data from `speech_encoding.demo.simulated_responses`: smooth, FIR-delayed features and AR(1) noise
along TRs (rho in {0, 0.3, 0.7, 0.9}). Two simulations per rho:
- null: no voxel has signal. Reported: the fraction of voxels with p < 0.05 (a valid test: 5%),
  the fraction called significant at FDR 0.05 (BH; a valid test: about 0) and the median r;
- planted: the same number of null voxels plus voxels with a random linear read-out of the
  features at a few effect sizes (signal std / noise std); reported: the power at FDR 0.05.
Six stories of 200 TRs; train/test holds out the last story; nested CV's five outer folds of 240
rows cut through stories, so the fold gap matters.

    python benchmarks/calibration.py            # 2000 null voxels, 3 x 200 planted
    python benchmarks/calibration.py --full     # 8000 null voxels, 3 x 500 planted
"""

from __future__ import annotations

import argparse
import dataclasses

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
    """Power at FDR 0.05 per planted effect size."""
    return {f"power {effect}": np.mean(voxels["significant"][effects == effect])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more voxels (slower)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gaps", type=int, nargs="+", default=[0, 20],
                        help="nested CV ridge.fold_gap values (kfold outer folds, the default)")
    args = parser.parse_args()
    n_null, n_planted = (8000, 500) if args.full else (2000, 200)
    nested = {"mode": "nested_cv"}
    cases = [("train_test", {"mode": "train_test"}),
             ("nested_cv, chunked outer folds, gap 0 (tutorial)",
              nested | {"outer_folding_type": "chunked", "fold_gap": 0, "fold_remainder": "last"})] + [
        (f"nested_cv, kfold outer folds, gap {gap}", nested | {"fold_gap": gap})
        for gap in args.gaps] + [
        ("nested_cv, group outer folds", nested | {"outer_folding_type": "group"})]
    header = ["rho", "mode", "method", "p<0.05", "FDR null", "median null r",
              *[f"power {e}" for e in EFFECTS]]
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


if __name__ == "__main__":
    main()
