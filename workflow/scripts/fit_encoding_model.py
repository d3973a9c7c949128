"""Fit one subject x feature set x layer encoding model and score it on the test stories."""

import logging

import numpy as np

from speech_encoding.atomic_io import save_json, save_parquet
from speech_encoding.encoding_model import fit_stories
from speech_encoding.responses import load_responses
from speech_encoding.run_logging import log_to_file
from speech_encoding.settings import RidgeSettings

log_to_file(snakemake.log[0])
subject, stories = snakemake.wildcards.subject, snakemake.params.stories
responses = {story: load_responses(path, subject, story)
             for story, path in zip(stories, snakemake.input.responses)}
features = {story: np.load(path) for story, path in zip(stories, snakemake.input.features)}
voxels, summary = fit_stories(features, responses, dict(zip(stories, snakemake.params.splits)),
                              snakemake.params.trimming,
                              RidgeSettings.from_config(snakemake.params.ridge), subject)
logging.info("summary: %s", summary)
save_parquet(snakemake.output.voxels, voxels)
save_json(snakemake.output.summary, summary)
