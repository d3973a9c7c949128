# Per story x feature set x layer: features at window times -> the story's TR grid.


rule downsample:
    input:
        features=f"{RESULTS}/features/{{feature_set}}/{{story}}",
        tr_times=tr_times_input,
    output:
        f"{RESULTS}/downsampled/{{feature_set}}/{{story}}/layer{{layer}}.npy",
    log:
        f"{RESULTS}/logs/downsample/{{feature_set}}/{{story}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/downsample/{{feature_set}}/{{story}}/layer{{layer}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        grid=lambda wildcards: STORIES[wildcards.story].tr_grid_params(),
        method=downsample_params(config["downsample"]),
        layer=lambda wildcards: int(wildcards.layer),
        extraction=extraction_settings_of,
    script:
        "../scripts/downsample.py"
