"""Brain maps of every layer's fit of one (analysis x) subject x feature set, and the best layer."""

import pandas as pd

from speech_encoding.report.brain_maps import write_subject_maps
from speech_encoding.report.brain_space import space_from_config
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
space = space_from_config(snakemake.params.space)
tables = [pd.read_parquet(path) for path in snakemake.input.voxels]
write_subject_maps(snakemake.output[0], space, snakemake.wildcards.subject, snakemake.params.layers,
                   tables, snakemake.params.labels)
