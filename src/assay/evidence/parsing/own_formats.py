"""Assay's own JSON artefact formats: recognised by a ``format`` marker, checked by schema.

The model evaluation, model card, SLO report and review export formats are documented
JSON Schemas shipped in ``assay/evidence/parsing/schemas/`` (and listed on the file
formats page). A file is recognised by its top-level ``"format": "assay.<name>/v1"``
value, validated against its schema, and every problem is reported with its line and
column (the JSON is re-read by the located YAML loader, JSON being YAML, only when it is
invalid).
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from assay.errors import InvalidInput, Problem
from assay.evidence.parsing.errors import ArtefactError
from assay.evidence.parsing.recognition import Recognition

_MARKER = re.compile(r'"format"\s*:\s*"(assay\.[a-z-]+/v\d+)"')


def format_marker(found: Recognition) -> str | None:
    """The ``format`` value of one of Assay's own JSON formats, or None."""
    if found.parsed:
        document = found.document
        value = document.get("format") if isinstance(document, dict) else None
        return value if isinstance(value, str) and value.startswith("assay.") else None
    if found.form != "json":
        return None
    match = _MARKER.search(found.head)
    return match.group(1) if match else None


#: Invalid files up to this size are read again as YAML to give each problem its line.
MAX_LOCATED_BYTES = 1024 * 1024


def validate(data: bytes, document: Any, schema: str, name: str) -> None:
    """Raise :class:`ArtefactError` listing every schema problem, located where possible."""
    from assay.schemas import check_document, validator_for
    from assay.yamlfile import YamlDocument, parse_yaml

    validator = validator_for(schema)
    if validator.is_valid(document):
        return
    located = YamlDocument(name, document, {(): (1, 1)})
    if len(data) <= MAX_LOCATED_BYTES:  # lines cost a YAML reading; past this, paths only
        with contextlib.suppress(InvalidInput):
            located = parse_yaml(data, name, max_bytes=len(data) + 1, max_nodes=5_000_000)
    if located.data != document:  # pragma: no cover - YAML read it differently
        located = YamlDocument(name, document, {(): (1, 1)})
    problems: list[Problem] = check_document(located, validator)
    raise ArtefactError(problems)
