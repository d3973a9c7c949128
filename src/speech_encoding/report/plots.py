"""Figures of a run: mean r over the compared voxels (and median r) across layers, the best layers,
the distributions of voxel r and p per fit, and analyses side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..run.atomic_io import atomic_path  # noqa: E402
from .summary import model_keys  # noqa: E402

COMPARED_LABEL = "mean r (test) over the voxels\nsignificant in any fit of the subject"


def save_figure(figure: plt.Figure, path: str | Path, dpi: int = 120) -> None:
    """Save a figure as PNG (atomically) and close it."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)


def plot_median_r_by_layer(table: pd.DataFrame, path: str | Path) -> None:
    """Per layer, one line per (analysis x) subject x feature set: `mean_r_compared` above, median
    r over all voxels below."""
    figure, (compared, median) = plt.subplots(2, 1, figsize=(6, 7), sharex=True)
    for names, rows in table.groupby(model_keys(table), sort=True):
        rows = rows.sort_values("layer")
        for axes, column in ((compared, "mean_r_compared"), (median, "median_score")):
            axes.plot(rows["layer"], rows[column], marker="o", label=" / ".join(map(str, names)))
    for axes, label in ((compared, COMPARED_LABEL), (median, "median r over all voxels (test)")):
        axes.set_ylabel(label)
        axes.axhline(0.0, color="grey", linewidth=0.5)
    median.set_xlabel("layer")
    median.xaxis.set_major_locator(MaxNLocator(integer=True))
    compared.legend(fontsize="small")
    compared.set_title("Encoding performance by layer")
    save_figure(figure, path)


def plot_voxel_histograms(titles: Sequence[str], values: Sequence[np.ndarray], path: str | Path,
                          bins: np.ndarray, xlabel: str,
                          driven: Sequence[np.ndarray | None] | None = None,
                          uniform_line: bool = False) -> None:
    """One histogram panel per fit of a per-voxel quantity; driven voxels (demo truth) apart.

    Parameters
    ----------
    titles : sequence of str
        One per panel: the fit it shows (`summary.fit_label`).
    values : sequence of np.ndarray
        Per fit, its (n_voxels,) values.
    path : str or Path
        The PNG to write.
    bins : np.ndarray
        Bin edges, shared by every panel.
    xlabel : str
    driven : sequence of np.ndarray or None, optional
        Per fit, an (n_voxels,) bool mask of its driven voxels, or None where unknown.
    uniform_line : bool
        Draw the count per bin that values uniform over the bins' range would give (of the voxels
        not known to be driven).
    """
    n = len(titles)
    columns = min(n, 4)
    rows = int(np.ceil(n / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 2.6 * rows), squeeze=False)
    for index, (title, value) in enumerate(zip(titles, values)):
        ax = axes.flat[index]
        mask = driven[index] if driven is not None else None
        if mask is None:
            ax.hist(value, bins=bins, color="tab:blue")
        else:
            ax.hist(value[~mask], bins=bins, alpha=0.6, label="other", color="tab:grey")
            ax.hist(value[mask], bins=bins, alpha=0.8, label="driven", color="tab:red")
        if uniform_line:
            others = len(value) if mask is None else int(np.sum(~mask))
            ax.axhline(others / (len(bins) - 1), color="black", linestyle="--", linewidth=0.8,
                       label="uniform")
        if mask is not None or uniform_line:
            ax.legend(fontsize="x-small")
        ax.set_title(title, fontsize="small")
        ax.set_xlabel(xlabel, fontsize="small")
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    figure.tight_layout()
    save_figure(figure, path)


def plot_r_histograms(titles: Sequence[str], voxel_r: Sequence[np.ndarray], path: str | Path,
                      driven: Sequence[np.ndarray | None] | None = None) -> None:
    """Histogram of voxel test r per fit (arguments as `plot_voxel_histograms`)."""
    plot_voxel_histograms(titles, voxel_r, path, np.linspace(-1, 1, 41), "r (test)", driven)


def plot_p_histograms(titles: Sequence[str], voxel_p: Sequence[np.ndarray], path: str | Path,
                      driven: Sequence[np.ndarray | None] | None = None) -> None:
    """Histogram of voxel p-values per fit, with the flat line that voxels without signal should
    follow under a calibrated test (arguments as `plot_voxel_histograms`)."""
    plot_voxel_histograms(titles, voxel_p, path, np.linspace(0, 1, 21), "p", driven,
                          uniform_line=True)


def plot_best_layers(table: pd.DataFrame, path: str | Path) -> None:
    """Per subject, one bar per (analysis x) feature set: the `mean_r_compared` of its best layer
    (labelled; a subject without significant voxels has no bar, its layers ranked by median r)."""
    best = table[table["best_layer"]]
    subjects = sorted(best["subject"].unique())
    series_keys = [key for key in model_keys(table) if key != "subject"]
    series = best[series_keys].astype(str).agg(" / ".join, axis=1)
    names = sorted(series.unique())
    width = 0.8 / len(names)
    figure, axes = plt.subplots(figsize=(max(4.0, 1.2 * len(subjects) * len(names)), 4))
    for index, name in enumerate(names):
        rows = best[series == name].set_index("subject").reindex(subjects)
        positions = np.arange(len(subjects)) + index * width
        bars = axes.bar(positions, rows["mean_r_compared"].fillna(0.0), width, label=name)
        for bar, layer, by in zip(bars, rows["layer"], rows["best_layer_by"]):
            if not pd.isna(layer):
                note = "" if by == "mean_r_compared" else "\n(by median r)"
                axes.annotate(f"L{int(layer)}{note}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                              ha="center", va="bottom", fontsize="x-small")
    axes.set_xticks(np.arange(len(subjects)) + 0.4 - width / 2, subjects)
    axes.set_ylabel(f"best layer's {COMPARED_LABEL}")
    axes.axhline(0.0, color="grey", linewidth=0.5)
    axes.set_title("Best layer per subject and " + " and ".join(key.replace("_", " ") for key in series_keys))
    axes.legend(fontsize="small")
    save_figure(figure, path)


def plot_ceiling(panels: Sequence[tuple[str, pd.DataFrame, float]], path: str | Path,
                 driven: np.ndarray | None = None) -> None:
    """Held-out r against the noise ceiling per voxel, one panel per fit (a subject's best layer of
    each feature set), with the identity line (r = ceiling) that no prediction can pass but by noise.

    Parameters
    ----------
    panels : sequence of (title, voxels, min_ceiling)
        `title` names the fit (`summary.fit_label`); `voxels` has `r` and `noise_ceiling` (voxels
        without a ceiling are left out); `min_ceiling` (`noise_ceiling.min_ceiling`) is drawn as a
        vertical line.
    path : str or Path
    driven : np.ndarray, optional
        (n_voxels,) bool mask of the demo's driven voxels.
    """
    figure, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    for ax, (title, voxels, min_ceiling) in zip(axes.flat, panels):
        ceiling, r = voxels["noise_ceiling"].to_numpy(), voxels["r"].to_numpy()
        has = np.isfinite(ceiling)
        groups = [("voxels", has, "tab:blue")] if driven is None else [
            ("other", has & ~driven, "tab:grey"), ("driven", has & driven, "tab:red")]
        for label, mask, colour in groups:
            ax.scatter(ceiling[mask], r[mask], s=6, alpha=0.6, color=colour, label=label)
        ax.plot([0, 1], [0, 1], color="black", linewidth=0.8, label="r = ceiling")
        ax.axvline(min_ceiling, color="grey", linestyle=":", linewidth=0.8, label="min_ceiling")
        ax.set_xlim(0, 1)
        ax.set_xlabel("noise ceiling (CC_max)", fontsize="small")
        ax.set_ylabel("r (test)", fontsize="small")
        ax.set_title(f"{title}\n{int(has.sum())} of {len(has)} voxels with a ceiling",
                     fontsize="small")
        ax.legend(fontsize="x-small")
    figure.tight_layout()
    save_figure(figure, path)


def plot_analysis_comparison(table: pd.DataFrame, path: str | Path) -> None:
    """Analyses side by side: one panel per subject x feature set, one line per analysis of
    `mean_r_compared` by layer (the same voxel set for every analysis of a subject)."""
    panels = list(table.groupby(["subject", "feature_set"], sort=True))
    columns = min(len(panels), 3)
    rows = int(np.ceil(len(panels) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False)
    for ax, ((subject, feature_set), fits) in zip(axes.flat, panels):
        for analysis, lines in fits.groupby("analysis", sort=False):
            lines = lines.sort_values("layer")
            ax.plot(lines["layer"], lines["mean_r_compared"], marker="o", label=analysis)
        ax.axhline(0.0, color="grey", linewidth=0.5)
        ax.set_title(f"{subject} / {feature_set}", fontsize="small")
        ax.set_xlabel("layer", fontsize="small")
        ax.set_ylabel(COMPARED_LABEL, fontsize="x-small")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(fontsize="x-small", title="analysis", title_fontsize="x-small")
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    figure.suptitle("Analyses compared: mean r over each subject's compared voxels")
    figure.tight_layout()
    save_figure(figure, path)
