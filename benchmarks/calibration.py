"""Calibration of the significance methods on simulated fMRI-like data, in both modes.

Features are smooth (AR(1), rho 0.9, per column) and FIR-delayed (1-4 TRs), as the pipeline's are;
responses are AR(1) noise along TRs (rho in {0, 0.3, 0.7, 0.9}) plus, in planted voxels, a random
linear read-out of the features at a few effect sizes (signal std / noise std). For each method the
table reports, over null voxels: the fraction with p < 0.05, the fraction called significant at
FDR 0.05 (BH over all voxels) and the median r; over planted voxels: the power at FDR 0.05.

    python benchmarks/calibration.py            # small: 600 null + 3 x 100 planted voxels
    python benchmarks/calibration.py --full     # 4000 null + 3 x 500 planted voxels
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np

from speech_encoding.design_matrix.delays import stack_delays
from speech_encoding.modelling.fit import fit_stories
from speech_encoding.run.settings import SignificanceSettings

EFFECTS = (0.1, 0.2, 0.3)
RHOS = (0.0, 0.3, 0.7, 0.9)


def ar1(n_rows: int, n_columns: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """(n_rows, n_columns) unit-variance AR(1) series along rows."""
    noise = rng.normal(size=(n_rows, n_columns))
    out = np.empty_like(noise)
    out[0] = noise[0]
    for t in range(1, n_rows):
        out[t] = rho * out[t - 1] + np.sqrt(1 - rho ** 2) * noise[t]
    return out


def simulate(rho: float, n_null: int, n_planted: int, n_stories: int, n_rows: int, seed: int):
    """Features and responses per story, and each voxel's effect size (0: null)."""
    rng = np.random.default_rng(seed)
    effects = np.concatenate([np.zeros(n_null), np.repeat(EFFECTS, n_planted)])
    readout = rng.normal(size=(32, len(effects)))
    features, responses = {}, {}
    for story in range(n_stories):
        x = stack_delays(ar1(n_rows, 8, 0.9, rng), [1, 2, 3, 4], False)
        signal = x @ readout
        signal /= signal.std(axis=0)
        features[f"s{story}"] = x
        responses[f"s{story}"] = effects * signal + ar1(n_rows, len(effects), rho, rng)
    return features, responses, effects


def metrics(voxels, effects: np.ndarray) -> dict:
    null = effects == 0
    row = {"p<0.05": np.mean(voxels["p"][null] < 0.05),
           "FDR null": np.mean(voxels["significant"][null]),
           "median null r": float(np.median(voxels["r"][null]))}
    for effect in EFFECTS:
        row[f"power {effect}"] = np.mean(voxels["significant"][effects == effect])
    return row


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


METHODS = {"ttest two-sided (tutorial)": {"method": "ttest", "alternative": "two-sided"},
           "ttest greater": {"method": "ttest", "alternative": "greater"},
           "permutation greater (default)": {"method": "permutation", "alternative": "greater"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="more voxels (slower)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gaps", type=int, nargs="+", default=[0, 10],
                        help="nested CV ridge.fold_gap values")
    args = parser.parse_args()
    n_null, n_planted = (4000, 500) if args.full else (600, 100)
    cases = [("train_test", {"mode": "train_test"})] + [
        (f"nested_cv gap {gap}", {"mode": "nested_cv", "fold_gap": gap}) for gap in args.gaps]
    header = ["rho", "mode", "method", "p<0.05", "FDR null", "median null r",
              *[f"power {e}" for e in EFFECTS]]
    print("| " + " | ".join(header) + " |\n|" + "---|" * len(header))
    for rho in RHOS:
        features, responses, effects = simulate(rho, n_null, n_planted, 5, 200, args.seed)
        splits = {story: "train" for story in features} | {"s4": "test"}
        for mode, ridge in cases:
            settings, default = default_sections(ridge)
            for name, method in METHODS.items():
                significance = dataclasses.replace(default, **method)
                voxels, _ = fit_stories(features, responses, splits, {}, settings,
                                        significance=significance)
                row = metrics(voxels, effects)
                print(f"| {rho} | {mode} | {name} | " + " | ".join(
                    f"{value:+.3f}" if key == "median null r" else f"{100 * value:.1f}%"
                    for key, value in row.items()) + " |", flush=True)


if __name__ == "__main__":
    main()
