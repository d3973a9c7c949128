"""The README's promises that code can check: CI runs its test command, every config key is documented."""

from __future__ import annotations

import re

import yaml
from conftest import REPO, validated


def readme() -> str:
    return (REPO / "README.md").read_text()


def ci_lines() -> list[str]:
    return [line for line in (REPO / ".ci" / "run").read_text().splitlines()
            if line and not line.startswith("#")]


def test_ci_runs_exactly_the_readme_test_command():
    setup = ("set ", "cd ", "rm ", "trap ", "export ", "tests/cluster/", "tests/browser/")
    ci_commands = [line for line in ci_lines() if not line.startswith(setup)]
    assert len(ci_commands) == 1
    assert f"```bash\n{ci_commands[0]}\n```" in readme()


def test_ci_runs_the_tests_with_a_local_slurm_cluster_it_always_stops():
    lines = ci_lines()
    test_command = next(line for line in lines if "python -m pytest" in line)
    order = [lines.index(line) for line in ("trap 'tests/cluster/local_slurm.sh stop' EXIT",
                                            "tests/cluster/local_slurm.sh start",
                                            "export SPEECH_ENCODING_CLUSTER_TESTS=required",
                                            test_command)]
    assert order == sorted(order)


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
