"""Responses: checks on the files, and planning subjects with early alignment checks."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_responses, write_stories_tsv

from speech_encoding.data.manifest import read_manifest
from speech_encoding.data.responses import check_finite, list_subjects, load_responses
from speech_encoding.design_matrix.trimming import StoryRows, explicit_rows
from speech_encoding.errors import InputError
from speech_encoding.run.plan import plan_subjects
from speech_encoding.run.row_plan import PlannedRows


def kept(stories, trimming=None, auto=False):
    """The rows plan of one feature set: each story's explicit slices (every row without
    `trimming`), or every row chosen as auto trimming would mark it."""
    return {"f": {s.name: PlannedRows(s.split, s.n_trs, explicit_rows(trimming, s.split) if trimming
                                      else StoryRows(), auto, 0, 0) for s in stories}}


@pytest.fixture
def stories(tmp_path):
    rows = [{"story": name, "audio": f"{name}.wav", "tr": 2, "n_trs": 12, "split": split}
            for name, split in (("a", "train"), ("b", "train"), ("c", "test"))]
    return read_manifest(write_stories_tsv(tmp_path, rows))


def test_subjects_all_lists_folders_sorted(tmp_path, stories):
    for subject in ("s2", "s1"):
        write_responses(tmp_path / "resp", subject, {s.name: (12, 5) for s in stories})
    assert list_subjects(tmp_path / "resp") == ["s1", "s2"]
    assert plan_subjects("all", tmp_path / "resp", stories, kept(stories)) == ["s1", "s2"]
    assert plan_subjects(["s2"], tmp_path / "resp", stories, kept(stories)) == ["s2"]


def test_unknown_subject_is_named(tmp_path, stories):
    write_responses(tmp_path / "resp", "s1", {s.name: (12, 5) for s in stories})
    with pytest.raises(InputError, match="dataset.subjects: no responses for s9"):
        plan_subjects(["s9"], tmp_path / "resp", stories, kept(stories))


def test_missing_response_file_is_named(tmp_path, stories):
    write_responses(tmp_path / "resp", "s1", {"a": (12, 5), "c": (12, 5)})
    with pytest.raises(InputError, match=r"(?s)subject 's1': 1 missing response file.*s1/b\.npy"):
        plan_subjects("all", tmp_path / "resp", stories, kept(stories))


@pytest.mark.parametrize("bad_shape", [(12,), (12, 5, 2)])
def test_responses_must_be_2d(tmp_path, stories, bad_shape):
    write_responses(tmp_path / "resp", "s1", {"a": (12, 5), "b": bad_shape, "c": (12, 5)})
    with pytest.raises(InputError, match=r"subject 's1', story 'b': .* must be 2-D"):
        plan_subjects("all", tmp_path / "resp", stories, kept(stories))


def test_voxel_counts_must_agree(tmp_path, stories):
    write_responses(tmp_path / "resp", "s1", {"a": (12, 5), "b": (12, 6), "c": (12, 5)})
    with pytest.raises(InputError, match=r"subject 's1': voxel counts differ.*b: 6"):
        plan_subjects("all", tmp_path / "resp", stories, kept(stories))


def test_rows_must_align_after_trimming(tmp_path, stories):
    write_responses(tmp_path / "resp", "s1", {"a": (12, 5), "b": (12, 5), "c": (9, 5)})
    with pytest.raises(InputError, match=r"test story 'c': after trimming, features have 12 rows.*"
                                         r"responses have 9 rows"):
        plan_subjects("all", tmp_path / "resp", stories, kept(stories))
    trimming = {"test_features_start": 3}
    assert plan_subjects("all", tmp_path / "resp", stories, kept(stories, trimming)) == ["s1"]


def test_auto_trimming_needs_responses_on_the_tr_grid(tmp_path, stories):
    write_responses(tmp_path / "resp", "s1", {"a": (12, 5), "b": (12, 5), "c": (9, 5)})
    with pytest.raises(InputError, match=r"subject 's1', test story 'c': responses have 9 rows but the "
                                         r"TR grid has 12 \(n_trs\); auto trimming .* explicit "
                                         r"trimming.test_features_\* / test_targets_\* slices"):
        plan_subjects("all", tmp_path / "resp", stories, kept(stories, auto=True))


def test_every_mismatching_response_file_is_reported_at_once(tmp_path, stories):
    # s1: two stories misaligned; s2: one file not 2-D and one misaligned
    write_responses(tmp_path / "resp", "s1", {"a": (11, 5), "b": (12, 5), "c": (9, 5)})
    write_responses(tmp_path / "resp", "s2", {"a": (12,), "b": (10, 5), "c": (12, 5)})
    with pytest.raises(InputError) as error:
        plan_subjects("all", tmp_path / "resp", stories, kept(stories))
    lines = str(error.value).splitlines()
    assert lines[0] == "3 problems with the response files:"
    assert [line.split(":")[0] for line in lines[1:]] == [
        "  subject 's1', train story 'a'", "  subject 's1', test story 'c'", "  subject 's2', story 'a'"]


def test_a_long_list_of_problems_is_capped_with_a_count(tmp_path):
    rows = [{"story": f"s{i:02d}", "audio": f"s{i:02d}.wav", "tr": 2, "n_trs": 12,
             "split": "test" if i == 13 else "train"} for i in range(14)]
    stories = read_manifest(write_stories_tsv(tmp_path, rows))
    write_responses(tmp_path / "resp", "s1", {story.name: (10, 5) for story in stories})
    with pytest.raises(InputError) as error:
        plan_subjects("all", tmp_path / "resp", stories, kept(stories))
    lines = str(error.value).splitlines()
    assert lines[0] == "14 problems with the response files:" and len(lines) == 12
    assert lines[-1] == "  ... and 4 more"


def test_nan_and_inf_are_counted_and_located(tmp_path):
    data = np.zeros((6, 4))
    data[2, 3] = np.nan
    data[5, 0] = np.inf
    with pytest.raises(InputError, match=r"resp\.npy: 2 NaN/inf value\(s\), first at \(row 2, voxel 3\)"):
        check_finite(data, "resp.npy")
    (tmp_path / "s1").mkdir()
    np.save(tmp_path / "s1" / "x.npy", data)
    with pytest.raises(InputError, match="subject 's1', story 'x'.*2 NaN/inf"):
        load_responses(tmp_path / "s1" / "x.npy", "s1", "x")
