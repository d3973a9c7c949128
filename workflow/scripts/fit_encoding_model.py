"""Fit one subject x feature set x layer encoding model and score it on the test stories."""

import logging

import numpy as np

from speech_encoding.atomic_io import save_json, save_parquet
from speech_encoding.encoding_model import fit_stories
from speech_encoding.responses import check_finite
from speech_encoding.run_logging import log_to_file
from speech_encoding.settings import RidgeSettings

log_to_file(snakemake.log[0])
subject, stories = snakemake.wildcards.subject, snakemake.params.stories
responses = {}
for story, path in zip(stories, snakemake.input.responses):
    responses[story] = np.load(path)
    check_finite(responses[story], f"subject {subject!r}, story {story!r} ({path})")
features = {story: np.load(path) for story, path in zip(stories, snakemake.input.features)}
voxels, summary = fit_stories(features, responses, dict(zip(stories, snakemake.params.splits)),
                              snakemake.params.trimming,
                              RidgeSettings.from_config(snakemake.params.ridge), subject)
logging.info("summary: %s", summary)
save_parquet(snakemake.output.voxels, voxels)
save_json(snakemake.output.summary, summary)
