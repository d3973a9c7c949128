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
        where = key_path([*error.absolute_path, key])
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else f" (known here: {', '.join(known)})"
        lines.append(f"{where}: not a known key{hint}")
    return lines


def branch_errors(error) -> list:
    """For a oneOf/anyOf error, the errors of the one branch written for the value's type (the
    object branch for a mapping); none when no branch, or several, have that type."""
    from jsonschema import Draft202012Validator

    branches = error.schema[error.validator]
    typed = [index for index, branch in enumerate(branches)
             if "type" in branch and Draft202012Validator(branch).is_type(error.instance, branch["type"])]
    if len(typed) != 1:
        return []
    return [sub for sub in error.context if sub.relative_schema_path[0] == typed[0]]


def expected(branch: Mapping) -> str:
    """What one oneOf branch admits, in a few words: its constant, else its type(s)."""
    if "const" in branch:
        return repr(branch["const"])
    kind = branch.get("type", "a value")
    return " or ".join(kind) if isinstance(kind, list) else str(kind)


def error_lines(error) -> list[str]:
    """The short lines of one schema error: unknown keys with a did-you-mean, the errors inside
    the branch of a oneOf meant for the value's type, else the key and jsonschema's message."""
    if error.validator == "additionalProperties":
        return unknown_keys(error)
    if error.validator in ("oneOf", "anyOf"):
        inner = branch_errors(error)
        if inner:
            return [line for sub in inner for line in error_lines(sub)]
        return [f"{key_path(error.absolute_path)}: {error.instance!r} is not valid; expected "
                f"{' or '.join(expected(branch) for branch in error.schema[error.validator])}"]
    return [f"{key_path(error.absolute_path)}: {error.message}"]


def schema_error_lines(config: Mapping, schema: Mapping) -> list[str]:
    """Every schema error of `config`, one line each, in the config's order of keys."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(schema).iter_errors(config),
                    key=lambda error: [str(part) for part in error.path])
    return [line for error in errors for line in error_lines(error)]


def analysis_error_lines(config: Mapping, schema: Mapping) -> list[str]:
    """The schema errors of every analysis's settings (merged with the top level), each line
    prefixed with the analysis it is in."""
    from .analyses import resolve_analyses

    if not config.get("analyses"):
        return []
    return [f"{where}: {line}" for where, analysis in resolve_analyses(config)
            for line in schema_error_lines(analysis.config, schema)]


def check_schema(config: Mapping, schema_path: str | Path) -> None:
    """Raise one short InputError listing the config's schema errors, each naming its key (and the
    analysis, for an analysis's settings); nothing when the config is valid."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    lines = schema_error_lines(config, schema) or analysis_error_lines(config, schema)
    if lines:
        raise InputError(listed(lines, "the config does not match the schema "
                                       "(README, Configuration reference):"))
