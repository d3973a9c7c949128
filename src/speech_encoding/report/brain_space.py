"""Where a subject's response columns lie in the brain: a pycortex subject's transform and mask, or
a NIfTI mask; volumes built from per-column values, and NIfTI files of them.

Volumes are arrays in the NIfTI file's (i, j, k) axes. Column c of the responses is the c-th
nonzero voxel of the mask in the space's `voxel_order`:
- `pycortex`: the order pycortex uses (its volumes are (k, j, i) arrays, read in C order), so the
  i axis varies fastest;
- `nilearn`: numpy's C order over (i, j, k), as `mask_array[mask_array != 0]` gives, so the k
  axis varies fastest.
A pycortex subject is always in pycortex's order.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..run.atomic_io import atomic_path

VOXEL_ORDERS = ("pycortex", "nilearn")
DEFAULT_FLATMAP_HEIGHT = 1024


@dataclass(frozen=True)
class PycortexSpace:
    """A subject of a pycortex filestore, one of its transforms and a mask type of that transform."""

    filestore: str
    subject: str
    transform: str
    mask_type: str = "thick"
    height: int = DEFAULT_FLATMAP_HEIGHT  # of the flatmap, in pixels
    voxel_order: str = "pycortex"

    @property
    def transform_folder(self) -> Path:
        return Path(self.filestore) / self.subject / "transforms" / self.transform

    @property
    def mask_file(self) -> Path:
        return self.transform_folder / f"mask_{self.mask_type}.nii.gz"

    @property
    def reference_file(self) -> Path:
        return self.transform_folder / "reference.nii.gz"


@dataclass(frozen=True)
class NiftiSpace:
    """A 3-D NIfTI mask whose nonzero voxels are the response columns."""

    mask: str
    voxel_order: str = "pycortex"


BrainSpace = PycortexSpace | NiftiSpace


def not_installed(name: str) -> InputError:
    """The error for a missing module of the `maps` extra, saying how to install it."""
    return InputError(f"brain maps need {name}, which is not installed: pip install -e '.[maps]' "
                      "(pycortex and nibabel)")


def maps_module(name: str):
    """pycortex (`cortex`) or nibabel, or an InputError that says how to install them."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise not_installed(name) from None


def default_filestore() -> str:
    """pycortex's configured filestore (imports pycortex)."""
    cortex = maps_module("cortex")
    return str(cortex.database.default_filestore)


def space_from_config(spec: Mapping) -> BrainSpace:
    """The space a `brain_maps` entry describes (schema-validated; keys it leaves out take the
    space's defaults, and a pycortex entry without `filestore` pycortex's configured one)."""
    settings = {key: value for key, value in spec.items() if key != "space"}
    if spec["space"] == "nifti":
        return NiftiSpace(**settings)
    return PycortexSpace(**{"filestore": settings.pop("filestore", None) or default_filestore(),
                            **settings})


def check_pycortex_space(space: PycortexSpace) -> None:
    """pycortex is installed, and the filestore holds the subject and its transform (the error
    lists what it does hold)."""
    if importlib.util.find_spec("cortex") is None:
        raise not_installed("cortex")
    store = Path(space.filestore)
    if not store.is_dir():
        raise InputError(f"pycortex filestore {store} is not a folder")
    subjects = sorted(p.name for p in store.iterdir() if (p / "transforms").is_dir())
    if space.subject not in subjects:
        raise InputError(f"unknown pycortex subject '{space.subject}' in filestore {store} "
                         f"(it holds: {', '.join(subjects) or 'no subjects'})")
    transforms = sorted(p.name for p in (store / space.subject / "transforms").iterdir()
                        if (p / "matrices.xfm").is_file())
    if space.transform not in transforms:
        raise InputError(f"unknown transform '{space.transform}' of pycortex subject "
                         f"'{space.subject}' in {store} (it has: {', '.join(transforms) or 'none'})")


def use_filestore(filestore: str) -> None:
    """Point pycortex's database at `filestore` (imports pycortex)."""
    cortex = maps_module("cortex")

    if cortex.db.filestore != filestore:
        cortex.db.filestore = filestore
        cortex.db._subjects = None  # the subject list is read again from this filestore


def read_nifti(path: str | Path):
    """A NIfTI image, or an InputError naming the file."""
    nibabel = maps_module("nibabel")
    try:
        image = nibabel.load(str(path))
        image.get_fdata()
    except Exception as error:  # nibabel raises several types for unreadable files
        raise InputError(f"cannot read the NIfTI file {path}: {error}") from None
    return image


def pycortex_mask(space: PycortexSpace) -> np.ndarray:
    """The transform's mask as an (i, j, k) boolean array; pycortex makes (and stores) it from the
    subject's surfaces when the filestore does not hold it yet."""
    check_pycortex_space(space)
    if not space.mask_file.is_file():
        use_filestore(space.filestore)
        cortex = maps_module("cortex")
        return np.asarray(cortex.db.get_mask(space.subject, space.transform, space.mask_type)).T
    return np.asarray(read_nifti(space.mask_file).get_fdata()) != 0


def mask_and_affine(space: BrainSpace) -> tuple[np.ndarray, np.ndarray]:
    """The space's mask, an (i, j, k) boolean array, and the affine of its voxel grid."""
    if isinstance(space, PycortexSpace):
        return pycortex_mask(space), read_nifti(space.reference_file).affine
    image = read_nifti(space.mask)
    if len(image.shape) != 3:
        raise InputError(f"the NIfTI mask {space.mask} is not 3-D (shape {image.shape})")
    return np.asarray(image.get_fdata()) != 0, image.affine


def check_voxel_count(mask: np.ndarray, n_columns: int, subject: str, space: BrainSpace) -> None:
    """The mask has one voxel per response column."""
    n_mask = int(mask.sum())
    if n_mask != n_columns:
        where = (f"mask '{space.mask_type}' of pycortex subject '{space.subject}', transform "
                 f"'{space.transform}'" if isinstance(space, PycortexSpace) else
                 f"NIfTI mask {space.mask}")
        raise InputError(f"brain_maps.{subject}: the {where} has {n_mask} voxels but subject "
                         f"{subject}'s responses have {n_columns} columns")


def column_volume(values: np.ndarray, mask: np.ndarray, voxel_order: str) -> np.ndarray:
    """An (i, j, k) float volume holding `values[c]` at the mask's c-th voxel, NaN elsewhere."""
    if voxel_order not in VOXEL_ORDERS:
        raise ValueError(f"voxel_order must be one of {VOXEL_ORDERS}, got {voxel_order!r}")
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (int(mask.sum()),):
        raise ValueError(f"{values.shape[0]} values for a mask of {int(mask.sum())} voxels")
    volume = np.full(mask.shape, np.nan)
    if voxel_order == "pycortex":
        volume.T[mask.T] = values
    else:
        volume[mask] = values
    return volume


def save_nifti(path: str | Path, volume: np.ndarray, affine: np.ndarray) -> None:
    """Write an (i, j, k) volume as gzipped float32 NIfTI on the grid of `affine` (atomically; the
    same volume gives the same bytes)."""
    image = maps_module("nibabel").Nifti1Image(volume.astype(np.float32), affine)
    with atomic_path(path) as tmp:
        tmp.write_bytes(gzip.compress(image.to_bytes(), mtime=0))
