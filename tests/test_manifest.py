"""stories.tsv: parsing, TR grids, and every bad-manifest error naming its culprit."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_stories_tsv

from speech_encoding.data.manifest import read_manifest, tr_times, write_manifest
from speech_encoding.errors import InputError


def row(story, split="train", **extra):
    return {"story": story, "audio": f"audio/{story}.wav", "tr": 2.0, "n_trs": 10, "split": split,
            **extra}


def test_reads_rows_in_order_with_resolved_paths(tmp_path):
    path = write_stories_tsv(tmp_path, [row("b"), row("a"), row("c", "test", tr_offset=0.5)])
    stories = read_manifest(path)
    assert [s.name for s in stories] == ["b", "a", "c"]
    assert [s.split for s in stories] == ["train", "train", "test"]
    assert stories[0].audio == tmp_path / "audio" / "b.wav"
    assert stories[2].tr_offset == 0.5 and stories[0].tr_offset is None


def test_tr_grid_default_offset_is_half_a_tr():
    expected = [1.0 + 2.0 * k for k in range(4)]
    np.testing.assert_allclose(tr_times(2.0, 4), expected, atol=1e-12)
    np.testing.assert_allclose(tr_times(2.0, 3, tr_offset=0.0), [0.0, 2.0, 4.0], atol=1e-12)


def test_explicit_tr_times_file(tmp_path):
    np.save(tmp_path / "t.npy", np.array([0.5, 2.5, 4.7]))
    path = write_stories_tsv(tmp_path, [row("a", n_trs=3, tr_times="t.npy"), row("b", "test")])
    story = read_manifest(path)[0]
    np.testing.assert_allclose(tr_times(**story.tr_grid_params()), [0.5, 2.5, 4.7], atol=0)
    bad = write_stories_tsv(tmp_path, [row("a", n_trs=4, tr_times="t.npy"), row("b", "test")])
    with pytest.raises(InputError, match="n_trs=4"):
        tr_times(**read_manifest(bad)[0].tr_grid_params())


def test_test_stories_from_config_replace_the_split_column(tmp_path):
    rows = [{k: v for k, v in row(name).items() if k != "split"} for name in ("a", "b", "c")]
    stories = read_manifest(write_stories_tsv(tmp_path, rows), test_stories=["b"])
    assert [s.split for s in stories] == ["train", "test", "train"]


def test_round_trip_through_write_manifest(tmp_path):
    stories = read_manifest(write_stories_tsv(tmp_path, [row("a"), row("b", "test", tr_offset=1.5)]))
    write_manifest(stories, tmp_path / "copy.tsv")
    assert read_manifest(tmp_path / "copy.tsv") == stories


@pytest.mark.parametrize("rows, message", [
    ([row("a"), row("a", "test")], "duplicate story name.*'?a"),
    ([row("a", tr=0), row("b", "test")], "story 'a': tr must be > 0"),
    ([row("a", tr=-2), row("b", "test")], "story 'a': tr must be > 0"),
    ([row("a", tr="fast"), row("b", "test")], "story 'a': column 'tr' must be a number"),
    ([row("a", n_trs=0), row("b", "test")], "story 'a': n_trs must be >= 1"),
    ([row("a", n_trs=2.5), row("b", "test")], "story 'a': n_trs must be an integer"),
    ([row("a"), row("b")], "no test story"),
    ([row("a", "test"), row("b", "test")], "no training story"),
    ([row("a", "validation"), row("b", "test")], "story 'a': split must be 'train' or 'test'"),
    ([row("my story"), row("b", "test")], "story name 'my story' is not safe"),
    ([row("x/y"), row("b", "test")], "story name 'x/y' is not safe"),
    ([row(""), row("b", "test")], "story name '' is not safe"),
    ([row("a", audio="../outside.wav"), row("b", "test")],
     "story 'a': audio path '../outside.wav' points outside the dataset folder"),
    ([row("a", audio="/etc/passwd"), row("b", "test")],
     "story 'a': audio path '/etc/passwd' points outside the dataset folder"),
])
def test_bad_manifest_errors_name_the_story(tmp_path, rows, message):
    path = write_stories_tsv(tmp_path, rows)
    with pytest.raises(InputError, match=message) as error:
        read_manifest(path)
    assert str(path) in str(error.value)


def test_missing_audio_names_story_and_file(tmp_path):
    path = write_stories_tsv(tmp_path, [row("a"), row("b", "test")], touch_audio=False)
    with pytest.raises(InputError, match=r"story 'a': audio file not found: .*audio/a\.wav"):
        read_manifest(path)


def test_missing_column_is_named(tmp_path):
    path = write_stories_tsv(tmp_path, [{"story": "a", "audio": "a.wav", "n_trs": 3, "split": "test"}])
    with pytest.raises(InputError, match="missing required column.*tr"):
        read_manifest(path)


def test_missing_manifest_names_the_config_key(tmp_path):
    with pytest.raises(InputError, match="dataset.stories"):
        read_manifest(tmp_path / "nope.tsv")


def test_test_stories_disagreeing_with_split_column(tmp_path):
    path = write_stories_tsv(tmp_path, [row("a"), row("b", "test")])
    with pytest.raises(InputError, match="story 'a' is a test story by dataset.test_stories but a train"):
        read_manifest(path, test_stories=["a", "b"])
    with pytest.raises(InputError, match="dataset.test_stories names stories not in.*zzz"):
        read_manifest(path, test_stories=["zzz"])


def test_nested_cv_needs_no_split_column(tmp_path):
    rows = [{k: v for k, v in row(name).items() if k != "split"} for name in ("a", "b")]
    path = write_stories_tsv(tmp_path, rows)
    with pytest.raises(InputError, match="missing required column.*split"):
        read_manifest(path)
    assert [s.split for s in read_manifest(path, require_split=False)] == ["train", "train"]


def test_paths_keep_the_spelling_of_the_manifest_path(tmp_path, monkeypatch):
    write_stories_tsv(tmp_path, [row("a"), row("b", "test")])
    monkeypatch.chdir(tmp_path.parent)
    stories = read_manifest(f"{tmp_path.name}/./stories.tsv")
    assert str(stories[0].audio) == f"{tmp_path.name}/audio/a.wav"
