# Per feature set x layer (x downsampling settings, with analyses): every story's features at window
# times -> the story's TR grid. One job per layer, not per story and layer: each story's share is
# milliseconds of numpy, far less than a job's start, and the layer's fits need every story anyway.


rule downsample:
    input:
        features=per_story(f"{RESULTS}/features/{{feature_set}}/{{story}}"),
        tr_times=tr_times_files,
    output:
        stories=per_story(
            f"{RESULTS}/downsampled/{{feature_set}}{{variant}}/{{story}}/layer{{layer}}.npy"
        ),
        index=layer_index("downsampled", "{feature_set}", "{variant}", "{layer}"),
    log:
        f"{RESULTS}/logs/downsample/{{feature_set}}{{variant}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/downsample/{{feature_set}}{{variant}}/layer{{layer}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        grids={name: story.tr_grid_params() for name, story in STORIES.items()},
        method=lambda wildcards: DOWNSAMPLED[wildcards.variant],
        layer=lambda wildcards: int(wildcards.layer),
        extraction=extraction_settings_of,
    script:
        "../scripts/downsample.py"
