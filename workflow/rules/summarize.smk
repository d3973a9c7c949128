# One table and the figures over every subject x feature set x layer, and the configuration in effect
# (every key, the schema's defaults filled in) that the report shows beside them.


localrules:
    summarize,


rule summarize:
    input:
        summaries=[fit_path(*fit, "summary.json") for fit in all_fits()],
        voxels=[fit_path(*fit, "voxels.parquet") for fit in all_fits()],
        truth=demo_truth(),
    output:
        table=f"{RESULTS}/summary.parquet",
        csv=report(
            f"{RESULTS}/summary.csv",
            caption="../report/summary.rst",
            category="Summary table",
        ),
        by_layer=report(
            f"{RESULTS}/plots/median_r_by_layer.png",
            caption="../report/median_r_by_layer.rst",
            category="Encoding performance",
        ),
        histograms=report(
            f"{RESULTS}/plots/r_histograms.png",
            caption="../report/r_histograms.rst",
            category="Encoding performance",
        ),
        p_histograms=report(
            f"{RESULTS}/plots/p_histograms.png",
            caption="../report/p_histograms.rst",
            category="Significance",
        ),
        best_layers=report(
            f"{RESULTS}/plots/best_layer.png",
            caption="../report/best_layer.rst",
            category="Encoding performance",
        ),
        config_in_effect=report(
            f"{RESULTS}/config_in_effect.yaml",
            caption="../report/config_in_effect.rst",
            category="Configuration",
        ),
        ceiling_plots=[
            report(
                ceiling_plot(subject),
                caption="../report/noise_ceiling.rst",
                category="Noise ceilings",
                subcategory=subject,
            )
            for subject in ceiling_subjects()
        ],
    log:
        f"{RESULTS}/logs/summarize.log",
    benchmark:
        f"{RESULTS}/benchmarks/summarize.tsv"
    conda:
        "../../envs/speech_encoding.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        fits=[list(fit) for fit in all_fits()],
        ceiling_subjects=ceiling_subjects(),
        min_ceiling=config["noise_ceiling"]["min_ceiling"],
    script:
        "../scripts/summarize.py"
