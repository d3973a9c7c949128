"""Trimming: per-split slices of feature rows and response rows, and the check that they align."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import InputError


def trim_slice(trimming: Mapping, split: str, kind: str) -> slice:
    """The Python slice for `split` ('train'/'test') and `kind` ('features'/'targets')."""
    return slice(trimming.get(f"{split}_{kind}_start"), trimming.get(f"{split}_{kind}_end"))


def trimmed_length(n_rows: int, bounds: slice) -> int:
    """How many of `n_rows` rows a slice keeps."""
    return len(range(n_rows)[bounds])


def check_alignment(subject: str, story: str, split: str, n_feature_rows: int,
                    n_response_rows: int, trimming: Mapping) -> int:
    """Check that trimmed features and trimmed responses of one story have equal row counts."""
    n_features = trimmed_length(n_feature_rows, trim_slice(trimming, split, "features"))
    n_targets = trimmed_length(n_response_rows, trim_slice(trimming, split, "targets"))
    if n_features != n_targets:
        raise InputError(
            f"subject {subject!r}, {split} story {story!r}: after trimming, features have {n_features} "
            f"rows (of {n_feature_rows} TRs) but responses have {n_targets} rows (of {n_response_rows}); "
            f"adjust trimming.{split}_features_* / trimming.{split}_targets_* or the manifest's n_trs")
    if n_features < 1:
        raise InputError(f"subject {subject!r}, {split} story {story!r}: trimming leaves no rows")
    return n_features


def check_rows_for_delays(story: str, split: str, n_feature_rows: int, trimming: Mapping,
                          delays: list[int]) -> None:
    """A story needs more feature rows after trimming than its largest delay shifts."""
    n_rows = trimmed_length(n_feature_rows, trim_slice(trimming, split, "features"))
    largest = max(abs(int(d)) for d in delays)
    if n_rows <= largest:
        raise InputError(
            f"{split} story {story!r}: {n_rows} feature rows after trimming, but fir_delays reach "
            f"{largest} TRs; every delayed row would be padding. Drop the story or shorten the delays")
