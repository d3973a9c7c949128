# The embedded demo: a synthetic dataset and a random-weight Whisper, generated from seeds.


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
