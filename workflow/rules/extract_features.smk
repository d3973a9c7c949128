# Per story x feature set: one sliding-window pass of the speech model, every layer written.
# The feature set's device and batch_size are read by the script from the config, not passed as
# params: they change how fast features come, not what they are, so they must not trigger reruns.


rule extract_features:
    input:
        audio=lambda wildcards: resampled_audio_path(
            wildcards.feature_set, wildcards.story
        ),
        model=model_input,
    output:
        directory(f"{RESULTS}/features/{{feature_set}}/{{story}}"),
    log:
        f"{RESULTS}/logs/extract_features/{{feature_set}}/{{story}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/extract_features/{{feature_set}}/{{story}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=lambda wildcards: int(
            FEATURE_SETS[wildcards.feature_set]["device"] == "cuda"
        ),
    params:
        extraction=extraction_settings_of,
    script:
        "../scripts/extract_features.py"
