# Per analysis x subject x feature set x layer: ridge with per-voxel alphas by inner CV, scored on
# test stories; responses are memory-mapped and fitted in voxel batches sized to the job's mem_mb.


rule fit_encoding_model:
    input:
        features=delayed_features,
        responses=subject_responses,
        ceilings=fit_ceilings,
    output:
        **fit_outputs(),
    log:
        f"{RESULTS}/logs/fit_encoding_model/{{analysis}}{{subject}}/{{feature_set}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_encoding_model/{{analysis}}{{subject}}/{{feature_set}}/layer{{layer}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: fit_threads
    resources:
        mem_mb=fit_memory_mb,
        runtime=120,
        gpu=fit_gpus,
    params:
        stories=list(STORIES),
        splits=fit_splits,
        rows=planned_rows,
        ridge=fit_ridge,
        significance=fit_significance,
    script:
        "../scripts/fit_encoding_model.py"
