"""Config validation: the JSON schema (as the Snakefile applies it) and the cross-field checks."""

from __future__ import annotations

import copy

import pytest
import yaml
from conftest import REPO, TINY_DEMO, validated

from speech_encoding.errors import InputError
from speech_encoding.run.settings import RidgeSettings, resolve_alphas


def test_defaults_are_filled_in():
    config = validated({"dataset": {"stories": "s.tsv", "responses": "r"},
                        "feature_sets": [{"name": "w", "model": "m"}]})
    fs = config["feature_sets"][0]
    assert (fs["chunk_size"], fs["context_size"], fs["layers"], fs["pool"]) == (0.1, 16.0, "all", "last")
    assert (fs["target_sample_rate"], fs["device"]) == (16000, "auto")
    assert (fs["dtype"], fs["whisper_padding"], fs["save_dtype"]) == ("float32", "pad30", "float32")
    assert config["fir_delays"] == [1, 2, 3, 4]
    assert config["downsample"] == {"method": "rect", "window": 3, "cutoff_mult": 1.0,
                                    "rectify": False, "causal": False, "renorm": False}
    assert config["fir_circpad"] is False
    assert config["results_dir"] == "results"
    assert config["dataset"]["subjects"] == "all"
    assert config["trimming"] == "auto"
    ridge = config["ridge"]
    assert ridge["alphas"] == {"logspace": [-1, 8, 10]}
    assert (ridge["n_inner_folds"], ridge["folding_type"], ridge["chunk_length"]) == (5, "chunked", 20)
    assert (ridge["normalpha"], ridge["single_alpha"], ridge["use_corr"]) == (True, False, True)
    assert (ridge["alpha_fdr"], ridge["singcutoff"], ridge["seed"]) == (0.05, 1e-10, 0)
    assert (ridge["mode"], ridge["n_outer_folds"]) == ("train_test", 5)
    assert (ridge["normalize_features"], ridge["normalize_targets"]) == (False, False)
    assert (ridge["outer_folding_type"], ridge["fold_gap"], ridge["inner_fold_gap"]) == ("kfold", 20, 0)
    assert config["significance"] == {"method": "permutation", "alternative": "greater",
                                      "null": "phase", "n_permutations": 10000, "block_length": 10,
                                      "seed": 0, "combine": None}


def test_alphas_logspace_and_list():
    assert resolve_alphas({"logspace": [-1, 2, 4]}) == (0.1, 1.0, 10.0, 100.0)
    assert resolve_alphas([3, 1.5]) == (3.0, 1.5)
    settings = RidgeSettings.from_config(validated(TINY_DEMO)["ridge"])
    assert len(settings.alphas) == 10 and settings.alphas[0] == pytest.approx(0.1)


def with_change(path: tuple, value) -> dict:
    config = copy.deepcopy(TINY_DEMO)
    target = config
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return config


@pytest.mark.parametrize("path, value, named", [
    (("unknown_key",), 1, "unknown_key"),
    (("ridge", "alpha"), [1.0], "alpha"),
    (("feature_sets", 0, "chunk_size"), 0, "chunk_size"),
    (("feature_sets", 0, "chunk_size"), -0.5, "chunk_size"),
    (("feature_sets", 0, "pool"), "max", "pool"),
    (("fir_delays",), [], "fir_delays"),
    (("ridge", "n_inner_folds"), "five", "n_inner_folds"),
    (("feature_sets", 0, "device"), "tpu", "device"),
    (("feature_sets", 0, "dtype"), "float64", "dtype"),
    (("feature_sets", 0, "whisper_padding"), "pad10", "whisper_padding"),
    (("feature_sets", 0, "save_dtype"), "bfloat16", "save_dtype"),
    (("significance",), {"n_permutations": 0}, "n_permutations"),
    (("significance",), {"null": "wild"}, "null"),
    (("significance",), {"block_length": 0}, "block_length"),
    (("significance",), {"combine": "stouffer"}, "combine"),
    (("ridge", "fold_gap"), -1, "fold_gap"),
    (("ridge", "outer_folding_type"), "random", "outer_folding_type"),
])
def test_schema_errors_name_the_key(path, value, named):
    with pytest.raises(Exception) as error:
        validated(with_change(path, value))
    assert named in str(error.value)


def test_context_shorter_than_chunk_is_refused():
    config = with_change(("feature_sets", 0, "context_size"), 0.25)
    with pytest.raises(InputError, match=r"feature_sets\[0\].*context_size"):
        validated(config)


def test_float16_on_cpu_is_refused_and_bfloat16_allowed():
    config = with_change(("feature_sets", 0, "dtype"), "float16")
    config["feature_sets"][0]["device"] = "cpu"
    with pytest.raises(InputError, match=r"feature_sets\[0\] \(tiny\): dtype float16 needs a CUDA device"):
        validated(config)
    config["feature_sets"][0]["dtype"] = "bfloat16"
    assert validated(config)["feature_sets"][0]["dtype"] == "bfloat16"


def test_duplicate_feature_set_names_are_refused():
    config = copy.deepcopy(TINY_DEMO)
    config["feature_sets"].append(dict(config["feature_sets"][0]))
    with pytest.raises(InputError, match="feature_sets: duplicate name.*tiny"):
        validated(config)


def test_more_driven_than_demo_voxels_is_refused():
    config = copy.deepcopy(TINY_DEMO)
    config["demo"]["n_driven"] = 41
    with pytest.raises(InputError, match=r"demo.n_driven \(41\) must be <= demo.n_voxels \(40\)"):
        validated(config)


@pytest.mark.parametrize("alphas", [[1.0, 2e30], {"logspace": [-1, 31, 5]}])
def test_alphas_above_the_solvers_range_are_refused(alphas):
    config = with_change(("ridge", "alphas"), alphas)
    with pytest.raises(InputError, match=r"ridge.alphas: every alpha must be <= 1e\+30"):
        validated(config)
    validated(with_change(("ridge", "alphas"), {"logspace": [-30, 30, 7]}))


def planned_config(extra: dict, n_trs: tuple[int, ...] = (300, 300, 300),
                   splits: tuple[str, ...] = ("train", "train", "test")):
    """plan_run of the tiny demo config with `extra` keys (every row kept) on generated stand-ins
    (no file is read); the last story has repeats."""
    from pathlib import Path

    from speech_encoding.data.audio import AudioLength
    from speech_encoding.data.manifest import Story
    from speech_encoding.run.plan import GeneratedInputs, GeneratedModel, plan_run

    keep_all = {f"{split}_{kind}_start": 0 for split in ("train", "test") for kind in ("features", "targets")}
    config = validated({**copy.deepcopy(TINY_DEMO), "trimming": keep_all, **extra})
    stories = [Story(f"s{i}", Path(f"s{i}.wav"), 2.0, n, split)
               for i, (n, split) in enumerate(zip(n_trs, splits, strict=True))]
    generated = GeneratedInputs(stories=stories, subjects=["s1"],
                                models={"results/demo/model": GeneratedModel("m", "whisper", 2)},
                                audio={story.name: AudioLength(story.n_trs * 32000, 16000)
                                       for story in stories},
                                repeats={("s1", stories[-1].name): ("r.npy", n_trs[-1])})
    return plan_run(config, generated)


def planned(ridge: dict, n_trs: list[int], splits: list[str]):
    """plan_run with a `ridge` section: where fold settings are checked."""
    return planned_config({"ridge": ridge}, tuple(n_trs), tuple(splits))


@pytest.mark.parametrize("ridge, named", [
    ({"mode": "nested_cv", "n_outer_folds": 2, "fold_gap": 80, "folding_type": "kfold"},
     r"ridge.fold_gap=80 leaves fold 2 of 2 no training rows"),
    ({"inner_fold_gap": 60, "folding_type": "kfold", "n_inner_folds": 2},
     r"ridge.inner_fold_gap=60 leaves fold 1 of 2 no training rows"),
    ({"folding_type": "kfold_trimmed", "n_inner_folds": 12, "trim_size": 5},
     r"ridge.trim_size=5 leaves a fold of 10 held-out rows"),
    ({"mode": "nested_cv", "n_inner_folds": 5, "chunk_length": 20, "fold_gap": 20},
     r"ridge.n_inner_folds=5 needs at least 5 chunks"),
])
def test_fold_settings_that_leave_a_fold_empty_stop_planning(ridge, named):
    with pytest.raises(InputError, match=named):
        planned(ridge, [120, 40], ["train", "test"])  # gaps stay within a story: one train story


def test_default_fold_settings_plan():
    plan = planned({"mode": "nested_cv"}, [300, 300, 300], ["train"] * 3)
    assert len(plan.stories) == 3
    planned({}, [300, 300, 300], ["train", "train", "test"])


def test_a_block_length_as_long_as_a_scored_story_is_refused():
    from speech_encoding.run.settings import check_significance

    with pytest.raises(InputError, match=r"significance.block_length=41: a scored story has only 40 rows"):
        check_significance({"method": "permutation", "null": "block", "block_length": 41}, [300, 40])
    check_significance({"method": "permutation", "null": "block", "block_length": 40}, [300, 40])
    check_significance({"method": "permutation", "null": "shift", "block_length": 41}, [300, 40])
    check_significance({"method": "ttest", "null": "block", "block_length": 41}, [300, 40])


# ---------- schema errors: one short line per error, naming the key ----------

SCHEMA_KEYS = list(yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml")
                                  .read_text())["properties"])


def schema_error(config: dict) -> str:
    from speech_encoding.run.config_errors import check_schema

    with pytest.raises(InputError) as error:
        check_schema(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    return str(error.value)


def test_a_misspelt_key_gets_a_did_you_mean_and_no_schema_dump():
    config = copy.deepcopy(TINY_DEMO)
    config["fir_delay"] = config.pop("fir_delays", [1, 2])
    message = schema_error(config)
    assert message.splitlines()[1:] == ["  fir_delay: not a known key; did you mean 'fir_delays'?"]
    assert "additionalProperties" not in message and "properties" not in message


def test_every_schema_error_is_listed_at_once_with_its_key_path():
    config = with_change(("ridge", "n_inner_folds"), "five")
    config["feature_sets"][0]["pool"] = "max"
    config["ridge"]["alpa"] = [1.0]
    config["zz_unknown"] = 1
    lines = schema_error(config).splitlines()[1:]
    assert lines == ["  zz_unknown: not a known key (known here: " + ", ".join(SCHEMA_KEYS) + ")",
                     "  feature_sets[0].pool: 'max' is not one of ['last', 'mean']",
                     "  ridge.alpa: not a known key; did you mean 'alphas'?",
                     "  ridge.n_inner_folds: 'five' is not of type 'integer'"]


def test_more_than_ten_schema_errors_are_capped_with_a_count():
    config = copy.deepcopy(TINY_DEMO)
    config.update({f"extra_{i:02d}": i for i in range(13)})
    lines = schema_error(config).splitlines()[1:]
    assert len(lines) == 11 and lines[-1] == "  ... and 3 more"


@pytest.mark.workflow
def test_snakemake_reports_a_misspelt_key_in_a_few_lines(tmp_path):
    from workflow_runner import snakemake

    config = copy.deepcopy(TINY_DEMO)
    config["fir_delay"] = [1, 2]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "-n")
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "fir_delay: not a known key; did you mean 'fir_delays'?" in output
    assert len(output.splitlines()) < 15, output


@pytest.mark.parametrize("name", ["template.yaml", "nested_cv.yaml", "lebel.yaml"])
def test_the_shipped_configs_validate(name):
    config = validated(yaml.safe_load((REPO / "config" / name).read_text()))
    assert config["significance"]["method"] == "permutation"
