"""The registry of ridge modes: how a fit divides the stories into rows it trains on and rows
it scores. Light at import (planning asks whether a mode uses the manifest's split)."""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import Registry


@dataclass(frozen=True)
class RidgeMode:
    """`uses_test_split`: the manifest's test stories are scored (else outer folds over every
    story); `fitter`: the function of `modelling.fit` that fits a subject's stories this way."""

    uses_test_split: bool
    fitter: str

    def fit(self, *args, **kwargs):
        """Call the mode's fitter (imported here: it loads torch)."""
        from . import fit

        return getattr(fit, self.fitter)(*args, **kwargs)


MODES: Registry[RidgeMode] = Registry("mode", "ridge.mode", [
    ("train_test", RidgeMode(uses_test_split=True, fitter="fit_train_test_stories")),
    ("nested_cv", RidgeMode(uses_test_split=False, fitter="fit_nested_cv_stories")),
])
