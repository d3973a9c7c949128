"""The registry of speech-model families: what input a family's encoder takes, how its layers are
counted and run, and which feature-set settings decide its features.

Light at import (no torch, no transformers): planning a run looks families up. The methods that
run a model import what they need when called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..errors import InputError
from ..registry import Registry

if TYPE_CHECKING:
    import numpy as np
    import torch
    from transformers import PretrainedConfig

    from .speech_model import SpeechEncoder


class ModelFamily:
    """A kind of audio encoder; one instance per family, registered in FAMILIES by `name`."""

    name: str
    model_types: tuple[str, ...]  # Hugging Face `model_type` values of this family
    feature_settings: tuple[str, ...] = ()  # feature-set settings only this family's features use

    layer_count_key: str  # the config field that counts the encoder's transformer blocks

    def layer_count(self, config: PretrainedConfig) -> int:
        """Number of transformer blocks in the encoder (the embedding output is not a layer)."""
        return int(getattr(config, self.layer_count_key))

    def encoder_network(self, network: torch.nn.Module) -> torch.nn.Module:
        """The part of a loaded AutoModel that is the audio encoder."""
        return network

    def block_runner(self, network: torch.nn.Module, device: str):
        """An object that runs the encoder block by block, or None to run the model itself."""
        return None

    def model_inputs(self, encoder: SpeechEncoder, windows: Sequence[np.ndarray], sample_rate: int,
                     whisper_padding: str) -> torch.Tensor:
        """Model input for a batch of equal-length windows.

        Parameters
        ----------
        encoder : SpeechEncoder
        windows : sequence of np.ndarray
            n_windows (n_samples,) float32 mono windows of equal length.
        sample_rate : int
        whisper_padding : str
            'pad30' or 'none' (used by Whisper only).

        Returns
        -------
        torch.Tensor
            float32, first axis n_windows.
        """
        raise NotImplementedError

    def check_window(self, encoder: SpeechEncoder, length: int, sample_rate: int,
                     whisper_padding: str) -> None:
        """Refuse (or warn about) a window length the model cannot take whole."""

    def attention(self, encoder: SpeechEncoder) -> str | None:
        """How attention is computed, for meta.json."""
        return getattr(encoder.model.config, "_attn_implementation", None)

    def pooled_layers(self, encoder: SpeechEncoder, inputs: torch.Tensor,
                      reduce: Callable[[torch.Tensor], torch.Tensor],
                      last_only: bool) -> list[torch.Tensor]:
        """`reduce` of every transformer block's output, in block order.

        Parameters
        ----------
        encoder : SpeechEncoder
        inputs : torch.Tensor
            The batch's model input (`model_inputs`), on the encoder's device.
        reduce : callable
            A pooling's `reduce`: (batch, frames, dim) -> (batch, dim).
        last_only : bool
            `reduce` reads only the final frame.

        Returns
        -------
        list of torch.Tensor
            One (batch, dim) tensor per transformer block (float32 for the registered poolings).
        """
        outputs = encoder.model(input_values=inputs, output_hidden_states=True)
        return [reduce(hidden) for hidden in outputs.hidden_states[1:]]


class WhisperFamily(ModelFamily):
    """Whisper: the encoder alone, fed log-mel frames (padded to 30 s, or the window's own)."""

    name = "whisper"
    model_types = ("whisper",)
    feature_settings = ("whisper_padding",)
    layer_count_key = "encoder_layers"

    def encoder_network(self, network: torch.nn.Module) -> torch.nn.Module:
        return network.get_encoder()

    def block_runner(self, network: torch.nn.Module, device: str):
        from .whisper_blocks import runner_for

        return runner_for(network, device)

    def model_inputs(self, encoder: SpeechEncoder, windows: Sequence[np.ndarray], sample_rate: int,
                     whisper_padding: str) -> torch.Tensor:
        """Whisper's log-mel frames of each window (`model_inputs.whisper_log_mel`).

        Parameters and returns as in `ModelFamily`.
        """
        from .model_inputs import whisper_log_mel

        return whisper_log_mel(encoder, windows, sample_rate, whisper_padding)

    def check_window(self, encoder: SpeechEncoder, length: int, sample_rate: int,
                     whisper_padding: str) -> None:
        from .model_inputs import check_whisper_window

        check_whisper_window(encoder, length, sample_rate, whisper_padding)

    def attention(self, encoder: SpeechEncoder) -> str | None:
        return "fused-qkv sdpa"

    def pooled_layers(self, encoder: SpeechEncoder, inputs: torch.Tensor,
                      reduce: Callable[[torch.Tensor], torch.Tensor],
                      last_only: bool) -> list[torch.Tensor]:
        """`reduce` of every block's output, run block by block (`WhisperBlocks.pooled`).

        Parameters and returns as in `ModelFamily`.
        """
        return encoder.block_runner.pooled(inputs, reduce, last_only=last_only)


class WaveformFamily(ModelFamily):
    """HuBERT, Wav2Vec2, WavLM and kin: the waveform, normalised by their feature extractor."""

    name = "waveform"
    model_types = ("hubert", "wav2vec2", "wavlm", "data2vec-audio", "unispeech", "unispeech-sat",
                   "wav2vec2-conformer", "sew", "sew-d")
    layer_count_key = "num_hidden_layers"

    def model_inputs(self, encoder: SpeechEncoder, windows: Sequence[np.ndarray], sample_rate: int,
                     whisper_padding: str) -> torch.Tensor:
        """The waveforms, normalised by the feature extractor (`model_inputs.normalised_waveforms`).

        Parameters and returns as in `ModelFamily`.
        """
        from .model_inputs import normalised_waveforms

        return normalised_waveforms(encoder, windows, sample_rate)


FAMILIES: Registry[ModelFamily] = Registry(
    "model family", "model family", [(family.name, family) for family in (WhisperFamily(),
                                                                         WaveformFamily())])


def family_of(model_type: str, model: str) -> ModelFamily:
    """The family whose encoders have `model_type`; an error naming the model otherwise."""
    for family in FAMILIES.entries():
        if model_type in family.model_types:
            return family
    supported = ", ".join(t for family in FAMILIES.entries() for t in family.model_types)
    raise InputError(f"model {model!r} has model_type {model_type!r}, which is not a supported "
                     f"audio encoder (supported: {supported})")
