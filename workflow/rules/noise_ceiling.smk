# Per subject x story with repeats x scored rows: the voxels' noise ceilings, computed once and
# shared by every fit that scores those rows (README, "Noise ceilings").


rule noise_ceiling:
    input:
        repeats=repeats_of,
    output:
        ceiling_path(RESULTS, "{subject}", "{story}", "{start}", "{stop}"),
    log:
        f"{RESULTS}/logs/noise_ceiling/{{subject}}/{{story}}/rows{{start}}-{{stop}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/noise_ceiling/{{subject}}/{{story}}/rows{{start}}-{{stop}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        rows=lambda wildcards: [int(wildcards.start), int(wildcards.stop)],
    script:
        "../scripts/noise_ceiling.py"
