# Per (analysis x) subject x feature set with a brain_maps entry: every layer's maps of r,
# significant r, alpha (and r over the noise ceiling) and the best layer per voxel, as NIfTI volumes
# and figures (pycortex flatmaps or slices of a NIfTI mask). Maps have their own rule, so map
# settings rerun no fit.


rule draw_brain_maps:
    input:
        voxels=subject_fit_tables,
        space=map_space_input,
    output:
        report(
            directory(f"{RESULTS}/maps/{{analysis}}{{subject}}/{{feature_set}}"),
            patterns=["layer{layer}/{quantity}.png", "{quantity}.png"],
            caption="../report/brain_maps.rst",
            category="Brain maps",
            subcategory="{subject}",
        ),
    log:
        f"{RESULTS}/logs/draw_brain_maps/{{analysis}}{{subject}}/{{feature_set}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/draw_brain_maps/{{analysis}}{{subject}}/{{feature_set}}.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        space=lambda wildcards: canonical(MAPS.entries[wildcards.subject]),
        layers=lambda wildcards: LAYERS[wildcards.feature_set],
        labels=map_labels,
    script:
        "../scripts/draw_brain_maps.py"
