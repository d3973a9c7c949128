# Per story: read the audio, mix to mono, resample to the rate a feature set asks for.


rule resample_audio:
    input:
        audio=lambda wildcards: str(STORIES[wildcards.story].audio),
    output:
        f"{RESULTS}/audio/{{rate}}hz/{{story}}.wav",
    log:
        f"{RESULTS}/logs/resample_audio/{{rate}}hz/{{story}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/resample_audio/{{rate}}hz/{{story}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        target_rate=lambda wildcards: int(wildcards.rate),
    script:
        "../scripts/resample_audio.py"
