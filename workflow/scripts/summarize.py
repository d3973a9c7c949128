"""Summary table and figures over every fit (with the demo's recovery of known voxels), the
configuration in effect, each analysis's settings, and the record of the run that wrote them."""

import json
import logging

import numpy as np
import pandas as pd
import yaml

from speech_encoding.report.plots import (
    plot_analysis_comparison,
    plot_best_layers,
    plot_ceiling,
    plot_median_r_by_layer,
    plot_p_histograms,
    plot_r_histograms,
)
from speech_encoding.report.summary import (
    add_ceiling_metrics,
    add_comparison,
    ceiling_recovery,
    fit_label,
    mark_best_layers,
    recovery_metrics,
    summary_table,
    trimming_warnings,
)
from speech_encoding.run.atomic_io import save_parquet, save_text
from speech_encoding.run.job_logging import log_to_file
from speech_encoding.run.summary_record import config_files_from_environment, write_run_record

log_to_file(snakemake.log[0])
fits = snakemake.params.fits
titles = [fit_label(fit) for fit in fits]
summaries = [json.loads(open(path).read()) for path in snakemake.input.summaries]
voxel_tables = [pd.read_parquet(path) for path in snakemake.input.voxels]
min_ceilings = snakemake.params.min_ceilings
recovery = driven_masks = None
if snakemake.input.truth:
    truth = json.loads(open(snakemake.input.truth[0]).read())
    drivens = [truth[fit["subject"]]["driven_voxels"] for fit in fits]
    recovery = [recovery_metrics(v, d) for v, d in zip(voxel_tables, drivens)]
    if snakemake.params.ceiling_subjects:
        recovery = [metrics | ceiling_recovery(v, truth[fit["subject"]]["noise_ceiling"])
                    for metrics, v, fit in zip(recovery, voxel_tables, fits)]
    driven_masks = [np.isin(v["voxel"].to_numpy(), d) for v, d in zip(voxel_tables, drivens)]
table = mark_best_layers(add_comparison(summary_table(fits, summaries, recovery), voxel_tables))
table = add_ceiling_metrics(table, voxel_tables, min_ceilings)
logging.info("summary table:\n%s", table.to_string())
for line in trimming_warnings(table):
    logging.warning(line)
save_parquet(snakemake.output.table, table)
save_text(snakemake.output.csv, table.to_csv(index=False))
plot_median_r_by_layer(table, snakemake.output.by_layer)
plot_r_histograms(titles, [v["r"].to_numpy() for v in voxel_tables], snakemake.output.histograms,
                  driven_masks)
plot_p_histograms(titles, [v["p"].to_numpy() for v in voxel_tables], snakemake.output.p_histograms,
                  driven_masks)
plot_best_layers(table, snakemake.output.best_layers)
for subject, path in zip(snakemake.params.ceiling_subjects, snakemake.output.ceiling_plots, strict=True):
    best = [index for index in np.flatnonzero(table["best_layer"].to_numpy())
            if table["subject"].iloc[index] == subject]
    plot_ceiling([(titles[i], voxel_tables[i], min_ceilings[i]) for i in best], path,
                 driven_masks[best[0]] if driven_masks is not None else None)
    logging.info("subject %s: r against the noise ceiling written to %s", subject, path)
if "comparison" in snakemake.output.keys():
    plot_analysis_comparison(table, snakemake.output.comparison)
    save_text(snakemake.output.settings,
              yaml.safe_dump(snakemake.params.analyses, sort_keys=False))
    logging.info("analyses compared in %s; their settings in %s", snakemake.output.comparison,
                 snakemake.output.settings)
save_text(snakemake.output.config_in_effect, yaml.safe_dump(snakemake.config, sort_keys=False))
logging.info("configuration in effect written to %s", snakemake.output.config_in_effect)
record = write_run_record(snakemake.output.record, snakemake.config, config_files_from_environment(),
                          len(fits), [name for name in snakemake.params.analyses])
logging.info("run record: %s", record)
