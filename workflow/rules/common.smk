# The plan of the run (stories, subjects, layers; inputs checked before any job), wildcard
# constraints, and the input functions and parameters the stage rules share. Which config values
# are parameters (and so trigger reruns) is decided in speech_encoding.run.rerun_policy.
import json
import os
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.logging import logger

from speech_encoding.data.manifest import NAME_PATTERN
from speech_encoding.data.responses import response_path
from speech_encoding.errors import InputError
from speech_encoding.modelling import memory_budget
from speech_encoding.run.analyses import analysis_settings
from speech_encoding.run.layer_index import index_name, indexed_size_mb
from speech_encoding.run.map_plan import is_generated, plan_brain_maps, skipped_lines
from speech_encoding.run.plan import ceiling_path, plan_run
from speech_encoding.run.summary_record import CONFIG_FILES_VARIABLE
from speech_encoding.run.rerun_policy import (
    delay_params,
    downsample_params,
    extraction_params,
    ridge_params,
    significance_params,
    trimming_params,
)

# envs/speech_encoding.yaml installs this package from here when rules run in conda envs.
os.environ.setdefault("SPEECH_ENCODING_ROOT", workflow.basedir)
# The summary records the config files of the run (read at run time: not a parameter, so a config
# moved elsewhere reruns nothing).
os.environ[CONFIG_FILES_VARIABLE] = json.dumps([str(f) for f in workflow.configfiles])


wildcard_constraints:
    story=NAME_PATTERN,
    subject=NAME_PATTERN,
    feature_set=NAME_PATTERN,
    layer=r"\d+",
    rate=r"\d+",
    start=r"\d+",
    stop=r"\d+",
    # an analysis's fits folder under fits (empty without analyses, else its name and a slash)
    # and the folders of its downsampled and delayed files under <stage>/<feature_set> (empty
    # without analyses, else a slash and the downsampling folder, then the delays folder):
    # speech_encoding.run.analyses
    analysis=f"({NAME_PATTERN}/)?",
    variant=f"(/{NAME_PATTERN}){{0,2}}",


try:
    PLAN = plan_run(config, GENERATED)
    # per subject with a brain_maps entry, its space (masks checked against the responses)
    MAPS = plan_brain_maps(
        config["brain_maps"],
        PLAN.subjects,
        config["dataset"]["responses"],
        PLAN.stories[0].name,
        GENERATED.n_voxels,
        GENERATED.filestore,
    )
except InputError as error:
    raise WorkflowError(f"Invalid input: {error}") from None
for line in skipped_lines(MAPS):
    logger.info(line)

STORIES = {story.name: story for story in PLAN.stories}
SUBJECTS = PLAN.subjects
LAYERS = {name: plan.layers for name, plan in PLAN.feature_sets.items()}
FEATURE_SETS = {fs["name"]: fs for fs in config["feature_sets"]}
# Each analysis by its fits folder, and the settings of every downsampled and delayed folder.
ANALYSES = {plan.analysis.fit_folder: plan for plan in PLAN.analyses}
DOWNSAMPLED = {
    plan.analysis.downsampled_folder: downsample_params(plan.config["downsample"])
    for plan in PLAN.analyses
}
DELAYED = {
    plan.analysis.delayed_folder: delay_params(plan.config) for plan in PLAN.analyses
}
REPEATS = {
    (ceiling.subject, ceiling.story): ceiling.repeats
    for plan in PLAN.analyses
    for files in plan.ceilings.values()
    for ceiling in files
}


def resampled_audio_path(feature_set, story):
    """The resampled audio a feature set reads."""
    rate = FEATURE_SETS[feature_set]["target_sample_rate"]
    return f"{RESULTS}/audio/{rate}hz/{story}.wav"


def model_input(wildcards):
    """The model folder as an input when it is local (so a new model reruns extraction)."""
    model = FEATURE_SETS[wildcards.feature_set]["model"]
    if model in GENERATED.models:
        return GENERATED.models[model].folder
    return model if Path(model).is_dir() else []


def per_story(template):
    """`template` for every story in manifest order, its other wildcards left as they are."""
    return [template.replace("{story}", story) for story in STORIES]


def tr_times_files(wildcards):
    """The explicit TR-times files the manifest names (stories without one have none)."""
    return [str(s.tr_times_file) for s in STORIES.values() if s.tr_times_file]


def fit_path(analysis, subject, feature_set, layer, name):
    """A file of one fit (voxels.parquet, summary.json or weights.npy); `analysis` is the
    analysis's fits folder ('' without analyses)."""
    return f"{RESULTS}/fits/{analysis}{subject}/{feature_set}/layer{layer}/{name}"


def all_fits():
    """(analysis folder, subject, feature set, layer) of every fit, in a fixed order."""
    return [
        (analysis, subject, fs, layer)
        for analysis in ANALYSES
        for subject in SUBJECTS
        for fs in FEATURE_SETS
        for layer in LAYERS[fs]
    ]


def fit_keys():
    """Per fit, what the summary names it by (its analysis only when the config has analyses)."""
    return [
        {
            **({"analysis": ANALYSES[analysis].analysis.name} if analysis else {}),
            "subject": subject,
            "feature_set": fs,
            "layer": layer,
        }
        for analysis, subject, fs, layer in all_fits()
    ]


def analysis_of(wildcards):
    """The plan of the analysis a fit belongs to."""
    return ANALYSES[wildcards.analysis]


def layer_index(stage, feature_set, folder, layer):
    """The index a downsample or delay job writes of one layer's story files (speech_encoding.
    run.layer_index); `folder` is the settings folder ('' without analyses)."""
    return f"{RESULTS}/{stage}/{feature_set}{folder}/{index_name(layer, list(STORIES))}"


def delayed_features(wildcards):
    """The index of the delayed features of the fit's feature set, layer and analysis."""
    folder = analysis_of(wildcards).analysis.delayed_folder
    return layer_index("delayed", wildcards.feature_set, folder, wildcards.layer)


def downsampled_features(wildcards):
    """The index of the downsampled features a delay job reads (its folder without the delays)."""
    folder = wildcards.variant.rpartition("/")[0]
    return layer_index("downsampled", wildcards.feature_set, folder, wildcards.layer)


def fit_ceilings(wildcards):
    """The noise ceilings of a fit's scored stories that have repeats (none without)."""
    ceilings = analysis_of(wildcards).ceilings
    key = (wildcards.subject, wildcards.feature_set)
    return [ceiling.path(RESULTS) for ceiling in ceilings.get(key, [])]


def repeats_of(wildcards):
    """The repeats file of one subject and story."""
    return REPEATS[(wildcards.subject, wildcards.story)]


def ceiling_subjects():
    """The subjects with a noise ceiling for at least one fit, in plan order."""
    return [
        s
        for s in SUBJECTS
        if any(
            plan.ceilings.get((s, fs)) for plan in PLAN.analyses for fs in FEATURE_SETS
        )
    ]


def ceiling_plot(subject):
    """The figure of held-out r against the noise ceiling of one subject."""
    return f"{RESULTS}/plots/noise_ceiling/{subject}.png"


def analysis_outputs():
    """The figure comparing analyses and their settings (none without analyses)."""
    if not config.get("analyses"):
        return {}
    return {
        "comparison": f"{RESULTS}/plots/analysis_comparison.png",
        "settings": f"{RESULTS}/analyses_in_effect.yaml",
    }


def analyses_in_effect():
    """Per analysis name, its settings and the folders of its files (empty without analyses)."""
    if not config.get("analyses"):
        return {}
    return {
        plan.analysis.name: {
            **analysis_settings(plan.analysis),
            "folders": {
                "fits": f"{RESULTS}/fits/{plan.analysis.fit_folder}",
                "downsampled": [
                    f"{RESULTS}/downsampled/{fs}{plan.analysis.downsampled_folder}"
                    for fs in FEATURE_SETS
                ],
                "delayed": [
                    f"{RESULTS}/delayed/{fs}{plan.analysis.delayed_folder}"
                    for fs in FEATURE_SETS
                ],
            },
        }
        for plan in PLAN.analyses
    }


def summary_outputs():
    """The final targets (every fit's weights.npy too, when ridge.save_weights)."""
    weights = (
        [fit_path(*fit, "weights.npy") for fit in all_fits()]
        if config["ridge"]["save_weights"]
        else []
    )
    return (
        [
            f"{RESULTS}/summary.parquet",
            f"{RESULTS}/summary.csv",
            f"{RESULTS}/summary_run.json",
            f"{RESULTS}/plots/median_r_by_layer.png",
            f"{RESULTS}/plots/r_histograms.png",
            f"{RESULTS}/plots/p_histograms.png",
            f"{RESULTS}/plots/best_layer.png",
            f"{RESULTS}/config_in_effect.yaml",
        ]
        + list(analysis_outputs().values())
        + [ceiling_plot(subject) for subject in ceiling_subjects()]
        + map_folders()
        + weights
    )


def map_folders():
    """The brain-map folder of every (analysis x) subject with a brain_maps entry x feature set."""
    return [
        f"{RESULTS}/maps/{analysis}{subject}/{fs}"
        for analysis in ANALYSES
        for subject in MAPS.entries
        for fs in FEATURE_SETS
    ]


def subject_fit_tables(wildcards):
    """The voxel tables of every layer's fit of one (analysis x) subject x feature set."""
    return [
        fit_path(
            wildcards.analysis,
            wildcards.subject,
            wildcards.feature_set,
            layer,
            "voxels.parquet",
        )
        for layer in LAYERS[wildcards.feature_set]
    ]


def map_space_input(wildcards):
    """A subject's NIfTI mask (so that a new mask redraws its maps), or the demo brain's record
    when it draws in the filestore the demo writes."""
    spec = MAPS.entries[wildcards.subject]
    if spec["space"] == "nifti":
        return [spec["mask"]]
    return (
        [f"{DEMO_BRAIN}/brain.json"] if is_generated(spec, GENERATED.filestore) else []
    )


def map_labels(wildcards):
    """What the maps' titles name: subject, feature set and, with analyses, the analysis."""
    labels = {"subject": wildcards.subject, "feature set": wildcards.feature_set}
    if config.get("analyses") is not None:
        labels = {"analysis": ANALYSES[wildcards.analysis].analysis.name, **labels}
    return labels


def extraction_settings_of(wildcards):
    """The feature set's settings that decide its features (extraction's params)."""
    feature_set = wildcards.feature_set
    return extraction_params(
        FEATURE_SETS[feature_set], PLAN.feature_sets[feature_set].family
    )


# Per subject its response files, and per analysis and feature set the rows its fits keep, made once
# here rather than once per fit job (at LeBel's size, 192 jobs of 84 stories).
RESPONSE_FILES = {
    subject: [
        str(response_path(config["dataset"]["responses"], subject, story))
        for story in STORIES
    ]
    for subject in SUBJECTS
}
ROWS_PARAMS = {
    (plan.analysis.fit_folder, fs): trimming_params(rows)
    for plan in PLAN.analyses
    for fs, rows in plan.rows.items()
}


def subject_responses(wildcards):
    """The subject's response files, in manifest order."""
    return RESPONSE_FILES[wildcards.subject]


def planned_rows(wildcards):
    """Per story, the rows the fit keeps (auto trimming resolved at planning)."""
    return ROWS_PARAMS[(wildcards.analysis, wildcards.feature_set)]


def fit_splits(wildcards):
    """Per story (manifest order), its split as the fit's analysis uses it."""
    return [story.split for story in analysis_of(wildcards).stories]


def fit_ridge(wildcards):
    """The ridge settings that decide the fit's results."""
    return ridge_params(analysis_of(wildcards).config["ridge"])


def fit_significance(wildcards):
    """The fit's significance settings."""
    return significance_params(analysis_of(wildcards).config)


def fit_gpus(wildcards):
    """One GPU for a fit whose ridge.device is cuda."""
    return int(analysis_of(wildcards).config["ridge"]["device"] == "cuda")


def fit_input_mb(input):
    """MB a fit reads: its inputs and the feature files its index names (files not yet made count
    as 0 MB; Snakemake asks again for threads and resources once a job's inputs exist).
    """
    made = [path for path in input if os.path.exists(path)]
    return sum(map(os.path.getsize, made)) / memory_budget.MB + indexed_size_mb(
        input.features
    )


def fit_memory_mb(wildcards, input):
    """Memory for a fit: a base, its memory-mapped inputs, and an equal voxel-batch working set."""
    return memory_budget.fit_memory_mb(fit_input_mb(input))


def fit_threads(wildcards, input):
    """Threads for a fit: one for a small fit, so that several run at once (memory_budget)."""
    return memory_budget.fit_threads(fit_input_mb(input))


def fit_outputs():
    """A fit's output files: the voxel table and summary, and weights.npy when ridge.save_weights."""
    names = ["voxels.parquet", "summary.json"]
    if config["ridge"]["save_weights"]:
        names.append("weights.npy")
    return {
        name.split(".")[0]: fit_path(
            "{analysis}", "{subject}", "{feature_set}", "{layer}", name
        )
        for name in names
    }


def demo_truth():
    """The demo's truth file when this run fits the demo dataset."""
    return [GENERATED.truth] if GENERATED.truth else []
