"""Every rule says what its job needs (log, benchmark, threads, resources, conda env), logs through
the same helper, and the workflow stays quick to start."""

from __future__ import annotations

import re
import subprocess
import sys

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
                                  "noise_ceiling", "fit_encoding_model", "summarize", "draw_brain_maps",
                                  "make_demo_brain"}


@pytest.mark.parametrize("name, block", sorted(rule_blocks().items()))
def test_rule_declares_what_its_job_needs(name, block):
    for directive in ("log:", "benchmark:", "threads:", "resources:", "conda:", "script:"):
        assert directive in block, f"rule {name} lacks {directive}"
    assert re.search(r"mem_mb=", block) and re.search(r"runtime=", block), name
    conda = re.search(r'conda:\s*"([^"]+)"', block).group(1)
    assert (REPO / "workflow" / "rules" / conda).resolve().is_file(), conda



def test_every_script_logs_through_log_to_file():
    """log_to_file is what records a job's SLURM_JOB_ID (tests/test_cluster.py checks it live) and
    turns Ctrl-C into one line naming the job from its log path, so every rule logs under
    logs/<rule>/."""
    for name, block in rule_blocks().items():
        script = re.search(r'script:\s*"([^"]+)"', block).group(1)
        text = (REPO / "workflow" / "rules" / script).read_text()
        assert "log_to_file(snakemake.log[0])" in text, name
        log = re.search(r'log:\s*f?"([^"]+)"', block).group(1)
        assert log.startswith("{RESULTS}/logs/" + name), name


def package_imports() -> list[str]:
    """Every statement of the Snakefile and the rule files that starts a line with
    `from speech_encoding` or `import speech_encoding`, parenthesised continuations included."""
    statements = []
    for path in [REPO / "Snakefile", *RULE_FILES]:
        lines = iter(path.read_text().splitlines())
        for line in lines:
            if re.match(r"(from|import) speech_encoding\b", line):
                while line.count("(") > line.count(")") or line.endswith("\\"):
                    line += "\n" + next(lines)
                statements.append(line)
    return statements


def test_planning_imports_no_heavy_module():
    """Every snakemake start runs the Snakefile's and the rule files' imports, and a SLURM job
    starts snakemake twice: scipy.signal, resampy (numba), torch, transformers and matplotlib are
    imported only by the jobs that use them."""
    statements = package_imports()
    assert len(statements) >= 6, statements  # 8 when written: a parser that misses them fails
    code = "\n".join([*statements, "import sys", "print(*sys.modules)"])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.split()
    heavy = {"scipy.signal", "resampy", "numba", "torch", "transformers", "matplotlib"}
    assert not heavy & set(loaded), f"{sorted(heavy & set(loaded))} imported by:\n{code}"


# Jobs that only need numpy start in a fraction of a second: their scripts' imports load none of
# the heavy libraries (pandas included: it adds about 0.3 s to a job that writes only .npy files).
NUMPY_ONLY_SCRIPTS = ("downsample", "delay")


@pytest.mark.parametrize("script", NUMPY_ONLY_SCRIPTS)
def test_numpy_only_jobs_import_no_heavy_module(script):
    lines = (REPO / "workflow" / "scripts" / f"{script}.py").read_text().splitlines()
    statements = [line for line in lines if re.match(r"(from|import) ", line)]
    assert any("speech_encoding" in line for line in statements), statements
    code = "\n".join([*statements, "import sys", "print(*sys.modules)"])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    heavy = {"torch", "transformers", "matplotlib", "resampy", "numba", "pandas"}
    assert not heavy & set(result.stdout.split()), f"{sorted(heavy & set(result.stdout.split()))}"
