# Speech-model encoding workflow: stories (audio) + fMRI responses -> voxelwise encoding models.
# The DAG and the folder layout are described in README.md; every stage is one rule file below.

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
