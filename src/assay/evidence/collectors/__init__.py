"""Collectors: plugins that turn repositories, CI definitions, CI runs and artefacts into
evidence."""
