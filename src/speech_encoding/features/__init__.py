"""Speech-model features: sliding windows over a story's audio, the registry of model families,
model input, the Whisper block runner, extraction of every layer, and feature folders.

Names are imported on first use (see `speech_encoding._lazy`): importing this package loads none
of its modules.
"""

from .._lazy import lazy_exports

__all__ = [
    "window_ends",
    "window_length",
    "FAMILIES",
    "ModelFamily",
    "family_of",
    "POOLS",
    "Pooling",
    "COMPUTE_DTYPES",
    "check_compute_dtype",
    "load_config",
    "inspect_model",
    "SpeechEncoder",
    "load_encoder",
    "WHISPER_PADDINGS",
    "encoder_inputs",
    "extract_story",
    "extract_story_file",
    "SAVE_DTYPES",
    "extraction_settings",
    "read_layer",
    "write_feature_folder",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "window_ends": "windows",
    "window_length": "windows",
    "FAMILIES": "families",
    "ModelFamily": "families",
    "family_of": "families",
    "POOLS": "pooling",
    "Pooling": "pooling",
    "COMPUTE_DTYPES": "compute_dtypes",
    "check_compute_dtype": "compute_dtypes",
    "load_config": "model_config",
    "inspect_model": "model_config",
    "SpeechEncoder": "speech_model",
    "load_encoder": "speech_model",
    "WHISPER_PADDINGS": "model_inputs",
    "encoder_inputs": "model_inputs",
    "extract_story": "extract",
    "extract_story_file": "extract",
    "SAVE_DTYPES": "feature_files",
    "extraction_settings": "feature_files",
    "read_layer": "feature_files",
    "write_feature_folder": "feature_files",
})
