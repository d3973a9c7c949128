"""Brain maps of fits: the quantities drawn per voxel, their colour scales, and the figures
(pycortex flatmaps, or orthogonal slices of a NIfTI volume drawn with matplotlib)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .brain_space import BrainSpace, PycortexSpace, maps_module, use_filestore  # noqa: E402
from .plots import save_figure  # noqa: E402

MIN_R_LIMIT = 0.1  # the r colour scale spans at least -0.1..0.1


@dataclass(frozen=True)
class MapStyle:
    """How one quantity is coloured."""

    label: str
    cmap: str
    vmin: float
    vmax: float


def r_limit(r: np.ndarray) -> float:
    """The r scale's half-width: the 99th percentile of |r|, at least MIN_R_LIMIT."""
    finite = np.abs(r[np.isfinite(r)])
    return max(MIN_R_LIMIT, float(np.percentile(finite, 99)) if finite.size else 0.0)


def fit_quantities(voxels: pd.DataFrame) -> dict[str, tuple[np.ndarray, MapStyle]]:
    """Per quantity of one fit's voxel table (voxel order): values and style.

    r (held-out r, diverging, symmetric); r_significant (r of significant voxels, others blank);
    alpha (log10 of the chosen alpha); r_normalized (r over the noise ceiling, when the table has
    one).
    """
    r = voxels["r"].to_numpy(dtype=np.float64)
    limit = r_limit(r)
    log_alpha = np.log10(voxels["alpha"].to_numpy(dtype=np.float64))
    quantities = {
        "r": (r, MapStyle("held-out r", "RdBu_r", -limit, limit)),
        "r_significant": (np.where(voxels["significant"].to_numpy(dtype=bool), r, np.nan),
                          MapStyle("held-out r, significant voxels", "inferno", 0.0, limit)),
        "alpha": (log_alpha, MapStyle("log10 alpha", "viridis", float(np.nanmin(log_alpha)),
                                      float(np.nanmax(log_alpha)))),
    }
    if "r_normalized" in voxels and voxels["r_normalized"].notna().any():
        quantities["r_normalized"] = (voxels["r_normalized"].to_numpy(dtype=np.float64),
                                      MapStyle("r / noise ceiling", "RdBu_r", -1.0, 1.0))
    return quantities


def best_layer_values(layers: Sequence[int], tables: Sequence[pd.DataFrame]
                      ) -> tuple[np.ndarray, MapStyle]:
    """Per voxel, the layer with the highest held-out r among the layers where the voxel is
    significant (blank where it is significant in none)."""
    r = np.stack([table["r"].to_numpy(dtype=np.float64) for table in tables])
    significant = np.stack([table["significant"].to_numpy(dtype=bool) for table in tables])
    best = np.asarray(layers)[np.argmax(np.where(significant, r, -np.inf), axis=0)].astype(float)
    best[~significant.any(axis=0)] = np.nan
    return best, MapStyle("best layer (highest significant r)", "viridis", min(layers), max(layers))


def busiest_slices(mask: np.ndarray) -> tuple[int, int, int]:
    """Per axis, the slice holding the most mask voxels."""
    return tuple(int(np.argmax(mask.sum(axis=tuple(a for a in range(3) if a != axis))))
                 for axis in range(3))


def draw_slices(path: str | Path, volume: np.ndarray, mask: np.ndarray, voxel_sizes: Sequence[float],
                style: MapStyle, title: str) -> None:
    """Three orthogonal slices of an (i, j, k) volume through the mask's busiest slices: the mask
    in grey, the values in colour (voxels drawn to scale), with a colour bar."""
    figure, axes = plt.subplots(1, 3, figsize=(12, 4.4))
    image = None
    for axis, (index, panel) in enumerate(zip(busiest_slices(mask), axes)):
        values, inside = np.take(volume, index, axis=axis), np.take(mask, index, axis=axis)
        across, up = (voxel_sizes[a] for a in range(3) if a != axis)
        options = {"origin": "lower", "interpolation": "nearest", "aspect": up / across}
        panel.imshow(inside.T, cmap="Greys", vmin=0, vmax=4, **options)
        image = panel.imshow(np.ma.masked_invalid(values).T, cmap=style.cmap, vmin=style.vmin,
                             vmax=style.vmax, **options)
        panel.set_title(f"{'ijk'[axis]} = {index}")
        panel.set_axis_off()
    figure.colorbar(image, ax=axes, shrink=0.8, label=style.label)
    figure.suptitle(title)
    save_figure(figure, path, dpi=100)


def draw_flatmap(path: str | Path, volume: np.ndarray, space: PycortexSpace, style: MapStyle,
                 title: str) -> None:
    """A pycortex flatmap of an (i, j, k) volume on the subject's curvature, with a colour bar."""
    cortex = maps_module("cortex")
    use_filestore(space.filestore)
    data = cortex.Volume(volume.T, space.subject, space.transform, cmap=style.cmap,
                         vmin=style.vmin, vmax=style.vmax)
    figure = cortex.quickflat.make_figure(data, height=space.height, with_curvature=True,
                                          with_rois=False, with_labels=False, with_colorbar=True)
    figure.suptitle(title, y=1.0, va="bottom")
    save_figure(figure, path, dpi=100)


def draw_map(path: str | Path, volume: np.ndarray, mask: np.ndarray, affine: np.ndarray,
             space: BrainSpace, style: MapStyle, title: str) -> None:
    """The space's figure of a volume: a flatmap for pycortex, slices for a NIfTI mask."""
    if isinstance(space, PycortexSpace):
        draw_flatmap(path, volume, space, style, title)
    else:
        draw_slices(path, volume, mask, np.sqrt((affine[:3, :3] ** 2).sum(axis=0)), style, title)


def map_title(labels: Mapping[str, object], quantity: str) -> str:
    """A map's title: what it shows and whose fit (subject, feature set, layer, analysis)."""
    return f"{quantity}: " + ", ".join(f"{key} {value}" for key, value in labels.items())
