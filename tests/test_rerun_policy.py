"""The rerun policy: every config key is classified as a rule parameter (a change reruns), a
run-time option (read by the job: a change reruns nothing) or an output choice, and each rule's
parameters hold exactly the settings that decide its results."""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO, TINY_DEMO, validated

from speech_encoding.design_matrix.downsample import METHODS
from speech_encoding.design_matrix.trimming import StoryRows
from speech_encoding.run.rerun_policy import (
    EXTRACTION_RUNTIME_KEYS,
    RIDGE_OUTPUT_KEYS,
    RIDGE_RUNTIME_KEYS,
    canonical,
    delay_params,
    downsample_params,
    extraction_params,
    extraction_runtime,
    ridge_params,
    ridge_runtime,
    significance_params,
    trimming_params,
)
from speech_encoding.run.row_plan import PlannedRows

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
FEATURE_SET_KEYS = set(SCHEMA["properties"]["feature_sets"]["items"]["properties"])
RIDGE_KEYS = set(SCHEMA["properties"]["ridge"]["properties"])
# A feature set's name and layers decide which jobs exist (their paths), not a job's results.
FEATURE_SET_JOB_KEYS = {"name", "layers"}


@pytest.fixture
def config() -> dict:
    return validated(TINY_DEMO)


def test_canonical_sorts_keys_at_every_level_and_keeps_list_order():
    value = {"b": [{"y": 1, "x": 2}, 3], "a": {"d": None, "c": True}}
    result = canonical(value)
    assert list(result) == ["a", "b"] and list(result["a"]) == ["c", "d"]
    assert list(result["b"][0]) == ["x", "y"] and result["b"][1] == 3
    assert result == value


@pytest.mark.parametrize("family", ["whisper", "waveform"])
def test_every_feature_set_key_is_a_parameter_a_runtime_option_or_names_jobs(config, family):
    feature_set = config["feature_sets"][0]
    params = extraction_params(feature_set, family)
    classified = set(params) | set(EXTRACTION_RUNTIME_KEYS) | FEATURE_SET_JOB_KEYS
    unused = {"whisper_padding"} if family == "waveform" else set()
    assert classified | unused == FEATURE_SET_KEYS
    assert not set(params) & (set(EXTRACTION_RUNTIME_KEYS) | FEATURE_SET_JOB_KEYS)
    assert params == {key: feature_set[key] for key in sorted(params)}
    assert list(params) == sorted(params)


def test_whisper_padding_decides_only_whisper_features(config):
    feature_set = config["feature_sets"][0]
    assert "whisper_padding" in extraction_params(feature_set, "whisper")
    assert "whisper_padding" not in extraction_params(feature_set, "waveform")


def test_every_ridge_key_is_a_parameter_a_runtime_option_or_an_output_choice(config):
    params = ridge_params(config["ridge"])
    groups = [set(params), set(RIDGE_RUNTIME_KEYS), set(RIDGE_OUTPUT_KEYS)]
    assert set().union(*groups) == RIDGE_KEYS
    assert sum(len(group) for group in groups) == len(RIDGE_KEYS)
    assert params == {key: config["ridge"][key] for key in params}
    assert ridge_runtime(config) == {"device": "auto", "voxel_batch": None}


@pytest.mark.parametrize("method", METHODS.names)
def test_downsample_params_hold_the_method_and_only_its_options(config, method):
    settings = {**config["downsample"], "method": method}
    expected = {"method": method, **{key: settings[key] for key in METHODS.lookup(method).options}}
    assert downsample_params(settings) == expected
    unused = set(settings) - set(expected)
    changed = {**settings, **{key: "changed" for key in unused}}
    assert downsample_params(changed) == expected


def test_delay_and_trimming_params(config):
    assert delay_params({**config, "fir_delays": [3, 1]}) == {"fir_delays": [3, 1], "circpad": False}
    rows = {"b": PlannedRows("train", 30, StoryRows(slice(5, None), slice(5, None)), True, 0, 0),
            "a": PlannedRows("test", 20, StoryRows(slice(2, -1), slice(0, None)), False, 1, 0)}
    trimming = trimming_params(rows)
    assert list(trimming) == ["a", "b"] and list(trimming["a"]) == sorted(trimming["a"])
    assert {story: PlannedRows.from_params(params) for story, params in trimming.items()} == rows


def test_extraction_runtime_is_the_named_feature_sets_device_and_batch_size(config):
    second = {**config["feature_sets"][0], "name": "other", "device": "cpu", "batch_size": 3}
    config["feature_sets"].append(second)
    assert extraction_runtime(config, "other") == {"device": "cpu", "batch_size": 3}
    assert extraction_runtime(config, "tiny") == {"device": "auto", "batch_size": 16}


def test_every_significance_key_is_a_fit_parameter(config):
    significance_keys = set(SCHEMA["properties"]["significance"]["properties"])
    params = significance_params(config)
    assert set(params) == significance_keys and list(params) == sorted(params)
    rule = (REPO / "workflow" / "rules" / "fit_encoding_model.smk").read_text()
    assert "significance=fit_significance," in rule
    common = (REPO / "workflow" / "rules" / "common.smk").read_text()
    assert "return significance_params(analysis_of(wildcards).config)" in common
