# Per story x feature set x layer: FIR delay stacking (one column block per delay).


rule delay:
    input:
        f"{RESULTS}/downsampled/{{feature_set}}/{{story}}/layer{{layer}}.npy",
    output:
        f"{RESULTS}/delayed/{{feature_set}}/{{story}}/layer{{layer}}.npy",
    log:
        f"{RESULTS}/logs/delay/{{feature_set}}/{{story}}/layer{{layer}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/delay/{{feature_set}}/{{story}}/layer{{layer}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        **delay_params(config),
    script:
        "../scripts/delay.py"
