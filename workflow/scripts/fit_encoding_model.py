"""Fit one subject x feature set x layer encoding model and score it on the test stories."""

import logging
from contextlib import ExitStack

import numpy as np
import pandas as pd
import torch

from speech_encoding.data.responses import load_responses
from speech_encoding.modelling.fit import fit_stories
from speech_encoding.modelling.memory_budget import working_memory_bytes
from speech_encoding.modelling.noise_ceiling import pooled_ceiling, with_ceiling
from speech_encoding.modelling.weights_file import weights_writer
from speech_encoding.run.analyses import analysis_config
from speech_encoding.run.atomic_io import save_json, save_parquet
from speech_encoding.run.job_logging import log_to_file
from speech_encoding.run.layer_index import indexed_files
from speech_encoding.run.rerun_policy import ridge_runtime
from speech_encoding.run.row_plan import PlannedRows, row_log
from speech_encoding.run.settings import RidgeSettings, SignificanceSettings
from speech_encoding.run.summary_record import retire_summary

log_to_file(snakemake.log[0])
retire_summary(snakemake.config["results_dir"])
torch.set_num_threads(snakemake.threads)
subject, stories = snakemake.wildcards.subject, snakemake.params.stories
runtime = ridge_runtime(analysis_config(snakemake.config, snakemake.wildcards.analysis))
settings = RidgeSettings.from_config({**snakemake.params.ridge, **runtime})
significance = SignificanceSettings.from_config(snakemake.params.significance)
logging.info("%d threads, job memory %s MB", snakemake.threads, snakemake.resources.mem_mb)
planned = {story: PlannedRows.from_params(snakemake.params.rows[story]) for story in stories}
rows_summary = row_log(planned)
responses = {story: load_responses(path, subject, story)
             for story, path in zip(stories, snakemake.input.responses)}
features = {story: np.load(path)
            for story, path in indexed_files(snakemake.input.features, stories, "delay").items()}
with ExitStack() as stack:
    weights = (stack.enter_context(weights_writer(snakemake.output.weights))
               if "weights" in snakemake.output.keys() else None)
    voxels, summary = fit_stories(features, responses, dict(zip(stories, snakemake.params.splits)),
                                  {story: kept.rows for story, kept in planned.items()}, settings, subject,
                                  working_memory_bytes(snakemake.resources.mem_mb), weights,
                                  significance)
ceilings = [pd.read_parquet(path) for path in snakemake.input.ceilings]
if ceilings:
    logging.info("noise ceilings from %s", ", ".join(snakemake.input.ceilings))
voxels = with_ceiling(voxels, pooled_ceiling(ceilings) if ceilings else None)
summary.update(rows_summary)
logging.info("summary: %s", summary)
save_parquet(snakemake.output.voxels, voxels)
save_json(snakemake.output.summary, summary)
