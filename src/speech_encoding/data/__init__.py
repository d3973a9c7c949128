"""The inputs: the stories manifest and TR grids, audio files, fMRI responses and their repeats,
and importers
that turn public datasets into that layout.

Names are imported on first use (see `speech_encoding._lazy`): importing this package loads none
of its modules.
"""

from .._lazy import lazy_exports

__all__ = [
    "Story",
    "read_manifest",
    "write_manifest",
    "tr_times",
    "NAME_PATTERN",
    "check_audio_file",
    "read_mono",
    "resample",
    "resample_file",
    "response_path",
    "list_subjects",
    "response_shapes",
    "load_responses",
    "repeats_path",
    "find_repeats",
    "load_repeats",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "Story": "manifest",
    "read_manifest": "manifest",
    "write_manifest": "manifest",
    "tr_times": "manifest",
    "NAME_PATTERN": "manifest",
    "check_audio_file": "audio",
    "read_mono": "audio",
    "resample": "audio",
    "resample_file": "audio",
    "response_path": "responses",
    "list_subjects": "responses",
    "response_shapes": "responses",
    "load_responses": "responses",
    "repeats_path": "repeats",
    "find_repeats": "repeats",
    "load_repeats": "repeats",
})
