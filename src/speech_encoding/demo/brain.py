"""The demo's brain: its subjects' voxels are voxels of a pycortex subject (pycortex's example S1
by default), with the driven ones inside an ROI (auditory cortex, "AC"), so that the demo's
flatmaps show the model finding it.

Writes a filestore holding a copy of the subject with one more mask, `mask_demo.nii.gz`: the
`n_driven` driven voxels, drawn at random inside the ROI, and `n_voxels - n_driven` others drawn
at random outside it (all within the transform's thick mask), and `brain.json`: the columns (in
pycortex's voxel order) of the driven voxels.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..report.brain_space import PycortexSpace, default_filestore, maps_module, pycortex_mask, use_filestore
from ..run.atomic_io import save_json

log = logging.getLogger(__name__)

MASK_TYPE = "demo"


def installed_subject(subject: str) -> Path:
    """A pycortex subject's folder: in pycortex's configured filestore, or in the filestore
    installed with this environment's pycortex (the configured one is remembered per user from the
    first pycortex import, so it may belong to another, even deleted, environment)."""
    places = list(dict.fromkeys([Path(default_filestore()), Path(sys.prefix) / "share" / "pycortex" / "db"]))
    for place in places:
        if (place / subject).is_dir():
            return place / subject
    raise InputError(f"demo.brain.subject: no pycortex subject {subject!r} in "
                     + " or ".join(str(place) for place in places))


def roi_voxels(space: PycortexSpace, roi: str) -> np.ndarray:
    """The (i, j, k) boolean mask of the ROI's voxels (pycortex maps its outline into the volume)."""
    cortex = maps_module("cortex")
    use_filestore(space.filestore)
    masks = cortex.utils.get_roi_masks(space.subject, space.transform, roi_list=[roi], gm_sampler="thick",
                                       return_dict=True)
    return np.asarray(masks[roi]).T > 0


def choose_voxels(thick: np.ndarray, roi: np.ndarray, n_voxels: int, n_driven: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The demo mask ((i, j, k) bool) and the columns of its driven voxels, in pycortex's order.

    `n_driven` voxels at random among the thick mask's voxels inside the ROI, `n_voxels - n_driven`
    among those outside it.
    """
    order = np.flatnonzero(thick.T)  # flat (k, j, i) indices of the thick voxels, pycortex's order
    inside = roi.T.ravel()[order]
    if inside.sum() < n_driven or (~inside).sum() < n_voxels - n_driven:
        raise InputError(f"demo.brain: the ROI holds {int(inside.sum())} voxels and the rest of the "
                         f"mask {int((~inside).sum())}: too few for demo.n_driven = {n_driven} and "
                         f"demo.n_voxels = {n_voxels}")
    driven = rng.choice(order[inside], size=n_driven, replace=False)
    others = rng.choice(order[~inside], size=n_voxels - n_driven, replace=False)
    chosen = np.sort(np.concatenate([driven, others]))
    mask = np.zeros(thick.T.shape, dtype=bool)
    mask.flat[chosen] = True
    return mask.T, np.flatnonzero(np.isin(chosen, driven))


def write_demo_brain(brain: Mapping, n_voxels: int, n_driven: int, seed: int, folder: str | Path,
                     heights: Sequence[int]) -> dict:
    """Write the demo's filestore and brain.json under `folder`; the brain.json record.

    `heights`: the flatmap heights whose caches are made here, so that the map jobs of several
    demo subjects (one pycortex subject) never write them at once.
    """
    import matplotlib.pyplot as plt

    nibabel = maps_module("nibabel")
    cortex = maps_module("cortex")
    folder = Path(folder)
    store = folder / "pycortex-db"
    source = installed_subject(brain["subject"])
    shutil.copytree(source, store / brain["subject"], ignore=shutil.ignore_patterns("cache"),
                    dirs_exist_ok=True)
    space = PycortexSpace(str(store), brain["subject"], brain["transform"])
    thick = pycortex_mask(space)
    roi = roi_voxels(space, brain["roi"])
    mask, driven = choose_voxels(thick, roi, n_voxels, n_driven, np.random.default_rng(seed))
    reference = nibabel.load(space.reference_file)
    nibabel.save(nibabel.Nifti1Image(mask.astype(np.uint8), reference.affine),
                 space.transform_folder / f"mask_{MASK_TYPE}.nii.gz")
    for height in heights:
        cortex.quickflat.make_figure(cortex.Volume.empty(brain["subject"], brain["transform"]),
                                     height=height, with_rois=False, with_labels=False)
        plt.close("all")
    record = {"subject": brain["subject"], "transform": brain["transform"], "roi": brain["roi"],
              "mask_type": MASK_TYPE, "n_voxels": n_voxels, "driven_columns": driven.tolist()}
    save_json(folder / "brain.json", record)
    log.info("demo brain: %d voxels of %s/%s, %d driven inside %s, in %s", n_voxels,
             brain["subject"], brain["transform"], n_driven, brain["roi"], store)
    return record
