# Per subject x feature set x layer: ridge with per-voxel alphas by inner CV, scored on test stories;
# responses are memory-mapped and fitted in voxel batches sized to the job's mem_mb.


rule fit_encoding_model:
    input:
        features=per_story(
            f"{RESULTS}/delayed/{{feature_set}}/{{story}}/layer{{layer}}.npy"
        ),
        responses=subject_responses,
        ceilings=fit_ceilings,
    output:
        **fit_outputs(),
    log:
        f"{RESULTS}/logs/fit_encoding_model/{{subject}}/{{feature_set}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/fit_encoding_model/{{subject}}/{{feature_set}}/layer{{layer}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 8
    resources:
        mem_mb=fit_memory_mb,
        runtime=120,
        gpu=int(config["ridge"]["device"] == "cuda"),
    params:
        stories=list(STORIES),
        splits=[story.split for story in STORIES.values()],
        rows=planned_rows,
        ridge=ridge_params(config["ridge"]),
        significance=significance_params(config),
    script:
        "../scripts/fit_encoding_model.py"
