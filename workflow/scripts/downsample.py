"""Put one layer's features of every story onto the story's TR grid."""

import logging

import numpy as np

from speech_encoding.data.manifest import tr_times
from speech_encoding.design_matrix.downsample import downsample
from speech_encoding.features.feature_files import read_layer
from speech_encoding.run.atomic_io import save_npy
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
grids, layer = snakemake.params.grids, snakemake.params.layer
for number, (story, folder, target) in enumerate(
        zip(grids, snakemake.input.features, snakemake.output, strict=True), start=1):
    features, times = read_layer(folder, layer, expected=snakemake.params.extraction, story=story)
    grid = grids[story]
    on_trs = downsample(features, times, tr_times(**grid), grid["tr"], **snakemake.params.method)
    save_npy(target, on_trs.astype(np.float32))
    logging.info("story %d/%d %s: layer %d, %d windows -> %d TRs", number, len(grids), story, layer,
                 len(times), len(on_trs))
