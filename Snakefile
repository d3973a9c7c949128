# Speech-model encoding workflow: stories (audio) + fMRI responses -> voxelwise encoding models.
# The DAG and the folder layout are described in README.md; every stage is one rule file below.
import os

from snakemake.utils import min_version, validate

from speech_encoding.run.config_errors import check_schema

min_version("9.0")


# config.yaml (the demo) is the default only: a config given with --configfile replaces it
# rather than being merged into it, so no demo setting leaks into a user's run.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


check_schema(
    config, os.path.join(workflow.basedir, "workflow/schemas/config.schema.yaml")
)
validate(config, "workflow/schemas/config.schema.yaml")
RESULTS = os.path.normpath(config["results_dir"])


include: "workflow/rules/demo.smk"
include: "workflow/rules/common.smk"
include: "workflow/rules/resample_audio.smk"
include: "workflow/rules/extract_features.smk"
include: "workflow/rules/downsample.smk"
include: "workflow/rules/delay.smk"
include: "workflow/rules/noise_ceiling.smk"
include: "workflow/rules/fit_encoding_model.smk"
include: "workflow/rules/summarize.smk"
include: "workflow/rules/brain_maps.smk"


rule all:
    default_target: True
    input:
        summary_outputs(),
