"""Extract every layer's features of one story for one feature set."""

from speech_encoding.features.extract import extract_story_file
from speech_encoding.run.job_logging import log_to_file
from speech_encoding.run.rerun_policy import extraction_runtime

log_to_file(snakemake.log[0])
runtime = extraction_runtime(snakemake.config, snakemake.wildcards.feature_set)
extract_story_file(snakemake.input.audio, snakemake.output[0], snakemake.wildcards.story,
                   threads=snakemake.threads, **runtime, **snakemake.params.extraction)
