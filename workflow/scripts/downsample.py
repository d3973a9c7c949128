"""Put one layer's features of one story onto the story's TR grid."""

import numpy as np

from speech_encoding.data.manifest import tr_times
from speech_encoding.design_matrix.downsample import downsample
from speech_encoding.features.feature_files import read_layer
from speech_encoding.run.atomic_io import save_npy
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
features, times = read_layer(snakemake.input.features, snakemake.params.layer,
                             expected=snakemake.params.extraction, story=snakemake.wildcards.story)
grid = snakemake.params.grid
on_trs = downsample(features, times, tr_times(**grid), grid["tr"], **snakemake.params.method)
save_npy(snakemake.output[0], on_trs.astype(np.float32))
