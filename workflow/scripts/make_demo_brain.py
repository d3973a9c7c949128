"""Write the demo's brain: a pycortex filestore with the demo mask, and the driven columns (and the
flatmap caches that the brain_maps entries drawing in it need: read from the config, not a
parameter, since they are not results)."""

from speech_encoding.demo.brain import write_demo_brain
from speech_encoding.run.job_logging import log_to_file
from speech_encoding.run.map_plan import flatmap_heights

log_to_file(snakemake.log[0])
write_demo_brain(snakemake.params.brain, snakemake.params.n_voxels, snakemake.params.n_driven,
                 snakemake.params.seed, snakemake.output.brain.rsplit("/", 1)[0],
                 flatmap_heights(snakemake.config["brain_maps"], snakemake.output.filestore))
