# Config validation, the plan of the run (stories, subjects, layers) and input functions.
import os
from dataclasses import replace
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

from speech_encoding.demo.dataset import demo_stories, story_names
from speech_encoding.downsample import METHOD_OPTIONS
from speech_encoding import memory_budget
from speech_encoding.errors import InputError
from speech_encoding.feature_files import extraction_settings
from speech_encoding.manifest import read_manifest
from speech_encoding.plan import check_stories, plan_feature_set, plan_subjects
from speech_encoding.settings import check_config

min_version("9.0")

# envs/speech_encoding.yaml installs this package from here when rules run in conda envs.
os.environ.setdefault("SPEECH_ENCODING_ROOT", workflow.basedir)

validate(config, "../schemas/config.schema.yaml")

RESULTS = os.path.normpath(config["results_dir"])
DEMO_DATASET = f"{RESULTS}/demo/dataset"
DEMO_MODEL = f"{RESULTS}/demo/model"
NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]*"


wildcard_constraints:
    story=NAME_PATTERN,
    subject=NAME_PATTERN,
    feature_set=NAME_PATTERN,
    layer=r"\d+",
    rate=r"\d+",


def canonical(value):
    """A config value with dict keys sorted at every level, so that reordering keys in a config
    file does not look like a parameter change (Snakemake's params trigger is order-sensitive)."""
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    return value


def same_path(a, b):
    """True when two paths name the same place (before either exists)."""
    return os.path.normpath(os.path.abspath(a)) == os.path.normpath(os.path.abspath(b))


def is_demo_path(path, demo_path):
    """True when `path` is produced by the demo rules of this config."""
    return "demo" in config and same_path(path, demo_path)


USES_DEMO_DATASET = is_demo_path(config["dataset"]["stories"], f"{DEMO_DATASET}/stories.tsv")


def make_plan():
    """Everything the DAG needs to know, validated before any job runs."""
    check_config(config)
    dataset = config["dataset"]
    nested = config["ridge"]["mode"] == "nested_cv"
    if USES_DEMO_DATASET:
        stories = demo_stories(config["demo"], DEMO_DATASET)
    else:
        stories = read_manifest(
            dataset["stories"], dataset.get("test_stories"), require_split=not nested
        )
    if nested:
        stories = [replace(story, split="train") for story in stories]
    check_stories(
        stories,
        config["trimming"],
        config["fir_delays"],
        min_duration=max(fs["context_size"] for fs in config["feature_sets"]),
        audio_exists=not USES_DEMO_DATASET,
    )
    subjects = plan_subjects(
        dataset["subjects"],
        dataset["responses"],
        stories,
        config["trimming"],
        known_subjects=config["demo"]["subjects"] if USES_DEMO_DATASET else None,
    )
    plans = {
        fs["name"]: plan_feature_set(
            fs, config["demo"]["model"] if is_demo_path(fs["model"], DEMO_MODEL) else None
        )
        for fs in config["feature_sets"]
    }
    return stories, subjects, plans


try:
    STORY_LIST, SUBJECTS, PLANS = make_plan()
except InputError as error:
    raise WorkflowError(f"Invalid input: {error}") from None

LAYERS = {name: plan.layers for name, plan in PLANS.items()}

STORIES = {story.name: story for story in STORY_LIST}
FEATURE_SETS = {fs["name"]: fs for fs in config["feature_sets"]}


def resampled_audio_path(feature_set, story):
    """The resampled audio a feature set reads."""
    rate = FEATURE_SETS[feature_set]["target_sample_rate"]
    return f"{RESULTS}/audio/{rate}hz/{story}.wav"


def model_input(wildcards):
    """The model folder as an input when it is local (so a new model reruns extraction)."""
    model = FEATURE_SETS[wildcards.feature_set]["model"]
    if is_demo_path(model, DEMO_MODEL):
        return DEMO_MODEL
    return model if Path(model).is_dir() else []


def response_file(subject, story):
    """One response file, spelled as the demo rule spells its outputs."""
    return os.path.normpath(f"{config['dataset']['responses']}/{subject}/{story}.npy")


def tr_times_input(wildcards):
    """The story's explicit TR-times file, when the manifest names one."""
    path = STORIES[wildcards.story].tr_times_file
    return [str(path)] if path else []


def fit_path(subject, feature_set, layer, name):
    """A file of one fit: voxels.parquet, summary.json or weights.npy."""
    return f"{RESULTS}/fits/{subject}/{feature_set}/layer{layer}/{name}"


def all_fits():
    """(subject, feature set, layer) of every fit, in a fixed order."""
    return [
        (subject, fs, layer)
        for subject in SUBJECTS
        for fs in FEATURE_SETS
        for layer in LAYERS[fs]
    ]


def summary_outputs():
    """The final targets (every fit's weights.npy too, when ridge.save_weights)."""
    weights = [fit_path(*fit, "weights.npy") for fit in all_fits()] if config["ridge"]["save_weights"] else []
    return [
        f"{RESULTS}/summary.parquet",
        f"{RESULTS}/summary.csv",
        f"{RESULTS}/plots/median_r_by_layer.png",
        f"{RESULTS}/plots/r_histograms.png",
        f"{RESULTS}/plots/best_layer.png",
    ] + weights


def demo_settings():
    """The demo section without the model (the dataset does not depend on the model)."""
    return canonical({key: value for key, value in config["demo"].items() if key != "model"})


def downsample_settings():
    """The downsampling method and only the options it uses (others must not trigger reruns)."""
    settings = config["downsample"]
    method = settings["method"]
    return canonical({"method": method, **{key: settings[key] for key in METHOD_OPTIONS[method]}})


def extraction_params(wildcards):
    """The feature set's settings that change extraction's output (never its name, device or
    batch size); whisper_padding only for Whisper models, the only ones it affects."""
    return canonical(extraction_settings(FEATURE_SETS[wildcards.feature_set],
                                         PLANS[wildcards.feature_set].family))


def delayed_features(wildcards):
    """Delayed features of every story, in manifest order."""
    return [
        f"{RESULTS}/delayed/{wildcards.feature_set}/{story}/layer{wildcards.layer}.npy"
        for story in STORIES
    ]


def subject_responses(wildcards):
    """The subject's response files, in manifest order."""
    return [response_file(wildcards.subject, story) for story in STORIES]


def fit_memory_mb(wildcards, input):
    """Memory for a fit: a base, its memory-mapped inputs, and an equal voxel-batch working set."""
    return memory_budget.fit_memory_mb(input.size_mb)


# ridge keys that change how a fit computes or what else it writes, never its results: not params
# (a params change reruns a job); the fit script reads device and voxel_batch from the config
RIDGE_COMPUTE_KEYS = ("device", "voxel_batch", "save_weights")


def ridge_params():
    """The ridge settings that decide a fit's results (a change reruns the fits)."""
    return canonical({k: v for k, v in config["ridge"].items() if k not in RIDGE_COMPUTE_KEYS})


def fit_outputs():
    """A fit's output files: the voxel table and summary, and weights.npy when ridge.save_weights."""
    names = ["voxels.parquet", "summary.json"] + (["weights.npy"] if config["ridge"]["save_weights"] else [])
    return {name.split(".")[0]: fit_path("{subject}", "{feature_set}", "{layer}", name) for name in names}


def demo_truth():
    """The demo's truth file when this run fits the demo dataset."""
    return [f"{DEMO_DATASET}/truth.json"] if USES_DEMO_DATASET else []
