"""Write the demo dataset (audio, manifest, responses, truth)."""

from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0], snakemake.rule, snakemake.wildcards.items())

from speech_encoding.demo.dataset import write_demo_dataset

write_demo_dataset(snakemake.params.demo, snakemake.params.folder)
