"""Voxelwise encoding models of fMRI responses from speech-model features."""

__version__ = "0.1.0"
