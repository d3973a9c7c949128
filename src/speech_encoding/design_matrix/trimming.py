"""Trimming: which feature rows and response rows of each story a fit keeps.

The `trimming` config is `auto`, or a mapping of per-split slice bounds
(`<split>_<features|targets>_<start|end>`) in which `<split>: auto` asks for auto trimming of that
split. A split with none of its slice keys is trimmed automatically too. Auto trimming keeps the
rows whose features are all real (`row_coverage`); it is resolved per story at planning time, so
a fit receives plain slices (`StoryRows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InputError

AUTO = "auto"
SPLITS = ("train", "test")
KINDS = ("features", "targets")


def slice_keys(split: str) -> list[str]:
    """The config keys of one split's explicit slices."""
    return [f"{split}_{kind}_{end}" for kind in KINDS for end in ("start", "end")]


def is_auto(trimming: str | Mapping, split: str) -> bool:
    """Whether `split` is trimmed automatically: `trimming: auto`, `trimming.<split>: auto`, or
    none of the split's slice keys given."""
    if trimming == AUTO:
        return True
    return trimming.get(split) == AUTO or not any(key in trimming for key in slice_keys(split))


def trim_slice(trimming: Mapping, split: str, kind: str) -> slice:
    """The Python slice for `split` ('train'/'test') and `kind` ('features'/'targets')."""
    return slice(trimming.get(f"{split}_{kind}_start"), trimming.get(f"{split}_{kind}_end"))


def trimmed_length(n_rows: int, bounds: slice) -> int:
    """How many of `n_rows` rows a slice keeps."""
    return len(range(n_rows)[bounds])


@dataclass(frozen=True)
class StoryRows:
    """The rows of one story that a fit keeps: a slice of its feature rows (its TR grid) and one
    of its response rows."""

    features: slice = field(default_factory=lambda: slice(None))
    targets: slice = field(default_factory=lambda: slice(None))

    def to_params(self) -> dict:
        """Plain values for a rule's params: {"features": [start, stop], "targets": [...]}."""
        return {kind: [getattr(self, kind).start, getattr(self, kind).stop] for kind in KINDS}

    @classmethod
    def from_params(cls, params: Mapping) -> StoryRows:
        """The inverse of `to_params`."""
        return cls(*(slice(*params[kind]) for kind in KINDS))


def explicit_rows(trimming: Mapping, split: str) -> StoryRows:
    """The rows the split's explicit slice keys keep (an absent key leaves its end open)."""
    return StoryRows(*(trim_slice(trimming, split, kind) for kind in KINDS))


def check_explicit_keys(trimming: str | Mapping) -> None:
    """A split set to auto must not also give slice keys."""
    if trimming == AUTO:
        return
    for split in SPLITS:
        given = [key for key in slice_keys(split) if key in trimming]
        if trimming.get(split) == AUTO and given:
            raise InputError(f"trimming.{split} is auto, but trimming also gives {', '.join(given)}; "
                             f"remove one or the other")


def check_alignment(subject: str, story: str, split: str, n_feature_rows: int,
                    n_response_rows: int, rows: StoryRows, auto: bool = False) -> int:
    """Check that the kept features and responses of one story have equal row counts."""
    if auto and n_response_rows != n_feature_rows:
        raise InputError(
            f"subject {subject!r}, {split} story {story!r}: responses have {n_response_rows} rows but "
            f"the TR grid has {n_feature_rows} (n_trs); auto trimming keeps the same rows of both, so "
            f"it needs them equal: give explicit trimming.{split}_features_* / {split}_targets_* "
            f"slices (README, Choosing trimming)")
    n_features = trimmed_length(n_feature_rows, rows.features)
    n_targets = trimmed_length(n_response_rows, rows.targets)
    if n_features != n_targets:
        raise InputError(
            f"subject {subject!r}, {split} story {story!r}: after trimming, features have {n_features} "
            f"rows (of {n_feature_rows} TRs) but responses have {n_targets} rows (of {n_response_rows}); "
            f"adjust trimming.{split}_features_* / trimming.{split}_targets_* or the manifest's n_trs")
    if n_features < 1:
        raise InputError(f"subject {subject!r}, {split} story {story!r}: trimming leaves no rows")
    return n_features


def check_rows_for_delays(story: str, split: str, n_feature_rows: int, rows: StoryRows,
                          delays: list[int]) -> None:
    """A story needs more feature rows after trimming than its largest delay shifts."""
    n_rows = trimmed_length(n_feature_rows, rows.features)
    largest = max(abs(int(d)) for d in delays)
    if n_rows <= largest:
        raise InputError(
            f"{split} story {story!r}: {n_rows} feature rows after trimming, but fir_delays reach "
            f"{largest} TRs; every delayed row would be padding. Drop the story or shorten the delays")
