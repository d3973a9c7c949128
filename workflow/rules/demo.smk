# The embedded demo: a synthetic dataset and a random-weight Whisper, generated from seeds, and with
# demo.brain its subjects' voxels in a pycortex subject's brain (driven inside an ROI).
# Included first: the plan of the run (common.smk) takes from GENERATED the stories, subjects and
# models these rules will write, since their files do not exist before the rules run.
from snakemake.logging import logger

from speech_encoding.demo.planning import (
    dataset_settings,
    demo_brain_notice,
    demo_generated_inputs,
    repeated_stories,
    story_names,
)
from speech_encoding.run.rerun_policy import canonical

DEMO_DATASET = f"{RESULTS}/demo/dataset"
DEMO_MODEL = f"{RESULTS}/demo/model"
DEMO_BRAIN = f"{RESULTS}/demo/brain"
GENERATED = demo_generated_inputs(config, DEMO_DATASET, DEMO_MODEL, DEMO_BRAIN)
DEMO_BRAIN_NOTICE = demo_brain_notice(config)
if DEMO_BRAIN_NOTICE:
    logger.info(DEMO_BRAIN_NOTICE)


if "demo" in config:

    rule make_demo_dataset:
        input:
            brain=[f"{DEMO_BRAIN}/brain.json"] if GENERATED.filestore else [],
        output:
            stories=f"{DEMO_DATASET}/stories.tsv",
            audio=expand(
                f"{DEMO_DATASET}/audio/{{story}}.wav",
                story=story_names(config["demo"]),
            ),
            responses=expand(
                f"{DEMO_DATASET}/responses/{{subject}}/{{story}}.npy",
                subject=config["demo"]["subjects"],
                story=story_names(config["demo"]),
            ),
            repeats=expand(
                f"{DEMO_DATASET}/repeats/{{subject}}/{{story}}.npy",
                subject=config["demo"]["subjects"],
                story=repeated_stories(config["demo"]),
            ),
            truth=f"{DEMO_DATASET}/truth.json",
        log:
            f"{RESULTS}/logs/make_demo_dataset.log",
        benchmark:
            f"{RESULTS}/benchmarks/make_demo_dataset.tsv"
        conda:
            "../../envs/speech_encoding.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            demo=canonical(dataset_settings(config["demo"])),
            folder=lambda wildcards, output: os.path.dirname(output.stories),
        script:
            "../scripts/make_demo_dataset.py"

    rule make_demo_model:
        output:
            directory(DEMO_MODEL),
        log:
            f"{RESULTS}/logs/make_demo_model.log",
        benchmark:
            f"{RESULTS}/benchmarks/make_demo_model.tsv"
        conda:
            "../../envs/speech_encoding.yaml"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        params:
            spec=canonical(config["demo"]["model"]),
        script:
            "../scripts/make_demo_model.py"

    if GENERATED.filestore:

        rule make_demo_brain:
            output:
                brain=f"{DEMO_BRAIN}/brain.json",
                filestore=directory(GENERATED.filestore),
            log:
                f"{RESULTS}/logs/make_demo_brain.log",
            benchmark:
                f"{RESULTS}/benchmarks/make_demo_brain.tsv"
            conda:
                "../../envs/speech_encoding.yaml"
            threads: 1
            resources:
                mem_mb=4000,
                runtime=10,
            params:
                brain=canonical(config["demo"]["brain"]),
                n_voxels=config["demo"]["n_voxels"],
                n_driven=config["demo"]["n_driven"],
                seed=config["demo"]["seed"],
            script:
                "../scripts/make_demo_brain.py"
