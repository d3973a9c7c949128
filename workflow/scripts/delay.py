"""Stack FIR delays of one layer's downsampled features, for every story."""

import logging

import numpy as np

from speech_encoding.design_matrix.delays import stack_delays
from speech_encoding.run.atomic_io import save_npy
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
stories = snakemake.params.stories
for number, (story, source, target) in enumerate(
        zip(stories, snakemake.input, snakemake.output, strict=True), start=1):
    delayed = stack_delays(np.load(source), snakemake.params.fir_delays,
                           circpad=snakemake.params.circpad)
    save_npy(target, delayed)
    logging.info("story %d/%d %s: delays %s -> %d x %d", number, len(stories), story,
                 snakemake.params.fir_delays, *delayed.shape)
