"""Reading a speech model's config offline (cheap: no weights, no torch) to plan the DAG."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from .families import ModelFamily, family_of

if TYPE_CHECKING:
    from transformers import PretrainedConfig


def load_config(model: str) -> PretrainedConfig:
    """The model's config from a local folder or the local Hugging Face cache, never the network."""
    from transformers import AutoConfig  # imported here: it costs seconds, and planning a run
                                         # on the demo model never needs it
    try:
        return AutoConfig.from_pretrained(model, local_files_only=True)
    except (OSError, ValueError) as error:
        where = "local folder" if Path(model).exists() else "Hugging Face cache"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(
            f"model {model!r}: no usable model config in the {where} ({reason}). Point `model` at a "
            "local folder saved with save_pretrained, or download the model on a machine with "
            "network (`huggingface-cli download <id>`) so it is in the local cache") from None


def model_family(config: PretrainedConfig, model: str) -> ModelFamily:
    """The registered family of a model's config; an error naming the model and its type otherwise."""
    return family_of(config.model_type, model)


def inspect_model(model: str) -> tuple[str, int]:
    """Family name and layer count of a model, from its config alone (cheap; for planning the DAG)."""
    config = load_config(model)
    family = model_family(config, model)
    return family.name, family.layer_count(config)
