"""Stack FIR delays of one layer's downsampled features."""

import numpy as np

from speech_encoding.design_matrix.delays import stack_delays
from speech_encoding.run.atomic_io import save_npy
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
delayed = stack_delays(np.load(snakemake.input[0]), snakemake.params.fir_delays,
                       circpad=snakemake.params.circpad)
save_npy(snakemake.output[0], delayed)
