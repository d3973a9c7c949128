"""Reading a speech model's config offline to plan the DAG: from its config.json alone (no torch,
no transformers) wherever that file says what planning needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .families import ModelFamily, family_of

if TYPE_CHECKING:
    from transformers import PretrainedConfig


def missing_config_error(model: str, reason: str) -> InputError:
    """The error for a model whose config cannot be read offline."""
    where = "local folder" if Path(model).exists() else "Hugging Face cache"
    return InputError(
        f"model {model!r}: no usable model config in the {where} ({reason}). Point `model` at a "
        "local folder saved with save_pretrained, or download the model on a machine with network "
        "(`huggingface-cli download <id>`) so it is in the local cache")


def load_config(model: str) -> PretrainedConfig:
    """The model's config from a local folder or the local Hugging Face cache, never the network."""
    from transformers import AutoConfig  # imported here: it imports torch (seconds)

    try:
        return AutoConfig.from_pretrained(model, local_files_only=True)
    except (OSError, ValueError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise missing_config_error(model, reason) from None


def config_file(model: str) -> Path | None:
    """config.json of a local model folder or of a model in the local Hugging Face cache."""
    if Path(model).is_dir():
        path = Path(model) / "config.json"
        return path if path.is_file() else None
    from huggingface_hub import try_to_load_from_cache

    try:
        cached = try_to_load_from_cache(model, "config.json")
    except ValueError:  # not a valid repository id
        return None
    return Path(cached) if isinstance(cached, str) else None


def config_fields(model: str) -> dict:
    """The fields of the model's config.json, as saved (no library defaults filled in)."""
    path = config_file(model)
    if path is None:
        raise missing_config_error(model, "no config.json")
    try:
        fields = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise missing_config_error(model, f"{path} is not readable JSON: {error}") from None
    if not isinstance(fields, dict):
        raise missing_config_error(model, f"{path} does not hold a JSON object")
    return fields


def model_family(config: PretrainedConfig, model: str) -> ModelFamily:
    """The registered family of a model's config; an error naming the model and its type otherwise."""
    return family_of(config.model_type, model)


def inspect_model(model: str) -> tuple[str, int]:
    """Family name and layer count of a model, for planning the DAG.

    Read from config.json; only a file that leaves `model_type` or the layer count to the library's
    defaults is read through transformers (which imports torch).
    """
    fields = config_fields(model)
    if "model_type" in fields:
        family = family_of(fields["model_type"], model)
        if isinstance(fields.get(family.layer_count_key), int):
            return family.name, fields[family.layer_count_key]
    config = load_config(model)
    family = model_family(config, model)
    return family.name, family.layer_count(config)
