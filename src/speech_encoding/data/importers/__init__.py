"""Importers that turn published data (tutorial assembly pickles, OpenNeuro ds003020) into dataset folders."""
