"""Write the demo's random-weight Whisper model folder."""

from speech_encoding.demo.model import write_demo_model
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
write_demo_model(snakemake.params.spec, snakemake.output[0])
