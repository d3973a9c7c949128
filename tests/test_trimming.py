"""Trimming: the config's splits, auto trimming against a plain reference on irregular TR grids and
every downsampling method, the warnings' counts, and the planning errors."""

from __future__ import annotations

import numpy as np
import pytest

from speech_encoding.data.audio import AudioLength
from speech_encoding.data.manifest import Story
from speech_encoding.design_matrix.downsample import downsample, kernel_support
from speech_encoding.design_matrix.row_coverage import delayed_rows, row_coverage, usable_span
from speech_encoding.design_matrix.trimming import (
    StoryRows,
    check_explicit_keys,
    check_rows_for_delays,
    explicit_rows,
    is_auto,
    trim_slice,
    trimmed_length,
)
from speech_encoding.errors import InputError
from speech_encoding.features.windows import window_ends, window_grid
from speech_encoding.run.row_plan import story_rows

# Method and options of every downsampling kernel (sinc both centred and causal).
KERNELS = [
    {"method": "rect"},
    {"method": "lanczos", "window": 3, "cutoff_mult": 1.0, "rectify": False},
    {"method": "lanczos", "window": 2, "cutoff_mult": 0.7, "rectify": True},
    {"method": "sinc", "window": 3, "cutoff_mult": 1.0, "causal": False, "renorm": False},
    {"method": "sinc", "window": 2, "cutoff_mult": 1.3, "causal": True, "renorm": True},
    {"method": "average"},
    {"method": "last"},
]


def test_slices_come_from_the_split_keys():
    trimming = {"train_features_start": 10, "train_features_end": -5, "test_targets_start": 40}
    assert trim_slice(trimming, "train", "features") == slice(10, -5)
    assert trim_slice(trimming, "test", "targets") == slice(40, None)
    assert trim_slice(trimming, "test", "features") == slice(None, None)
    assert explicit_rows(trimming, "test") == StoryRows(slice(None), slice(40, None))
    assert trimmed_length(100, slice(10, -5)) == len(list(range(100))[10:-5])
    assert trimmed_length(3, slice(10, None)) == 0


@pytest.mark.parametrize("trimming, train, test", [
    ("auto", True, True),
    ({}, True, True),
    ({"train_features_start": 5}, False, True),
    ({"test_targets_end": None}, True, False),
    ({"train": "auto", "test_features_start": 0}, True, False),
    ({"test": "auto", "train_targets_start": 2}, False, True),
])
def test_a_split_is_auto_unless_it_gives_slice_keys(trimming, train, test):
    assert (is_auto(trimming, "train"), is_auto(trimming, "test")) == (train, test)


def test_a_split_set_to_auto_may_not_give_slices():
    check_explicit_keys({"train": "auto", "test_features_start": 3})
    with pytest.raises(InputError, match=r"trimming.test is auto, but trimming also gives "
                                         r"test_features_start, test_targets_end"):
        check_explicit_keys({"test": "auto", "test_features_start": 3, "test_targets_end": -1})


def test_a_story_needs_more_rows_than_its_largest_delay():
    rows = StoryRows(slice(6, None), slice(6, None))
    check_rows_for_delays("s", "test", 11, rows, [1, 2, 3, 4])
    with pytest.raises(InputError, match=r"test story 's': 4 feature rows after trimming, but "
                                         r"fir_delays reach 4 TRs"):
        check_rows_for_delays("s", "test", 10, rows, [1, 2, 3, 4])
    with pytest.raises(InputError, match="fir_delays reach 5 TRs"):
        check_rows_for_delays("s", "train", 5, StoryRows(), [0, -5])


def reference_interval(kernel, tr_times, tr, i):
    """(lower, upper, lower_closed, upper_closed) of TR i, as each method's docstring defines it."""
    t = tr_times[i]
    spacing = np.mean(np.diff(tr_times))  # the mean TR spacing
    method = kernel["method"]
    if method == "rect":
        return t - tr / 2, t + tr / 2, True, False
    if method == "lanczos":
        half = kernel["window"] / (kernel["cutoff_mult"] / spacing)
        return t - half, t + half, True, True
    if method == "sinc":
        half = kernel["window"] / (2 * kernel["cutoff_mult"] / spacing)
        return t - half, (t if kernel["causal"] else t + half), True, True
    return (tr_times[i - 1] if i > 0 else -np.inf), t, False, True


def inside(time, interval):
    lower, upper, lower_closed, upper_closed = interval
    above = time >= lower if lower_closed else time > lower
    below = time <= upper if upper_closed else time < upper
    return above and below


def reference_usable(kernel, n_samples, rate, chunk, context, tr_times, tr, delays):
    """Per TR row: usable (every delay block a complete row), padded, empty; by plain loops over
    every window position, present (inside the audio) or not."""
    step, length = round(chunk * rate), round(context * rate)
    positions = [(end / rate, end - length >= 0 and end <= n_samples)
                 for end in range(length - 100 * step, n_samples + 100 * step, step)]
    n_trs = len(tr_times)
    n_windows, complete = [], []
    for i in range(n_trs):
        interval = reference_interval(kernel, tr_times, tr, i)
        present = [time for time, real in positions if real and inside(time, interval)]
        missing = [time for time, real in positions if not real and inside(time, interval)]
        if kernel["method"] == "last" and present:  # only a later missing window would change it
            missing = [time for time in missing if time > max(present)]
        n_windows.append(len(present))
        complete.append(len(present) > 0 and not missing)
    usable, padded, empty = [], [], []
    for i in range(n_trs):
        sources = [i - d for d in delays]
        usable.append(all(0 <= s < n_trs and complete[s] for s in sources))
        padded.append(any(not 0 <= s < n_trs for s in sources))
        empty.append(any(0 <= s < n_trs and n_windows[s] == 0 for s in sources))
    return np.array(usable), np.array(padded), np.array(empty)


def irregular_grid(rng, n_trs, tr, offset):
    """TR times tr apart on average, each jittered by up to a quarter TR (still increasing)."""
    return offset + tr * np.arange(n_trs) + rng.uniform(-tr / 4, tr / 4, size=n_trs)


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: "-".join(str(v) for v in k.values()))
@pytest.mark.parametrize("seed, jitter", [(0, True), (1, True), (2, True), (3, False), (4, False)])
def test_row_coverage_matches_a_plain_loop(kernel, seed, jitter):
    """On irregular TR grids, and on regular ones where interval ends fall on window times."""
    rng = np.random.default_rng(seed)
    rate = 100
    chunk, context = rng.choice([0.3, 0.5, 1.0]), rng.choice([1.0, 2.5, 4.0])
    n_samples = int(rng.integers(3000, 5000))
    tr = float(rng.choice([1.0, 1.5, 2.0]))
    n_trs = int(n_samples / rate / tr) + 3
    tr_times = (irregular_grid(rng, n_trs, tr, rng.uniform(-1.0, 1.5)) if jitter
                else tr / 2 + tr * np.arange(n_trs))
    delays = [int(d) for d in rng.choice([-1, 0, 1, 2, 3, 4], size=3, replace=False)]
    grid = window_grid(n_samples, rate, chunk, context)
    checks = delayed_rows(row_coverage(grid, kernel_support(tr_times, tr, **kernel)), delays)
    usable, padded, empty = reference_usable(kernel, n_samples, rate, chunk, context, tr_times, tr,
                                             delays)
    np.testing.assert_array_equal(checks.usable, usable)
    np.testing.assert_array_equal(checks.padded, padded)
    np.testing.assert_array_equal(checks.empty, empty)
    assert usable.any() and not usable.all()


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: "-".join(str(v) for v in k.values()))
def test_complete_rows_are_exactly_those_that_windows_outside_the_audio_would_not_change(kernel):
    """Downsample the real windows, then again with windows added where the audio has none (before
    the first and after the last): a complete row keeps its value, an incomplete one with windows
    changes."""
    rng = np.random.default_rng(5)
    rate, chunk, context, tr = 100, 0.5, 3.0, 2.0
    n_samples = 4000
    tr_times = irregular_grid(rng, 21, tr, 1.0)
    ends = window_ends(n_samples, rate, chunk, context)
    step = round(chunk * rate)
    extra_before = ends[0] - step * np.arange(40, 0, -1)
    extra_after = ends[-1] + step * np.arange(1, 41)
    times = ends / rate
    all_times = np.concatenate([extra_before, ends, extra_after]) / rate
    data = rng.normal(size=(len(ends), 3))
    extended = np.vstack([rng.normal(size=(40, 3)), data, rng.normal(size=(40, 3))])
    options = {k: v for k, v in kernel.items() if k != "method"}
    real = downsample(data, times, tr_times, tr, kernel["method"], **options)
    with_outside = downsample(extended, all_times, tr_times, tr, kernel["method"], **options)
    coverage = row_coverage(window_grid(n_samples, rate, chunk, context),
                            kernel_support(tr_times, tr, **kernel))
    unchanged = np.all(np.isclose(real, with_outside, rtol=0, atol=1e-12), axis=1)
    with_windows = coverage.n_windows > 0
    np.testing.assert_array_equal(unchanged[with_windows], coverage.complete[with_windows])
    assert coverage.complete.any() and not coverage.complete.all()


def test_usable_rows_form_one_span():
    assert usable_span(np.array([False, True, True, False])) == slice(1, 3)
    assert usable_span(np.zeros(3, dtype=bool)) is None


def demo_story(n_trs=60, split="train", tr_offset=None):
    return Story("s1", None, 2.0, n_trs, split, tr_offset)


DEMO_SET = {"name": "demo", "chunk_size": 0.5, "context_size": 1.0, "target_sample_rate": 16000}


def planned_rows(kernel, trimming="auto", story=None, feature_set=DEMO_SET, delays=(1, 2, 3, 4),
                 audio=AudioLength(120 * 22050, 22050)):
    story = story or demo_story()
    times = story.tr_offset if story.tr_offset is not None else story.tr / 2
    tr_times = times + story.tr * np.arange(story.n_trs)
    return story_rows(story, audio, feature_set, kernel, list(delays), trimming, tr_times)


def test_auto_trimming_of_the_demo_keeps_the_rows_its_explicit_trimming_kept():
    planned = planned_rows({"method": "rect"})
    assert planned.auto and planned.rows == StoryRows(slice(5, 60), slice(5, 60))
    assert (planned.n_kept, planned.n_padded, planned.n_empty) == (55, 0, 0)


def test_auto_trimming_drops_more_rows_for_a_wider_kernel():
    planned = planned_rows({"method": "lanczos", "window": 3, "cutoff_mult": 1.0})
    # Lanczos reaches 6 s either side: TR times 7..113 s (rows 3..56) are complete; delays 1..4.
    assert planned.rows == StoryRows(slice(7, 58), slice(7, 58))


def test_explicit_trimming_counts_rows_on_padding_and_on_no_windows():
    lebel = {**DEMO_SET, "chunk_size": 0.1, "context_size": 16.0}
    explicit = {"train_features_start": 5, "train_targets_start": 5}
    planned = planned_rows({"method": "rect"}, explicit, feature_set=lebel)
    # Windows start at 16 s: TRs at 1..15 s (rows 0..7) have none; kept rows 5..11 draw on them
    # through delays 1..4, and no kept row is padded (row 5 - 4 >= 0).
    assert not planned.auto and planned.rows == StoryRows(slice(5, None), slice(5, None))
    assert (planned.n_padded, planned.n_empty) == (0, 7)
    everything = planned_rows({"method": "rect"}, {"train_features_start": 0}, feature_set=lebel)
    assert (everything.n_padded, everything.n_empty) == (4, 11)


def test_auto_trimming_with_no_usable_row_names_the_story_and_settings():
    short = AudioLength(int(6.5 * 22050), 22050)
    with pytest.raises(InputError, match=r"story 's1', feature set 'demo': auto trimming finds no TR "
                                         r"row .*fir_delays \[1, 2, 3, 4\]"):
        planned_rows({"method": "rect"}, story=demo_story(n_trs=3), audio=short)


def test_auto_trimming_needs_increasing_tr_times():
    story = demo_story(n_trs=5)
    with pytest.raises(InputError, match=r"story 's1': auto trimming needs TR times that increase"):
        story_rows(story, AudioLength(10 * 16000, 16000), DEMO_SET, {"method": "rect"}, [1],
                   "auto", np.array([1.0, 3.0, 2.0, 5.0, 7.0]))


def test_the_fit_logs_each_storys_rows_and_warns_with_counts(caplog):
    from speech_encoding.run.row_plan import PlannedRows, row_log

    planned = {"a": PlannedRows("train", 60, StoryRows(slice(5, 60), slice(5, 60)), True, 0, 0),
               "b": PlannedRows("test", 40, StoryRows(slice(2, None), slice(0, None)), False, 2, 3)}
    with caplog.at_level("INFO"):
        counts = row_log(planned)
    assert counts == {"trimming": "mixed", "n_rows_zero_padded": 2, "n_rows_without_windows": 3,
                      "n_stories_with_warnings": 1}
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert infos == ["train story 'a': auto trimming keeps 55 of 60 feature rows [5:60] and response "
                     "rows [5:60]",
                     "test story 'b': explicit trimming keeps 38 of 40 feature rows [2:None] and "
                     "response rows [0:None]"]
    assert len(warnings) == 2 and all("test story 'b'" in line for line in warnings)
    assert "2 kept rows hold zero-padded" in warnings[0] and "3 kept rows hold a delay block of a TR "\
        "with no window" in warnings[1]


def test_the_demo_config_plans_auto_trimming_of_rows_5_onwards():
    """Planning the shipped demo (from the generated stand-ins, no file read): every story keeps
    rows 5-59 of 60, the rows its earlier explicit trimming kept."""
    import yaml
    from conftest import REPO, validated

    from speech_encoding.demo.planning import demo_generated_inputs
    from speech_encoding.run.plan import plan_run

    config = validated(yaml.safe_load((REPO / "config.yaml").read_text()))
    assert config["trimming"] == "auto"
    folder = f"{config['results_dir']}/demo"
    plan = plan_run(config, demo_generated_inputs(config, f"{folder}/dataset", f"{folder}/model"))
    rows = plan.analyses[0].rows["demo-whisper"]
    assert len(rows) == 5 and all(kept.auto for kept in rows.values())
    assert {(kept.rows.features.start, kept.rows.features.stop, kept.n_trs) for kept in rows.values()} \
        == {(5, 60, 60)}
