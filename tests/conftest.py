"""Shared fixtures: the repository root, a tiny demo config, manifest and response writers."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

TINY_DEMO = {
    "results_dir": "results",
    "dataset": {"stories": "results/demo/dataset/stories.tsv",
                "responses": "results/demo/dataset/responses",
                "repeats": "results/demo/dataset/repeats", "subjects": "all"},
    "demo": {"seed": 3, "n_train_stories": 3, "n_test_stories": 1, "story_duration": 60.0,
             "sample_rate": 22050, "tr": 2.0, "subjects": ["s1", "s2"], "n_voxels": 40,
             "n_driven": 12, "noise_level": 0.7,
             "model": {"seed": 0, "d_model": 32, "encoder_layers": 2, "attention_heads": 2,
                       "ffn_dim": 64}},
    "feature_sets": [{"name": "tiny", "model": "results/demo/model", "chunk_size": 0.5,
                      "context_size": 1.0, "pool": "mean", "batch_size": 16}],
    # no trimming: auto, which keeps rows 5-29 of each story's 30 (tests/test_workflow.py)
    "ridge": {"chunk_length": 10, "n_inner_folds": 4},
}


def validated(config: dict) -> dict:
    """A copy of `config` validated as the Snakefile does it: schema defaults, then cross checks."""
    from snakemake.utils import validate

    from speech_encoding.run.config_errors import check_schema
    from speech_encoding.run.settings import check_config

    config = copy.deepcopy(config)
    check_schema(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    check_config(config)
    return config


def fit_sections(ridge: dict, significance: dict | None = None) -> dict:
    """The validated config of a `ridge` (and `significance`) section: the schema's defaults filled
    in, alphas as given."""
    ridge = {**ridge, "alphas": list(ridge["alphas"])} if "alphas" in ridge else ridge
    return validated({"dataset": {"stories": "stories.tsv", "responses": "responses"},
                      "feature_sets": [{"name": "f", "model": "m"}], "ridge": ridge,
                      "significance": significance or {}})


def ridge_settings(**ridge):
    """RidgeSettings of a `ridge` section with the schema's defaults filled in (alphas as given)."""
    from speech_encoding.run.settings import RidgeSettings

    return RidgeSettings.from_config(fit_sections(ridge)["ridge"])


def significance_settings(**significance):
    """SignificanceSettings of a `significance` section with the schema's defaults filled in."""
    from speech_encoding.run.settings import SignificanceSettings

    return SignificanceSettings.from_config(fit_sections({}, significance)["significance"])


# The test files that run whole workflows, longest first. pytest-xdist hands whole files to its
# workers in collection order (pyproject.toml: --dist loadfile --no-loadscope-reorder), so these
# start at once and the short files fill in around them, rather than one of them starting last and
# running alone at the end. test_cluster.py mostly waits for SLURM's status checks: it goes first.
LONGEST_FIRST = ("test_cluster.py", "test_invalidation.py", "test_workflow.py", "test_faults.py",
                 "test_importers.py")


def pytest_collection_modifyitems(items):
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order kept


@pytest.fixture
def tiny_demo_config() -> dict:
    """A demo config small enough for a whole workflow run in well under a minute."""
    return copy.deepcopy(TINY_DEMO)


def write_config(folder: Path, config: dict) -> Path:
    """Write a config.yaml into `folder` and return its path."""
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def write_stories_tsv(folder: Path, rows: list[dict], touch_audio: bool = True) -> Path:
    """Write stories.tsv from dict rows (all values as given) and empty audio files it names."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["\t".join(columns)] + ["\t".join(str(row.get(c, "")) for c in columns) for row in rows]
    path = folder / "stories.tsv"
    path.write_text("\n".join(lines) + "\n")
    if touch_audio:
        for row in rows:
            audio = folder / str(row.get("audio", ""))
            if row.get("audio") and not audio.exists():
                audio.parent.mkdir(parents=True, exist_ok=True)
                audio.write_bytes(b"")
    return path


def write_responses(folder: Path, subject: str, shapes: dict[str, tuple], seed: int = 0) -> None:
    """Random responses/<subject>/<story>.npy files of the given shapes."""
    rng = np.random.default_rng(seed)
    for story, shape in shapes.items():
        path = folder / subject / f"{story}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, rng.standard_normal(shape).astype(np.float32))


@pytest.fixture(scope="session")
def tiny_whisper(tmp_path_factory) -> str:
    """A random-weight Whisper (2 encoder layers, d_model 32) saved with its feature extractor."""
    from speech_encoding.demo.model import write_demo_model

    folder = tmp_path_factory.mktemp("whisper")
    write_demo_model({"seed": 1, "num_mel_bins": 80, "d_model": 32, "encoder_layers": 2,
                      "attention_heads": 2, "ffn_dim": 64}, folder)
    return str(folder)


def write_tiny_waveform_model(folder: Path, model_type: str, seed: int) -> str:
    """A random-weight waveform encoder of `model_type` (2 layers, hidden 32) saved with a
    normalising feature extractor."""
    import torch
    from transformers import AutoConfig, AutoModel, Wav2Vec2FeatureExtractor

    torch.manual_seed(seed)
    config = AutoConfig.for_model(model_type, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, intermediate_size=64, conv_dim=(16, 16),
                                  conv_stride=(5, 4), conv_kernel=(10, 4),
                                  num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2)
    AutoModel.from_config(config).eval().save_pretrained(folder)
    Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, do_normalize=True,
                             return_attention_mask=False).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def tiny_hubert(tmp_path_factory) -> str:
    """A random-weight HuBERT (2 layers, hidden 32) saved with its feature extractor."""
    return write_tiny_waveform_model(tmp_path_factory.mktemp("hubert"), "hubert", seed=2)


@pytest.fixture(scope="session", params=["wav2vec2", "wavlm"])
def tiny_other_waveform_model(request, tmp_path_factory) -> str:
    """Random-weight Wav2Vec2 and WavLM encoders, built like `tiny_hubert`."""
    return write_tiny_waveform_model(tmp_path_factory.mktemp(request.param), request.param, seed=3)


@pytest.fixture(scope="session")
def pycortex_store(tmp_path_factory) -> Path:
    """A copy of pycortex's example subject S1 (transform fullhead, with its thick mask), so that
    tests write masks and caches there and never into the installed filestore."""
    import shutil

    from speech_encoding.demo.brain import installed_subject
    from speech_encoding.report.brain_space import PycortexSpace, pycortex_mask

    store = tmp_path_factory.mktemp("pycortex")
    shutil.copytree(installed_subject("S1"), store / "S1")
    pycortex_mask(PycortexSpace(str(store), "S1", "fullhead"))  # made and stored when missing
    return store


def write_pycortex_mask(store: Path, mask_type: str, n_voxels: int) -> None:
    """Mask `mask_type` of S1/fullhead: the first `n_voxels` voxels of its thick mask, in
    pycortex's order."""
    write_subset_mask(store / "S1" / "transforms" / "fullhead", mask_type, n_voxels)


def write_subset_mask(folder: Path, mask_type: str, n_voxels: int) -> None:
    """Mask `mask_type` of the pycortex transform `folder`: the first `n_voxels` voxels of its
    thick mask, in pycortex's order (`mask_type` thick replaces the thick mask itself)."""
    import nibabel

    thick = nibabel.load(folder / "mask_thick.nii.gz")
    order = np.asarray(thick.get_fdata()).T != 0  # pycortex's (k, j, i) array
    subset = np.zeros(order.shape, dtype=np.uint8)
    subset.flat[np.flatnonzero(order)[:n_voxels]] = 1
    nibabel.save(nibabel.Nifti1Image(subset.T, thick.affine), folder / f"mask_{mask_type}.nii.gz")
