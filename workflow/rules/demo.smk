# The embedded demo: a synthetic dataset and a random-weight Whisper, generated from seeds.
# Included first: the plan of the run (common.smk) takes from GENERATED the stories, subjects and
# models these rules will write, since their files do not exist before the rules run.
from speech_encoding.demo.planning import demo_generated_inputs, story_names
from speech_encoding.run.rerun_policy import canonical

DEMO_DATASET = f"{RESULTS}/demo/dataset"
DEMO_MODEL = f"{RESULTS}/demo/model"
GENERATED = demo_generated_inputs(config, DEMO_DATASET, DEMO_MODEL)


def demo_settings():
    """The demo section without the model (the dataset does not depend on the model)."""
    return canonical({key: value for key, value in config["demo"].items() if key != "model"})


if "demo" in config:

    rule make_demo_dataset:
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
            truth=f"{DEMO_DATASET}/truth.json",
        params:
            demo=demo_settings(),
            folder=lambda wildcards, output: os.path.dirname(output.stories),
        log:
            f"{RESULTS}/logs/make_demo_dataset.log",
        benchmark:
            f"{RESULTS}/benchmarks/make_demo_dataset.tsv"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        conda:
            "../../envs/speech_encoding.yaml"
        script:
            "../scripts/make_demo_dataset.py"

    rule make_demo_model:
        output:
            directory(DEMO_MODEL),
        params:
            spec=canonical(config["demo"]["model"]),
        log:
            f"{RESULTS}/logs/make_demo_model.log",
        benchmark:
            f"{RESULTS}/benchmarks/make_demo_model.tsv"
        threads: 1
        resources:
            mem_mb=2000,
            runtime=10,
        conda:
            "../../envs/speech_encoding.yaml"
        script:
            "../scripts/make_demo_model.py"
