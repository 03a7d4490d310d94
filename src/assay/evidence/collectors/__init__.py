"""Collectors: the plugins that turn repositories, CI definitions, CI runs and artefacts into
evidence, and their contract (:mod:`.interface`).

Each module here is a registered plugin of the ``assay.collectors`` entry-point group.
What they share lives in packages named for what it does: :mod:`assay.evidence.parsing`
(reading untrusted artefact bytes), :mod:`assay.evidence.ci` (CI definitions) and
:mod:`assay.evidence.repofiles` (files found in repositories).
"""
