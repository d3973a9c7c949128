"""Resample one story's audio to the target rate, as mono."""

import logging

from speech_encoding.data.audio import resample_file
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
done = resample_file(snakemake.input.audio, snakemake.output[0], snakemake.params.target_rate,
                     snakemake.wildcards.story)
logging.info("resampled %s", done)
