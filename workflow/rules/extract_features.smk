# Per story x feature set: one sliding-window pass of the speech model, every layer written.


rule extract_features:
    input:
        audio=lambda wildcards: resampled_audio_path(wildcards.feature_set, wildcards.story),
        model=model_input,
    output:
        directory(f"{RESULTS}/features/{{feature_set}}/{{story}}"),
    params:
        extraction=extraction_params,
        device=lambda wildcards: FEATURE_SETS[wildcards.feature_set]["device"],
        batch_size=lambda wildcards: FEATURE_SETS[wildcards.feature_set]["batch_size"],
    log:
        f"{RESULTS}/logs/extract_features/{{feature_set}}/{{story}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/extract_features/{{feature_set}}/{{story}}.tsv"
    threads: 8
    resources:
        mem_mb=8000,
        runtime=240,
        gpu=lambda wildcards: int(FEATURE_SETS[wildcards.feature_set]["device"] == "cuda"),
    conda:
        "../../envs/speech_encoding.yaml"
    script:
        "../scripts/extract_features.py"
