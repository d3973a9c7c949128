"""One subject's noise ceilings for one story, over the response rows its fits score."""

import logging

import numpy as np

from speech_encoding.data.repeats import load_repeats
from speech_encoding.modelling.noise_ceiling import story_ceiling
from speech_encoding.run.atomic_io import save_parquet
from speech_encoding.run.job_logging import log_to_file

log_to_file(snakemake.log[0])
subject, story = snakemake.wildcards.subject, snakemake.wildcards.story
repeats = load_repeats(snakemake.input.repeats, subject, story)
start, stop = snakemake.params.rows
table = story_ceiling(repeats, slice(start, stop))
usable = np.isfinite(table["noise_ceiling"].to_numpy())
logging.info("subject %s, story %s: %d repeats, rows %d-%d of %d: %d of %d voxels have a ceiling "
             "(median %.3f); %d have signal power <= 0 and none", subject, story, repeats.shape[0],
             start, stop, repeats.shape[1], int(usable.sum()), len(table),
             float(np.median(table["noise_ceiling"][usable])) if usable.any() else float("nan"),
             int((~usable).sum()))
save_parquet(snakemake.output[0], table)
