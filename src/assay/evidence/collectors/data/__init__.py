"""Collector data: CI tool and pattern tables, and the schemas of Assay's own JSON formats."""
