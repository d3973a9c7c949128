"""The embedded demo: a synthetic dataset and a random-weight model, generated from a seed."""
