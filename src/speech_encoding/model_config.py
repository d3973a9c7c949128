"""Reading a speech model's config offline (cheap: no weights, no torch) to plan the DAG."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from transformers import PretrainedConfig

WHISPER_TYPES = ("whisper",)
WAVEFORM_TYPES = ("hubert", "wav2vec2", "wavlm", "data2vec-audio", "unispeech", "unispeech-sat",
                  "wav2vec2-conformer", "sew", "sew-d")


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


def model_family(config: PretrainedConfig, model: str) -> str:
    """'whisper' or 'waveform'; an error naming the model and its type otherwise."""
    if config.model_type in WHISPER_TYPES:
        return "whisper"
    if config.model_type in WAVEFORM_TYPES:
        return "waveform"
    raise InputError(f"model {model!r} has model_type {config.model_type!r}, which is not a "
                     f"supported audio encoder (supported: {', '.join(WHISPER_TYPES + WAVEFORM_TYPES)})")


def layer_count(config: PretrainedConfig) -> int:
    """Number of transformer blocks in the encoder (the embedding output is not a layer)."""
    return int(config.encoder_layers if config.model_type in WHISPER_TYPES else config.num_hidden_layers)


def inspect_model(model: str) -> tuple[str, int]:
    """Family and layer count of a model, from its config alone (cheap; for planning the DAG)."""
    config = load_config(model)
    return model_family(config, model), layer_count(config)
