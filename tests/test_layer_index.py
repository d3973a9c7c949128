"""The per-layer index of story files that downsample and delay jobs write and the next job reads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from speech_encoding.errors import InputError
from speech_encoding.run.layer_index import (
    MB,
    index_name,
    indexed_files,
    indexed_size_mb,
    write_layer_index,
)


@pytest.fixture
def indexed(tmp_path):
    files = {}
    for story, rows in (("b", 5), ("a", 7)):
        files[story] = str(tmp_path / story / "layer0.npy")
        (tmp_path / story).mkdir()
        np.save(files[story], np.ones((rows, 3), np.float32))
    index = tmp_path / index_name(0, ["b", "a"])
    write_layer_index(index, files, {"b": (5, 3), "a": (7, 3)})
    return index, files


def test_the_index_names_every_story_file_with_its_shape_and_size(indexed):
    index, files = indexed
    stories = json.loads(index.read_text())["stories"]
    assert stories == {story: {"path": files[story], "shape": [n, 3],
                               "bytes": 128 + 4 * 3 * n} for story, n in (("b", 5), ("a", 7))}
    assert indexed_files(index, ["a", "b"], "delay") == {"a": files["a"], "b": files["b"]}
    assert indexed_size_mb(index) == pytest.approx((2 * 128 + 4 * 3 * 12) / MB)
    assert indexed_size_mb(index.parent / "absent.json") == 0.0


def test_a_missing_changed_or_unlisted_file_is_named_with_the_fix(indexed):
    index, files = indexed
    with pytest.raises(InputError, match=r"no file for stories c; rerun with `snakemake --forcerun delay`"):
        indexed_files(index, ["a", "c"], "delay")
    np.save(files["a"], np.ones((8, 3), np.float32))
    with pytest.raises(InputError, match=r"story 'a': .*a/layer0.npy is not the file the index recorded"):
        indexed_files(index, ["a"], "downsample")
    (index.parent / "b" / "layer0.npy").unlink()
    broken = index.parent / "broken.json"
    broken.write_text("")
    assert indexed_size_mb(broken) == 0.0
    with pytest.raises(InputError, match=r"broken.json: not a readable index of story .*forcerun delay"):
        indexed_files(broken, ["a"], "delay")
    with pytest.raises(InputError, match=r"story 'b': .*b/layer0.npy is missing .*--forcerun downsample"):
        indexed_files(index, ["b"], "downsample")


def test_the_index_name_changes_with_the_stories_and_their_order():
    names = {index_name(3, stories) for stories in (["a", "b"], ["b", "a"], ["a", "b", "c"], ["ab"])}
    assert len(names) == 4 and all(name.startswith("layer3.index-") for name in names)
    assert index_name(3, ["a", "b"]) == index_name("3", ["a", "b"])
