# Speech-model encoding workflow: stories (audio) + fMRI responses -> voxelwise encoding models.
# The DAG and the folder layout are described in README.md; every stage is one rule file below.

# config.yaml (the demo) is the default only: a config given with --configfile replaces it
# rather than being merged into it, so no demo setting leaks into a user's run.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/demo.smk"
include: "workflow/rules/resample_audio.smk"
include: "workflow/rules/extract_features.smk"
include: "workflow/rules/downsample.smk"
include: "workflow/rules/delay.smk"
include: "workflow/rules/fit_encoding_model.smk"
include: "workflow/rules/summarize.smk"


rule all:
    input:
        summary_outputs(),
    default_target: True
