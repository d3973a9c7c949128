"""Every brain map of one subject and feature set: per layer each quantity of its fit, and the best
layer per voxel, as NIfTI volumes and figures under one folder."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .brain_figures import best_layer_values, draw_map, fit_quantities, map_title
from .brain_space import BrainSpace, check_voxel_count, column_volume, mask_and_affine, save_nifti

log = logging.getLogger(__name__)


def in_voxel_order(table: pd.DataFrame) -> pd.DataFrame:
    """The voxel table sorted by its `voxel` column (the response column)."""
    return table.sort_values("voxel", kind="stable").reset_index(drop=True)


def write_subject_maps(folder: str | Path, space: BrainSpace, subject: str,
                       layers: Sequence[int], tables: Sequence[pd.DataFrame],
                       labels: Mapping[str, object]) -> list[Path]:
    """Write `<folder>/layer<L>/<quantity>.{nii.gz,png}` for each layer's voxel table and
    `<folder>/best_layer.{nii.gz,png}`; the figures' files, in order.

    `labels` (subject, feature set and, with analyses, the analysis) title every figure.
    """
    folder = Path(folder)
    mask, affine = mask_and_affine(space)
    tables = [in_voxel_order(table) for table in tables]
    figures = []

    def write(stem: Path, values: np.ndarray, style, title: str) -> None:
        volume = column_volume(values, mask, space.voxel_order)
        save_nifti(stem.with_suffix(".nii.gz"), volume, affine)
        draw_map(stem.with_suffix(".png"), volume, mask, affine, space, style, title)
        figures.append(stem.with_suffix(".png"))

    for layer, table in zip(layers, tables, strict=True):
        check_voxel_count(mask, len(table), subject, space)
        quantities = fit_quantities(table)
        for quantity, (values, style) in quantities.items():
            write(folder / f"layer{layer}" / quantity, values, style,
                  map_title({**labels, "layer": layer}, quantity))
        log.info("layer %d: maps of %s written to %s", layer, ", ".join(quantities),
                 folder / f"layer{layer}")
    values, style = best_layer_values(layers, tables)
    write(folder / "best_layer", values, style, map_title(labels, "best layer"))
    log.info("best layer per voxel: %d of %d voxels significant in some layer",
             int(np.isfinite(values).sum()), len(values))
    return figures
