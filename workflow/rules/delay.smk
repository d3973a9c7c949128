# Per feature set x layer (x downsampling and delay settings, with analyses): FIR delay stacking of
# every story (one column block per delay). Like downsample, it reads and writes one index of the
# layer's story files, so that each job has one input file to plan rather than one per story.


rule delay:
    input:
        downsampled_features,
    output:
        stories=per_story(
            f"{RESULTS}/delayed/{{feature_set}}{{variant}}/{{story}}/layer{{layer}}.npy"
        ),
        index=layer_index("delayed", "{feature_set}", "{variant}", "{layer}"),
    log:
        f"{RESULTS}/logs/delay/{{feature_set}}{{variant}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/delay/{{feature_set}}{{variant}}/layer{{layer}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        fir_delays=lambda wildcards: DELAYED[wildcards.variant]["fir_delays"],
        circpad=lambda wildcards: DELAYED[wildcards.variant]["circpad"],
        stories=list(STORIES),
    script:
        "../scripts/delay.py"
