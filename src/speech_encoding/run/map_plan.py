"""Planning the brain maps: each subject's space (its own `brain_maps` entry, or the `"*"` entry
filled in with its name), checked against its responses before any job runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..data.responses import response_shapes
from ..demo.planning import same_path
from ..errors import InputError, raise_collected
from ..report.brain_space import (
    DEFAULT_FLATMAP_HEIGHT,
    check_voxel_count,
    mask_and_affine,
    space_from_config,
)

# The keys each space takes besides `space` (the schema admits the union).
SPACE_KEYS = {"pycortex": {"filestore", "subject", "transform", "mask_type", "height"},
              "nifti": {"mask", "voxel_order"}}
EVERY_SUBJECT = "*"


@dataclass(frozen=True)
class MapPlan:
    """Per mapped subject its entry (the `"*"` entry filled in), and why others get no maps."""

    entries: dict[str, dict] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def skipped_lines(plan: MapPlan) -> list[str]:
    """One line per reason for the subjects that get no maps, naming them."""
    by_reason: dict[str, list[str]] = {}
    for subject, reason in plan.skipped.items():
        by_reason.setdefault(reason, []).append(subject)
    return [f"No brain maps for {'subject' if len(names) == 1 else 'subjects'} {', '.join(names)}: "
            f"{reason} (README, Brain maps)" for reason, names in by_reason.items()]


def check_space_keys(subject: str, spec: Mapping) -> None:
    """A subject's entry uses only its space's keys."""
    foreign = sorted(set(spec) - SPACE_KEYS[spec["space"]] - {"space"})
    if foreign:
        raise InputError(f"brain_maps.{subject}: {', '.join(foreign)} not used with space "
                         f"{spec['space']} (its keys: {', '.join(sorted(SPACE_KEYS[spec['space']]))})")


def filled_in(spec: Mapping, subject: str) -> dict:
    """The `"*"` entry for one subject: `{subject}` in its text values replaced by the name."""
    return {key: value.replace("{subject}", subject) if isinstance(value, str) else value
            for key, value in spec.items()}


def is_generated(spec: Mapping, filestore: str | None) -> bool:
    """The entry draws in the filestore a rule of this run writes (the demo's brain)."""
    return (filestore is not None and spec["space"] == "pycortex" and "filestore" in spec
            and same_path(spec["filestore"], filestore))


def flatmap_heights(maps: Mapping[str, Mapping], filestore: str) -> list[int]:
    """The flatmap heights the entries drawing in `filestore` ask for (the demo's brain rule makes
    their caches, so that the map jobs of several subjects never write one at once)."""
    return sorted({spec.get("height", DEFAULT_FLATMAP_HEIGHT) for spec in maps.values()
                   if is_generated(spec, filestore)})


def checked_entry(subject: str, spec: Mapping, n_columns, generated_filestore: str | None) -> dict:
    """`spec` after checking its keys, its files and its mask's voxel count (of an entry in the
    generated filestore only its keys: the rule writes a mask of the responses' columns)."""
    check_space_keys(subject, spec)
    if not is_generated(spec, generated_filestore):
        space = space_from_config(spec)
        mask, _ = mask_and_affine(space)
        check_voxel_count(mask, n_columns(), subject, space)
    return dict(spec)


def plan_brain_maps(maps: Mapping[str, Mapping], subjects: Sequence[str],
                    responses_dir: str | Path, first_story: str,
                    generated_voxels: int | None = None,
                    generated_filestore: str | None = None) -> MapPlan:
    """The subjects to map and their entries.

    A subject's own entry must be usable: a subject not fitted, keys of the other space, an
    unreadable mask, an unknown pycortex subject or transform, or a mask whose voxel count differs
    from the responses' columns (`generated_voxels`, for responses a rule will write, else read
    from the first story's header) are errors. An entry in `generated_filestore` (the demo's brain,
    which a rule writes) is taken as it is. The `"*"` entry applies to every other fitted
    subject where it is usable, and a subject where it is not is skipped with the reason.
    """
    def columns(subject: str):
        if generated_voxels is not None:
            return lambda: generated_voxels
        return lambda: response_shapes(responses_dir, subject, [first_story])[first_story][1]

    problems, plan = [], MapPlan()
    for subject, spec in maps.items():
        if subject == EVERY_SUBJECT:
            continue
        try:
            if subject not in subjects:
                raise InputError(f"brain_maps.{subject}: not a subject of this run "
                                 f"(subjects: {', '.join(subjects)})")
            plan.entries[subject] = checked_entry(subject, spec, columns(subject), generated_filestore)
        except InputError as error:
            message = str(error)
            problems.append(message if message.startswith("brain_maps.") else
                            f"brain_maps.{subject}: {message}")
    raise_collected(problems, "problems with brain_maps")
    for subject in subjects:
        if subject in maps:
            continue
        if EVERY_SUBJECT not in maps:
            plan.skipped[subject] = "no brain_maps entry"
            continue
        try:
            plan.entries[subject] = checked_entry(subject, filled_in(maps[EVERY_SUBJECT], subject),
                                                  columns(subject), generated_filestore)
        except InputError as error:
            plan.skipped[subject] = f'the "*" entry does not apply: {error}'
    return plan
