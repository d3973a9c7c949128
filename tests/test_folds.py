import numpy as np
import pytest
from ridge_reference import ref_chunked_folds

from speech_encoding.errors import InputError
from speech_encoding.modelling.folds import cv_splits, with_gap

REMAINDERS = ["spread", "last"]


def validation_folds(n_rows, n_folds, folding_type, chunk_length, seed, remainder="spread"):
    """The validation rows of every fold of a partitioning folding type."""
    return [held_out for _, held_out in cv_splits(n_rows, n_folds, folding_type, chunk_length, seed,
                                                  remainder=remainder)]


def reference_folds(n_rows, n_folds, chunk_length, order, remainder):
    return [sorted(row for chunk in fold for row in chunk)
            for fold in ref_chunked_folds(n_rows, n_folds, chunk_length, order, remainder)]


def assert_partition(folds, n_rows):
    rows = np.concatenate(folds)
    assert sorted(rows.tolist()) == list(range(n_rows))  # union is all rows, no row twice
    for fold in folds:
        assert np.all(np.diff(fold) > 0)


@pytest.mark.parametrize("n_rows, n_folds", [(10, 2), (23, 5), (7, 7)])
def test_kfold_is_contiguous_array_split(n_rows, n_folds):
    folds = validation_folds(n_rows, n_folds, "kfold", 4, 0)
    assert_partition(folds, n_rows)
    for fold, expected in zip(folds, np.array_split(np.arange(n_rows), n_folds), strict=True):
        np.testing.assert_array_equal(fold, expected)


@pytest.mark.parametrize("n_rows, n_folds, chunk_length", [
    (50, 3, 7),    # 7 chunks, last chunk 8 rows, last fold 3 chunks
    (40, 4, 10),   # exact fit
    (61, 2, 20),   # 3 chunks, 1 trailing row
    (100, 5, 6),
])
@pytest.mark.parametrize("remainder", REMAINDERS)
def test_chunked_contiguous_matches_reference(n_rows, n_folds, chunk_length, remainder):
    folds = validation_folds(n_rows, n_folds, "chunked_contiguous", chunk_length, 0, remainder)
    assert_partition(folds, n_rows)
    expected = reference_folds(n_rows, n_folds, chunk_length, list(range(n_rows // chunk_length)),
                               remainder)
    assert [f.tolist() for f in folds] == expected


@pytest.mark.parametrize("seed", [0, 1, 12345])
@pytest.mark.parametrize("n_rows, n_folds, chunk_length", [(50, 3, 7), (200, 5, 10), (118, 5, 20)])
@pytest.mark.parametrize("remainder", REMAINDERS)
def test_chunked_matches_seeded_permutation(seed, n_rows, n_folds, chunk_length, remainder):
    folds = validation_folds(n_rows, n_folds, "chunked", chunk_length, seed, remainder)
    assert_partition(folds, n_rows)
    order = np.random.default_rng(seed).permutation(n_rows // chunk_length).tolist()
    expected = reference_folds(n_rows, n_folds, chunk_length, order, remainder)
    assert [f.tolist() for f in folds] == expected


def test_the_tutorials_last_fold_takes_the_rest_and_spread_balances():
    """The trial's 118 rows in chunks of 20 over 5 folds."""
    def sizes(remainder):
        return sorted(len(f) for f in validation_folds(118, 5, "chunked", 20, 0, remainder))
    assert sizes("last") == [20, 20, 20, 20, 38]
    assert sizes("spread") == [23, 23, 24, 24, 24]


@pytest.mark.parametrize("folding_type", ["chunked", "chunked_contiguous", "chunked_trimmed"])
def test_spread_folds_differ_by_at_most_one_chunk(folding_type):
    rng = np.random.default_rng(0)
    for _ in range(300):
        n_folds, chunk_length = int(rng.integers(2, 8)), int(rng.integers(1, 25))
        n_rows = int(rng.integers(n_folds * chunk_length, 12 * n_folds * chunk_length + 1))
        splits = cv_splits(n_rows, n_folds, folding_type, chunk_length, 1, trim_size=0)
        held_out = [len(validated) for _, validated in splits]
        assert max(held_out) - min(held_out) <= chunk_length, (n_rows, n_folds, chunk_length)


def test_group_folds_spread_the_leftover_stories():
    groups = np.repeat(np.arange(8), 10)  # 8 stories of 10 rows over 3 folds
    for remainder, expected in [("spread", [20, 30, 30]), ("last", [20, 20, 40])]:
        splits = cv_splits(80, 3, "group", 5, 0, groups=groups, remainder=remainder)
        assert sorted(len(validated) for _, validated in splits) == expected


def test_chunked_folds_are_unions_of_whole_chunks():
    chunks = [list(range(start, start + 10)) for start in range(0, 200, 10)]
    for fold in validation_folds(200, 5, "chunked", 10, 3):
        members = set(fold.tolist())
        for chunk in chunks:
            assert members.issuperset(chunk) or members.isdisjoint(chunk)


def test_chunked_seed_reproducible_and_seed_dependent():
    first = validation_folds(200, 5, "chunked", 10, 7)
    again = validation_folds(200, 5, "chunked", 10, 7)
    other = validation_folds(200, 5, "chunked", 10, 8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize("folding_type", ["chunked", "chunked_contiguous"])
def test_row_count_below_chunk_length_is_one_chunk(folding_type):
    with pytest.raises(InputError, match="ridge.n_inner_folds"):
        validation_folds(15, 2, folding_type, 20, 0)


@pytest.mark.parametrize("n_rows, n_folds, folding_type", [
    (50, 8, "chunked"),             # 7 chunks of 7 rows < 8 folds
    (50, 8, "chunked_contiguous"),
    (50, 1, "chunked"),
    (50, 1, "kfold"),
    (3, 5, "kfold"),
])
def test_too_few_chunks_or_folds_raise(n_rows, n_folds, folding_type):
    with pytest.raises(InputError, match="ridge.n_inner_folds"):
        cv_splits(n_rows, n_folds, folding_type, 7, 0)


def test_unknown_folding_type_raises():
    with pytest.raises(InputError, match=r"ridge.folding_type: unknown folding type 'random' \(known: "
                                         r"chunked, chunked_trimmed, chunked_contiguous, kfold, "
                                         r"kfold_trimmed, timeseries, group\)"):
        cv_splits(50, 3, "random", 7, 0)


@pytest.mark.parametrize("folding_type", ["chunked", "chunked_contiguous", "kfold"])
def test_cv_splits_train_on_every_other_row(folding_type):
    splits = cv_splits(53, 4, folding_type, 5, 1)
    folds = validation_folds(53, 4, folding_type, 5, 1)
    for (train, held_out), fold in zip(splits, folds, strict=True):
        np.testing.assert_array_equal(held_out, fold)
        np.testing.assert_array_equal(train, [i for i in range(53) if i not in set(fold)])


def test_timeseries_is_an_expanding_window():
    n_rows, n_folds = 23, 4
    block = n_rows // (n_folds + 1)
    splits = cv_splits(n_rows, n_folds, "timeseries", 5, 0)
    first_validated = n_rows - n_folds * block
    expected_starts = list(range(first_validated, n_rows, block))
    assert len(splits) == n_folds
    for k, (train, held_out) in enumerate(splits):
        start = expected_starts[k]
        np.testing.assert_array_equal(train, list(range(start)))
        np.testing.assert_array_equal(held_out, list(range(start, start + block)))
    with pytest.raises(InputError, match="ridge.n_outer_folds=4 timeseries folds need at least 5 rows"):
        cv_splits(4, 4, "timeseries", 5, 0, key="ridge.n_outer_folds")


def test_group_folds_never_split_a_story():
    groups = ["a"] * 7 + ["b"] * 5 + ["c"] * 9 + ["d"] * 4 + ["e"] * 6
    for seed in range(5):
        splits = cv_splits(len(groups), 3, "group", 20, seed, groups=groups)
        seen = []
        for train, held_out in splits:
            train_stories = {groups[i] for i in train}
            held_stories = {groups[i] for i in held_out}
            assert not train_stories & held_stories
            assert held_out.tolist() == [i for i, g in enumerate(groups) if g in held_stories]
            seen.extend(held_out.tolist())
        assert sorted(seen) == list(range(len(groups)))
    first = cv_splits(len(groups), 3, "group", 20, 0, groups=groups)
    assert any(not np.array_equal(a[1], b[1])
               for seed in range(1, 6)
               for a, b in zip(first, cv_splits(len(groups), 3, "group", 20, seed, groups=groups)))
    with pytest.raises(InputError, match="needs at least 6 stories"):
        cv_splits(len(groups), 6, "group", 20, 0, groups=groups)


# ---------- trimmed folding types and fold gaps, against plain loops ----------

def loop_kfold_trimmed(n_rows, n_folds, trim):
    """The tutorial's kfold_trimmed: KFold(shuffle=False); each test fold without its first and
    last `trim` rows; training is every row outside the fold."""
    splits = []
    for fold in np.array_split(np.arange(n_rows), n_folds):
        fold = fold.tolist()
        train = [i for i in range(n_rows) if i not in fold]
        splits.append((train, fold[trim:len(fold) - trim]))
    return splits


def loop_chunked_trimmed(n_rows, n_folds, chunk_length, order, trim, remainder):
    """Chunked folds (as `reference_folds`), each test chunk without its first and last `trim`
    rows; training is every row of the other folds' chunks."""
    splits = []
    for test_chunks in ref_chunked_folds(n_rows, n_folds, chunk_length, order, remainder):
        in_fold = {row for chunk in test_chunks for row in chunk}
        test = sorted(row for chunk in test_chunks for row in chunk[trim:len(chunk) - trim])
        splits.append(([i for i in range(n_rows) if i not in in_fold], test))
    return splits


def loop_gap(splits, gap, groups):
    """Drop each training row that has a validation row of its story within `gap` rows."""
    return [([i for i in train
              if not any(abs(i - j) <= gap and groups[i] == groups[j] for j in held_out)], held_out)
            for train, held_out in splits]


def as_lists(splits):
    return [(np.asarray(train).tolist(), np.asarray(held_out).tolist()) for train, held_out in splits]


@pytest.mark.parametrize("n_rows, n_folds, trim", [(60, 3, 5), (53, 4, 2), (23, 5, 0), (40, 2, 9)])
def test_kfold_trimmed_matches_the_loop_definition(n_rows, n_folds, trim):
    got = cv_splits(n_rows, n_folds, "kfold_trimmed", 7, 0, trim_size=trim)
    assert as_lists(got) == loop_kfold_trimmed(n_rows, n_folds, trim)


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("n_rows, n_folds, chunk_length, trim", [
    (200, 5, 20, 5), (61, 2, 20, 3), (50, 3, 7, 1), (100, 4, 12, 5)])
@pytest.mark.parametrize("remainder", REMAINDERS)
def test_chunked_trimmed_matches_the_loop_definition(seed, n_rows, n_folds, chunk_length, trim,
                                                     remainder):
    got = cv_splits(n_rows, n_folds, "chunked_trimmed", chunk_length, seed, trim_size=trim,
                    remainder=remainder)
    order = np.random.default_rng(seed).permutation(n_rows // chunk_length)
    expected = loop_chunked_trimmed(n_rows, n_folds, chunk_length, order.tolist(), trim, remainder)
    assert as_lists(got) == expected


def test_trimmed_types_with_no_trim_are_the_untrimmed_types():
    for trimmed_type, plain in [("kfold_trimmed", "kfold"), ("chunked_trimmed", "chunked")]:
        assert as_lists(cv_splits(97, 4, trimmed_type, 9, 3, trim_size=0)) == as_lists(
            cv_splits(97, 4, plain, 9, 3))


def test_a_trim_that_leaves_nothing_to_validate_names_the_key():
    with pytest.raises(InputError, match=r"ridge.trim_size=5 leaves a fold of 10 held-out rows"):
        cv_splits(40, 4, "kfold_trimmed", 7, 0, trim_size=5)
    with pytest.raises(InputError, match=r"ridge.trim_size=5"):
        cv_splits(40, 4, "chunked_trimmed", 10, 0, trim_size=5)


STORIES = [0] * 37 + [1] * 25 + [2] * 41


@pytest.mark.parametrize("folding_type", ["chunked", "chunked_trimmed", "kfold", "timeseries", "group"])
@pytest.mark.parametrize("gap", [0, 1, 4, 10])
def test_fold_gap_matches_the_loop_definition(folding_type, gap):
    n_rows = len(STORIES)
    plain = cv_splits(n_rows, 3, folding_type, 8, 2, groups=STORIES, trim_size=2)
    got = cv_splits(n_rows, 3, folding_type, 8, 2, groups=STORIES, trim_size=2, gap=gap)
    assert as_lists(got) == loop_gap(as_lists(plain), gap, STORIES)
    if gap and folding_type in ("chunked", "kfold"):
        assert sum(len(t) for t, _ in got) < sum(len(t) for t, _ in plain)  # the gap removed rows


def test_fold_gap_stays_within_a_story():
    # validating the last 5 rows of story 0: the gap must not reach into story 1
    groups = [0] * 10 + [1] * 10
    train = np.r_[0:5, 10:20]
    splits = with_gap([(train, np.arange(5, 10))], 3, groups, 20, "ridge.fold_gap")
    assert splits[0][0].tolist() == [0, 1] + list(range(10, 20))


def test_a_gap_that_leaves_no_training_rows_names_the_key():
    with pytest.raises(InputError, match=r"ridge.fold_gap=30 leaves fold 1 of 2 no training rows"):
        cv_splits(50, 2, "kfold", 7, 0, gap=30, gap_key="ridge.fold_gap")
