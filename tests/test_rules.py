"""Every rule says what its job needs: log, benchmark, threads, resources, conda env."""

from __future__ import annotations

import re

import pytest

from conftest import REPO

RULE_FILES = sorted((REPO / "workflow" / "rules").glob("*.smk"))


def rule_blocks() -> dict[str, str]:
    blocks = {}
    for path in RULE_FILES:
        text = path.read_text()
        starts = [(m.start(), m.group(1)) for m in re.finditer(r"^\s*rule (\w+):", text, re.M)]
        for index, (start, name) in enumerate(starts):
            end = starts[index + 1][0] if index + 1 < len(starts) else len(text)
            blocks[name] = text[start:end]
    return blocks


def test_every_stage_has_a_rule():
    assert set(rule_blocks()) == {"make_demo_dataset", "make_demo_model", "resample_audio",
                                  "extract_features", "downsample", "delay",
                                  "fit_encoding_model", "summarize"}


@pytest.mark.parametrize("name, block", sorted(rule_blocks().items()))
def test_rule_declares_what_its_job_needs(name, block):
    for directive in ("log:", "benchmark:", "threads:", "resources:", "conda:", "script:"):
        assert directive in block, f"rule {name} lacks {directive}"
    assert re.search(r"mem_mb=", block) and re.search(r"runtime=", block), name
    conda = re.search(r'conda:\s*"([^"]+)"', block).group(1)
    assert (REPO / "workflow" / "rules" / conda).resolve().is_file(), conda

