"""The one exception type the library raises for bad input, so callers can tell it from bugs."""


class InputError(ValueError):
    """Bad user input (config, manifest, audio, responses, model); the message names the culprit."""
