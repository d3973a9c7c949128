# One table and the figures over every (analysis x) subject x feature set x layer, the configuration
# in effect (every key, the schema's defaults filled in) that the report shows beside them, each
# analysis's settings, and the record of the run (summary_run.json: config files, digest, end time).


localrules:
    summarize,


rule summarize:
    input:
        summaries=[fit_path(*fit, "summary.json") for fit in all_fits()],
        voxels=[fit_path(*fit, "voxels.parquet") for fit in all_fits()],
        truth=demo_truth(),
    output:
        **{
            name: report(
                path,
                caption=f"../report/analysis_{name}.rst",
                category="Analyses",
            )
            for name, path in analysis_outputs().items()
        },
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
        record=report(
            f"{RESULTS}/summary_run.json",
            caption="../report/summary_run.rst",
            category="Configuration",
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
        fits=fit_keys(),
        ceiling_subjects=ceiling_subjects(),
        min_ceilings=[
            ANALYSES[fit[0]].config["noise_ceiling"]["min_ceiling"]
            for fit in all_fits()
        ],
        analyses=analyses_in_effect(),
    script:
        "../scripts/summarize.py"
