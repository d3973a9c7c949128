"""Trimming: row counts per split, alignment of features and responses, room for the delays."""

from __future__ import annotations

import pytest

from speech_encoding.design_matrix.trimming import check_rows_for_delays, trim_slice, trimmed_length
from speech_encoding.errors import InputError


def test_slices_come_from_the_split_keys():
    trimming = {"train_features_start": 10, "train_features_end": -5, "test_targets_start": 40}
    assert trim_slice(trimming, "train", "features") == slice(10, -5)
    assert trim_slice(trimming, "test", "targets") == slice(40, None)
    assert trim_slice(trimming, "test", "features") == slice(None, None)
    assert trimmed_length(100, slice(10, -5)) == len(list(range(100))[10:-5])
    assert trimmed_length(3, slice(10, None)) == 0


def test_a_story_needs_more_rows_than_its_largest_delay():
    trimming = {"test_features_start": 6}
    check_rows_for_delays("s", "test", 11, trimming, [1, 2, 3, 4])
    with pytest.raises(InputError, match=r"test story 's': 4 feature rows after trimming, but "
                                         r"fir_delays reach 4 TRs"):
        check_rows_for_delays("s", "test", 10, trimming, [1, 2, 3, 4])
    with pytest.raises(InputError, match="fir_delays reach 5 TRs"):
        check_rows_for_delays("s", "train", 5, {}, [0, -5])
