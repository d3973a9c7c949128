"""Write the demo dataset (audio, manifest, responses, truth), its driven voxels inside the demo
brain's ROI when it has one."""

import json

from speech_encoding.demo.dataset import write_demo_dataset
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
driven = (json.loads(open(snakemake.input.brain[0]).read())["driven_columns"]
          if snakemake.input.brain else None)
write_demo_dataset(snakemake.params.demo, snakemake.params.folder, driven)
