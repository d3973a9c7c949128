"""One source per concept: each schema enum equals the registry the code dispatches on, a registry
names what it does not know, and the subpackages load nothing heavy until a name is used."""

from __future__ import annotations

import dataclasses
import importlib
import re
import subprocess
import sys

import pytest
import yaml
from conftest import REPO

from speech_encoding.data.manifest import NAME_PATTERN
from speech_encoding.design_matrix.downsample import METHODS
from speech_encoding.errors import InputError
from speech_encoding.features.compute_dtypes import COMPUTE_DTYPES
from speech_encoding.features.families import FAMILIES, family_of
from speech_encoding.features.feature_files import SAVE_DTYPES
from speech_encoding.features.pooling import POOLS
from speech_encoding.modelling.folds import FOLDING_TYPES
from speech_encoding.modelling.modes import MODES
from speech_encoding.modelling.significance import ALTERNATIVES, COMBINATIONS, NULLS
from speech_encoding.modelling.significance import METHODS as SIGNIFICANCE_METHODS
from speech_encoding.registry import Registry
from speech_encoding.run.devices import DEVICE_OPTIONS
from speech_encoding.run.rerun_policy import RIDGE_OUTPUT_KEYS
from speech_encoding.run.settings import RidgeSettings

SCHEMA = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
FEATURE_SET = SCHEMA["properties"]["feature_sets"]["items"]["properties"]
RIDGE = SCHEMA["properties"]["ridge"]["properties"]
DOWNSAMPLE = SCHEMA["properties"]["downsample"]["properties"]
SIGNIFICANCE = SCHEMA["properties"]["significance"]["properties"]
PACKAGES = ["data", "features", "design_matrix", "modelling", "run", "report"]


@pytest.mark.parametrize("schema_enum, names", [
    (FEATURE_SET["pool"]["enum"], POOLS.names),
    (FEATURE_SET["dtype"]["enum"], COMPUTE_DTYPES),
    (FEATURE_SET["save_dtype"]["enum"], SAVE_DTYPES),
    (FEATURE_SET["device"]["enum"], DEVICE_OPTIONS),
    (RIDGE["device"]["enum"], DEVICE_OPTIONS),
    (DOWNSAMPLE["method"]["enum"], METHODS.names),
    (RIDGE["folding_type"]["enum"], FOLDING_TYPES.names),
    (RIDGE["mode"]["enum"], MODES.names),
    (SIGNIFICANCE["method"]["enum"], SIGNIFICANCE_METHODS.names),
    (SIGNIFICANCE["alternative"]["enum"], ALTERNATIVES),
    (SIGNIFICANCE["null"]["enum"], NULLS.names),
    (RIDGE["outer_folding_type"]["enum"], FOLDING_TYPES.names),
    (SIGNIFICANCE["combine"]["enum"], (*COMBINATIONS.names, None)),
], ids=["pool", "dtype", "save_dtype", "feature_set.device", "ridge.device", "downsample.method",
        "folding_type", "mode", "significance.method", "significance.alternative",
        "significance.null", "outer_folding_type", "significance.combine"])
def test_schema_enum_equals_registry(schema_enum, names):
    assert list(schema_enum) == list(names)


def test_schema_whisper_paddings_equal_the_model_inputs_modes():
    from speech_encoding.features.model_inputs import WHISPER_PADDINGS

    assert FEATURE_SET["whisper_padding"]["enum"] == list(WHISPER_PADDINGS)


def test_schema_downsample_options_are_exactly_the_methods_options():
    options = {option for name in METHODS for option in METHODS.lookup(name).options}
    assert set(DOWNSAMPLE) - {"method"} == options


def test_schema_name_patterns_are_the_library_name_pattern():
    demo_subjects = SCHEMA["properties"]["demo"]["properties"]["subjects"]["items"]
    for pattern in (FEATURE_SET["name"]["pattern"], demo_subjects["pattern"]):
        assert pattern == f"^{NAME_PATTERN}$"
    assert re.fullmatch(NAME_PATTERN, "story_01.b-2") and not re.fullmatch(NAME_PATTERN, "../x")


def test_ridge_settings_take_every_ridge_key_but_outputs_and_repeat_no_default():
    fields = dataclasses.fields(RidgeSettings)
    assert {field.name for field in fields} == set(RIDGE) - set(RIDGE_OUTPUT_KEYS)
    assert all(field.default is dataclasses.MISSING for field in fields)


def test_significance_settings_take_every_key_and_repeat_no_default():
    from speech_encoding.run.settings import SignificanceSettings

    fields = dataclasses.fields(SignificanceSettings)
    assert {field.name for field in fields} == set(SIGNIFICANCE)
    assert all(field.default is dataclasses.MISSING for field in fields)


def test_registry_lookup_names_the_key_and_the_known_names():
    registry = Registry("colour", "paint.colour", [("red", 1), ("blue", 2)])
    assert registry.lookup("blue") == 2 and "red" in registry and registry.names == ("red", "blue")
    assert registry.entries() == (1, 2)
    with pytest.raises(InputError, match=r"^paint.colour: unknown colour 'green' \(known: red, blue\)$"):
        registry.lookup("green")
    with pytest.raises(InputError, match="unknown colour None"):
        registry.lookup(None)


def test_every_mode_fitter_exists():
    from speech_encoding.modelling import fit

    for name in MODES:
        assert callable(getattr(fit, MODES.lookup(name).fitter)), name


def test_model_types_belong_to_one_family_each():
    types = [model_type for name in FAMILIES for model_type in FAMILIES.lookup(name).model_types]
    assert len(types) == len(set(types))
    assert family_of("wavlm", "m").name == "waveform" and family_of("whisper", "m").name == "whisper"
    with pytest.raises(InputError, match=r"model 'm' has model_type 'bert'.*supported: whisper, hubert"):
        family_of("bert", "m")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves(package):
    module = importlib.import_module(f"speech_encoding.{package}")
    assert module.__all__ and sorted(module.__all__) == dir(module)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError):
        getattr(module, "no_such_name")


def test_importing_the_subpackages_loads_no_module_of_theirs():
    code = ("import sys; " + "; ".join(f"import speech_encoding.{p}" for p in PACKAGES)
            + "; print(*sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert {f"speech_encoding.{p}" for p in PACKAGES} <= set(loaded)
    inner = [m for m in loaded if m.count(".") >= 2 and m.startswith("speech_encoding.")]
    assert inner == []
    assert not {"torch", "transformers", "matplotlib", "scipy"} & set(loaded)
