"""Planning the rows each fit keeps: auto trimming resolved per feature set and story, and the
counts of kept rows that rest on padding or on no windows (for the fits' warnings)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..data.audio import AudioLength
from ..data.manifest import Story, tr_times
from ..design_matrix.downsample import kernel_support
from ..design_matrix.row_coverage import DelayedRows, delayed_rows, row_coverage, usable_span
from ..design_matrix.trimming import StoryRows, explicit_rows, is_auto
from ..errors import InputError
from ..features.windows import window_grid
from .rerun_policy import downsample_params

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlannedRows:
    """One story's kept rows in one feature set's fits, how they were chosen, and how many of
    them hold a zero-padded (or wrapped) delay block or a block with no window in its kernel."""

    split: str
    n_trs: int
    rows: StoryRows
    auto: bool
    n_padded: int
    n_empty: int

    @property
    def n_kept(self) -> int:
        """Feature rows kept."""
        return len(range(self.n_trs)[self.rows.features])

    def to_params(self) -> dict:
        """Plain values for the fit rule's params (they decide the fit's rows, so they rerun it)."""
        return {**self.rows.to_params(), "split": self.split, "n_trs": self.n_trs, "auto": self.auto,
                "n_padded": self.n_padded, "n_empty": self.n_empty}

    @classmethod
    def from_params(cls, params: Mapping) -> PlannedRows:
        """The inverse of `to_params`."""
        return cls(params["split"], params["n_trs"], StoryRows.from_params(params), params["auto"],
                   params["n_padded"], params["n_empty"])


def _no_usable_rows(story: Story, feature_set: Mapping, downsample: Mapping,
                    delays: Sequence[int]) -> InputError:
    """The error for a story whose every row lacks features under auto trimming."""
    return InputError(
        f"story {story.name!r}, feature set {feature_set['name']!r}: auto trimming finds no TR row "
        f"whose features are complete for every delay ({story.n_trs} TRs; windows of "
        f"context_size {feature_set['context_size']} s every chunk_size {feature_set['chunk_size']} s; "
        f"downsample.method {downsample['method']}; fir_delays {list(delays)}). Shorten "
        f"context_size or fir_delays, check the manifest's TR grid, or give explicit trimming slices")


def story_rows(story: Story, audio: AudioLength, feature_set: Mapping, downsample: Mapping,
               delays: Sequence[int], trimming: str | Mapping, story_tr_times: np.ndarray) -> PlannedRows:
    """The rows one story keeps in one feature set's fits (auto or explicit), with the counts.

    Parameters
    ----------
    story : Story
        With the split the mode fits it in.
    audio : AudioLength
        The story's audio file, before resampling.
    feature_set : mapping
        Its chunk_size, context_size and target_sample_rate decide the window times.
    downsample : mapping
        The method and its options (`rerun_policy.downsample_params`).
    delays : sequence of int
        fir_delays.
    trimming : str or mapping
        The trimming config.
    story_tr_times : np.ndarray
        The story's TR times in seconds.
    """
    rate = feature_set["target_sample_rate"]
    grid = window_grid(audio.resampled(rate), rate, feature_set["chunk_size"],
                       feature_set["context_size"], story.name)
    checks: DelayedRows = delayed_rows(
        row_coverage(grid, kernel_support(story_tr_times, story.tr, **downsample)), delays)
    auto = is_auto(trimming, story.split)
    if auto:
        if np.any(np.diff(story_tr_times) <= 0):
            raise InputError(f"story {story.name!r}: auto trimming needs TR times that increase; give "
                             "explicit trimming slices or fix the story's tr_times")
        span = usable_span(checks.usable)
        if span is None:
            raise _no_usable_rows(story, feature_set, downsample, delays)
        rows = StoryRows(span, span)
    else:
        rows = explicit_rows(trimming, story.split)
    kept = np.arange(story.n_trs)[rows.features]
    return PlannedRows(story.split, story.n_trs, rows, auto, int(checks.padded[kept].sum()),
                       int(checks.empty[kept].sum()))


def plan_rows(config: Mapping, stories: Sequence[Story],
              audio: Mapping[str, AudioLength]) -> dict[str, dict[str, PlannedRows]]:
    """Per feature set, per story (manifest order): the rows its fits keep."""
    downsample = downsample_params(config["downsample"])
    grids = {story.name: tr_times(**story.tr_grid_params()) for story in stories}
    return {fs["name"]: {story.name: story_rows(story, audio[story.name], fs, downsample,
                                                config["fir_delays"], config["trimming"],
                                                grids[story.name])
                         for story in stories}
            for fs in config["feature_sets"]}


def describe(story: str, planned: PlannedRows) -> str:
    """One log line: the rows a story keeps and how they were chosen."""
    how = "auto trimming" if planned.auto else "explicit trimming"
    features, targets = planned.rows.features, planned.rows.targets
    return (f"{planned.split} story {story!r}: {how} keeps {planned.n_kept} of {planned.n_trs} feature "
            f"rows [{features.start}:{features.stop}] and response rows [{targets.start}:{targets.stop}]")


def row_warnings(story: str, planned: PlannedRows) -> list[str]:
    """Warnings for kept rows that rest on zero padding or on no windows."""
    lines = []
    if planned.n_padded:
        lines.append(f"{planned.split} story {story!r}: {planned.n_padded} kept rows hold zero-padded (or "
                     "wrapped) delay blocks: the delays reach before the story's first TR or past its "
                     "last; trim them (README, Choosing trimming)")
    if planned.n_empty:
        lines.append(f"{planned.split} story {story!r}: {planned.n_empty} kept rows hold a delay block of "
                     "a TR with no window within its downsampling kernel (a zero row); trim them "
                     "(README, Choosing trimming)")
    return lines


def row_log(planned: Mapping[str, PlannedRows]) -> dict:
    """Log each story's kept rows (and a warning for rows on padding or on no windows); return
    the counts summary.json records."""
    for story, kept in planned.items():
        log.info(describe(story, kept))
        for line in row_warnings(story, kept):
            log.warning(line)
    how = {kept.auto for kept in planned.values()}
    return {"trimming": "mixed" if len(how) > 1 else "auto" if how == {True} else "explicit",
            "n_rows_zero_padded": sum(kept.n_padded for kept in planned.values()),
            "n_rows_without_windows": sum(kept.n_empty for kept in planned.values()),
            "n_stories_with_warnings": sum(bool(row_warnings(story, kept))
                                           for story, kept in planned.items())}
