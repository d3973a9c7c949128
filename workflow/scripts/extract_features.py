"""Extract every layer's features of one story for one feature set."""

from speech_encoding.extract import extract_story_file
from speech_encoding.run_logging import log_to_file

log_to_file(snakemake.log[0])
extract_story_file(snakemake.input.audio, snakemake.output[0], snakemake.wildcards.story,
                   device=snakemake.params.device, batch_size=snakemake.params.batch_size,
                   threads=snakemake.threads, **snakemake.params.extraction)
