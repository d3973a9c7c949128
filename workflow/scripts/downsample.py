"""Put one layer's features of every story onto the story's TR grid, and index the files."""

import logging

import numpy as np

from speech_encoding.data.manifest import tr_times
from speech_encoding.design_matrix.downsample import downsample
from speech_encoding.features.feature_files import read_layer
from speech_encoding.run.atomic_io import save_npy
from speech_encoding.run.job_logging import log_to_file
from speech_encoding.run.layer_index import write_layer_index

log_to_file(snakemake.log[0])
grids, layer = snakemake.params.grids, snakemake.params.layer
shapes = {}
for number, (story, folder, target) in enumerate(
        zip(grids, snakemake.input.features, snakemake.output.stories, strict=True), start=1):
    features, times = read_layer(folder, layer, expected=snakemake.params.extraction, story=story)
    grid = grids[story]
    on_trs = downsample(features, times, tr_times(**grid), grid["tr"], **snakemake.params.method)
    save_npy(target, on_trs.astype(np.float32))
    shapes[story] = on_trs.shape
    logging.info("story %d/%d %s: layer %d, %d windows -> %d TRs", number, len(grids), story, layer,
                 len(times), len(on_trs))
write_layer_index(snakemake.output.index, dict(zip(grids, snakemake.output.stories)), shapes)
