"""The run's summary table and figures, and brain maps of every fit.

Names are imported on first use (see `speech_encoding._lazy`): importing this package loads none
of its modules.
"""

from .._lazy import lazy_exports

__all__ = [
    "summary_table",
    "mark_best_layers",
    "recovery_metrics",
    "plot_median_r_by_layer",
    "plot_r_histograms",
    "plot_p_histograms",
    "plot_voxel_histograms",
    "plot_best_layers",
    "write_subject_maps",
    "space_from_config",
    "column_volume",
]

__getattr__, __dir__ = lazy_exports(__name__, {
    "summary_table": "summary",
    "mark_best_layers": "summary",
    "recovery_metrics": "summary",
    "plot_median_r_by_layer": "plots",
    "plot_r_histograms": "plots",
    "plot_p_histograms": "plots",
    "plot_voxel_histograms": "plots",
    "plot_best_layers": "plots",
    "write_subject_maps": "brain_maps",
    "space_from_config": "brain_space",
    "column_volume": "brain_space",
})
