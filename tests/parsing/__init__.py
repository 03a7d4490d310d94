"""Tests of assay.evidence.parsing: reading untrusted artefact bytes."""
