# Per feature set x layer: FIR delay stacking of every story (one column block per delay).


rule delay:
    input:
        per_story(f"{RESULTS}/downsampled/{{feature_set}}/{{story}}/layer{{layer}}.npy"),
    output:
        per_story(f"{RESULTS}/delayed/{{feature_set}}/{{story}}/layer{{layer}}.npy"),
    log:
        f"{RESULTS}/logs/delay/{{feature_set}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/delay/{{feature_set}}/layer{{layer}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        **delay_params(config),
        stories=list(STORIES),
    script:
        "../scripts/delay.py"
