"""Named analyses: several settings of the stages after extraction over the same features.

An analysis names the settings it changes (`OVERRIDABLE`); every other key comes from the top level
of the config. A mapping section (`downsample`, `ridge`, ...) is merged key by key, so an analysis
that sets `ridge: {alphas: ...}` keeps the top level's other ridge keys. A `sweep` expands one entry
into one analysis per value of one setting. A config without `analyses` is one analysis without a
name, whose outputs keep the paths of a run without analyses (README, "Comparing analyses").

Files are shared by folder names derived from the settings that decide them: the downsampled
features of an analysis live in `downsampled/<feature_set>/<downsampling>/`, its delayed ones in
`delayed/<feature_set>/<downsampling>/<delays>/`, so analyses whose settings for a stage are equal
name the same files, and Snakemake runs each job once.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..data.manifest import NAME_PATTERN
from ..errors import InputError, repeated
from .rerun_policy import delay_params, downsample_params

# The top-level keys an analysis may set (the stages after extraction).
OVERRIDABLE = ("downsample", "fir_delays", "fir_circpad", "trimming", "ridge", "significance",
               "noise_ceiling")
# Sections merged key by key with the top level (the others are replaced whole).
MERGED = ("downsample", "ridge", "significance", "noise_ceiling")
# Keys only the top level decides: they change which files a fit writes, the same for all analyses.
TOP_LEVEL_ONLY = {"ridge": ("save_weights",)}
NAME = re.compile(f"^{NAME_PATTERN}$")


@dataclass(frozen=True)
class Analysis:
    """One analysis: its name (None for a config without `analyses`) and the whole config with its
    settings in effect (without the `analyses` key)."""

    name: str | None
    config: Mapping

    @property
    def fit_folder(self) -> str:
        """Its fits' folder under `fits/`: '' without analyses, else '<name>/'."""
        return f"{self.name}/" if self.name is not None else ""

    @property
    def downsampled_folder(self) -> str:
        """Its downsampled files' folder under `downsampled/<feature_set>`: '' without analyses,
        else '/<downsampling>'."""
        if self.name is None:
            return ""
        return f"/{downsample_folder(downsample_params(self.config['downsample']))}"

    @property
    def delayed_folder(self) -> str:
        """Its delayed files' folder under `delayed/<feature_set>`: '' without analyses, else
        '/<downsampling>/<delays>'."""
        if self.name is None:
            return ""
        return f"{self.downsampled_folder}/{delay_folder(delay_params(self.config))}"


def value_text(value: Any) -> str:
    """A setting's value in a folder name: booleans in lower case, numbers as floats (3 and 3.0
    name one folder), text as it is."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(float(value))
    return str(value)


def downsample_folder(params: Mapping) -> str:
    """'<method>' then '-<option><value>' per option the method uses, in key order: for example
    'rect' or 'lanczos-cutoff_mult1.0-rectifyfalse-window3.0'."""
    options = [f"{key}{value_text(params[key])}" for key in sorted(params) if key != "method"]
    return "-".join([params["method"], *options])


def delay_folder(params: Mapping) -> str:
    """'delays' then the delays in their order, joined by '_' (a sign stays a '-'), and '_circpad'
    with circular padding: for example 'delays1_2_3_4'."""
    text = "delays" + "_".join(str(int(delay)) for delay in params["fir_delays"])
    return text + "_circpad" if params["circpad"] else text


def sweep_suffix(value: Any, index: int) -> str:
    """The part of a swept analysis's name that tells its value: the value itself when it is a
    scalar or a list of scalars that fits in a name, else its position (1, 2, ...)."""
    items = value if isinstance(value, list) else [value]
    if all(isinstance(item, (str, int, float)) for item in items):
        text = "_".join(str(item).lower() if isinstance(item, bool) else str(item) for item in items)
        if re.fullmatch(r"[A-Za-z0-9._-]+", text):
            return text
    return str(index)


def set_setting(overrides: dict, key: str, value: Any, where: str) -> None:
    """Set `key` ('fir_delays' or a dotted 'ridge.alphas') in an analysis's overrides."""
    section, _, inner = key.partition(".")
    if section not in OVERRIDABLE or (inner and section not in MERGED) or (not inner and section in MERGED):
        settable = [k for k in OVERRIDABLE if k not in MERGED] + [f"{k}.<key>" for k in MERGED]
        raise InputError(f"{where}.sweep: {key!r} is not a setting an analysis can sweep "
                         f"(one of {', '.join(settable)})")
    if inner:
        overrides[section] = {**overrides.get(section, {}), inner: value}
    else:
        overrides[section] = value


def expand_sweeps(entries: Sequence[Mapping]) -> list[tuple[str, dict]]:
    """(where in the config, analysis entry) per analysis, every `sweep` expanded: an entry with
    `sweep: {key: [v1, v2]}` becomes '<name>-<v1>' and '<name>-<v2>', each with its value set."""
    expanded = []
    for index, entry in enumerate(entries):
        where = f"analyses[{index}] ({entry['name']})"
        if "sweep" not in entry:
            expanded.append((where, copy.deepcopy(dict(entry))))
            continue
        (key, values), = entry["sweep"].items()
        for position, value in enumerate(values, start=1):
            single = copy.deepcopy({k: v for k, v in entry.items() if k != "sweep"})
            single["name"] = f"{entry['name']}-{sweep_suffix(value, position)}"
            set_setting(single, key, copy.deepcopy(value), where)
            expanded.append((f"{where} -> {single['name']}", single))
    return expanded


def merged_config(config: Mapping, overrides: Mapping) -> dict:
    """The config (without `analyses`) with one analysis's settings in effect."""
    merged = {key: copy.deepcopy(value) for key, value in config.items() if key != "analyses"}
    for section in OVERRIDABLE:
        if section not in overrides:
            continue
        if section in MERGED:
            merged[section] = {**merged.get(section, {}), **copy.deepcopy(overrides[section])}
        else:
            merged[section] = copy.deepcopy(overrides[section])
    return merged


def check_overrides(where: str, overrides: Mapping) -> None:
    """An analysis sets no key that only the top level decides."""
    for section, keys in TOP_LEVEL_ONLY.items():
        for key in keys:
            if key in overrides.get(section, {}):
                raise InputError(f"{where}: {section}.{key} is set for every analysis at once: set it at "
                                 f"the top level of the config, not in an analysis")


def resolve_analyses(config: Mapping) -> list[tuple[str, Analysis]]:
    """(where in the config, analysis) for every analysis, sweeps expanded, in config order; one
    unnamed analysis (the config itself) when it has no `analyses`. Names must be unique."""
    if not config.get("analyses"):
        return [("the config", Analysis(None, merged_config(config, {})))]
    resolved = []
    for where, entry in expand_sweeps(config["analyses"]):
        if not NAME.match(entry["name"]):
            raise InputError(f"{where}: analysis name {entry['name']!r} is not a folder name "
                             "(letters, digits, '.', '_', '-'; not starting with '.', '_' or '-')")
        check_overrides(where, entry)
        resolved.append((where, Analysis(entry["name"], merged_config(config, entry))))
    duplicates = repeated([analysis.name for _, analysis in resolved])
    if duplicates:
        raise InputError(f"analyses: duplicate analysis name(s) {', '.join(duplicates)} "
                         "(after expanding sweeps)")
    return resolved


def analysis_config(config: Mapping, fit_folder: str) -> Mapping:
    """The config in effect for the analysis whose fits live in `fit_folder` ('' or '<name>/')."""
    for _, analysis in resolve_analyses(config):
        if analysis.fit_folder == fit_folder:
            return analysis.config
    raise InputError(f"no analysis has its fits in fits/{fit_folder}")


def analysis_settings(analysis: Analysis) -> dict:
    """The settings of an analysis that analyses may differ in (for the report)."""
    return {section: copy.deepcopy(analysis.config[section]) for section in OVERRIDABLE
            if section in analysis.config}
