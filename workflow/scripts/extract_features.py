"""Extract every layer's features of one story for one feature set."""

from speech_encoding.extract import extract_story_file
from speech_encoding.run_logging import log_to_file

log_to_file(snakemake.log[0])
# device and batch_size are not params (they must not trigger reruns): read them from the config.
feature_set = {fs["name"]: fs for fs in snakemake.config["feature_sets"]}[snakemake.wildcards.feature_set]
extract_story_file(snakemake.input.audio, snakemake.output[0], snakemake.wildcards.story,
                   device=feature_set["device"], batch_size=feature_set["batch_size"],
                   threads=snakemake.threads, **snakemake.params.extraction)
