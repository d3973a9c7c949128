"""Planning the brain maps: each configured subject's space, checked against its responses
before any job runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..data.responses import response_shapes
from ..errors import InputError, raise_collected
from ..report.brain_space import BrainSpace, check_voxel_count, mask_and_affine, space_from_config

# The keys each space takes besides `space` (the schema admits the union).
SPACE_KEYS = {"pycortex": {"filestore", "subject", "transform", "mask_type", "height"},
              "nifti": {"mask", "voxel_order"}}


def check_space_keys(subject: str, spec: Mapping) -> None:
    """A subject's entry uses only its space's keys."""
    foreign = sorted(set(spec) - SPACE_KEYS[spec["space"]] - {"space"})
    if foreign:
        raise InputError(f"brain_maps.{subject}: {', '.join(foreign)} not used with space "
                         f"{spec['space']} (its keys: {', '.join(sorted(SPACE_KEYS[spec['space']]))})")


def plan_brain_maps(maps: Mapping[str, Mapping], subjects: Sequence[str],
                    responses_dir: str | Path, first_story: str,
                    generated_voxels: int | None = None) -> dict[str, BrainSpace]:
    """Per subject with a `brain_maps` entry, its space, after checking that the subject is fitted
    and that its mask has one voxel per response column (`generated_voxels`: the columns of
    responses a rule will write; else read from the first story's response header)."""
    problems, spaces = [], {}
    for subject, spec in maps.items():
        try:
            if subject not in subjects:
                raise InputError(f"brain_maps.{subject}: not a subject of this run "
                                 f"(subjects: {', '.join(subjects)})")
            check_space_keys(subject, spec)
            space = space_from_config(spec)
            mask, _ = mask_and_affine(space)
            n_columns = (generated_voxels if generated_voxels is not None else
                         response_shapes(responses_dir, subject, [first_story])[first_story][1])
            check_voxel_count(mask, n_columns, subject, space)
            spaces[subject] = space
        except InputError as error:
            message = str(error)
            problems.append(message if message.startswith("brain_maps.") else
                            f"brain_maps.{subject}: {message}")
    raise_collected(problems, "problems with brain_maps")
    return spaces
