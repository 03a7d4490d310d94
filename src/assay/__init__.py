"""Assay: governance and controls compliance from git and CI evidence."""

__version__ = "0.1.0"

__all__ = ["__version__"]
