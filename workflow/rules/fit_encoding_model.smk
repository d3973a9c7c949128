# Per subject x feature set x layer: ridge with per-voxel alphas by inner CV, scored on test stories.


rule fit_encoding_model:
    input:
        features=delayed_features,
        responses=subject_responses,
    output:
        voxels=f"{RESULTS}/fits/{{subject}}/{{feature_set}}/layer{{layer}}/voxels.parquet",
        summary=f"{RESULTS}/fits/{{subject}}/{{feature_set}}/layer{{layer}}/summary.json",
    params:
        stories=list(STORIES),
        splits=[story.split for story in STORIES.values()],
        trimming=canonical(config["trimming"]),
        ridge=canonical(config["ridge"]),
    log:
        f"{RESULTS}/logs/fit_encoding_model/{{subject}}/{{feature_set}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_encoding_model/{{subject}}/{{feature_set}}/layer{{layer}}.tsv"
    threads: 8
    resources:
        mem_mb=fit_memory_mb,
        runtime=120,
    conda:
        "../../envs/speech_encoding.yaml"
    script:
        "../scripts/fit_encoding_model.py"
