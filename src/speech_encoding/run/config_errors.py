"""Schema errors of a config, each one short line naming the key (instead of a schema dump)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

import yaml

from ..errors import InputError, listed


def key_path(path) -> str:
    """'ridge.n_inner_folds', 'feature_sets[0].pool' from a jsonschema error's path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the config"


def unknown_keys(error) -> list[str]:
    """One line per key that an object's schema does not allow, with the closest known key."""
    known = list(error.schema.get("properties", {}))
    lines = []
    for key in sorted(set(error.instance) - set(known)):
        where = key_path([*error.path, key])
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f" (known here: {', '.join(known)})"
        lines.append(f"{where}: not a known key{hint}")
    return lines


def schema_error_lines(config: Mapping, schema: Mapping) -> list[str]:
    """Every schema error of `config`, one line each, in the config's order of keys."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(config),
                    key=lambda error: [str(part) for part in error.path])
    lines = []
    for error in errors:
        if error.validator == "additionalProperties":
            lines.extend(unknown_keys(error))
        else:
            lines.append(f"{key_path(error.path)}: {error.message}")
    return lines


def check_schema(config: Mapping, schema_path: str | Path) -> None:
    """Raise one short InputError listing the config's schema errors, each naming its key; nothing
    when the config is valid."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    lines = schema_error_lines(config, schema)
    if lines:
        raise InputError(listed(lines, "the config does not match the schema "
                                       "(README, Configuration reference):"))
