"""Stack FIR delays of one layer's downsampled features, for every story, and index the files."""

import logging

import numpy as np

from speech_encoding.design_matrix.delays import stack_delays
from speech_encoding.run.atomic_io import save_npy
from speech_encoding.run.job_logging import log_to_file
from speech_encoding.run.layer_index import indexed_files, write_layer_index

log_to_file(snakemake.log[0])
stories = snakemake.params.stories
sources = indexed_files(snakemake.input[0], stories, "downsample")
shapes = {}
for number, (story, target) in enumerate(zip(stories, snakemake.output.stories, strict=True), start=1):
    delayed = stack_delays(np.load(sources[story]), snakemake.params.fir_delays,
                           circpad=snakemake.params.circpad)
    save_npy(target, delayed)
    shapes[story] = delayed.shape
    logging.info("story %d/%d %s: delays %s -> %d x %d", number, len(stories), story,
                 snakemake.params.fir_delays, *delayed.shape)
write_layer_index(snakemake.output.index, dict(zip(stories, snakemake.output.stories)), shapes)
