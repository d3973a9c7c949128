"""The README's promises that code can check: CI runs its test command, every config key is documented."""

from __future__ import annotations

import re

import yaml

from conftest import REPO, validated


def readme() -> str:
    return (REPO / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    ci_commands = [line for line in (REPO / ".ci" / "run").read_text().splitlines()
                   if line and not line.startswith("#") and not line.startswith(("set ", "cd ", "rm "))]
    assert len(ci_commands) == 1
    assert f"```bash\n{ci_commands[0]}\n```" in readme()


def schema_keys(schema: dict, prefix: str = "") -> set[str]:
    keys = set()
    for name, sub in schema.get("properties", {}).items():
        keys.add(name)
        keys |= schema_keys(sub, f"{prefix}{name}.")
        keys |= schema_keys(sub.get("items", {}), f"{prefix}{name}.")
    return keys


def test_every_config_key_is_documented():
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / "config.schema.yaml").read_text())
    text = readme()
    undocumented = sorted(k for k in schema_keys(schema) if not re.search(rf"`{k}`", text))
    assert not undocumented


def test_shipped_configs_are_valid():
    for path in [REPO / "config.yaml", *sorted((REPO / "config").glob("*.yaml"))]:
        validated(yaml.safe_load(path.read_text()))
