"""Write the demo dataset (audio, manifest, responses, truth)."""

from speech_encoding.demo.dataset import write_demo_dataset
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
write_demo_dataset(snakemake.params.demo, snakemake.params.folder)
