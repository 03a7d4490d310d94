"""``provenance`` from in-toto statements with SLSA provenance (v0.2 or v1) predicates.

Recognised by content, in any of the shapes build systems publish them:

- a bare in-toto statement (``_type`` an in-toto Statement URI);
- a DSSE envelope (``payloadType`` ``application/vnd.in-toto+json``, base64 ``payload``,
  ``signatures``), as in the SLSA GitHub generator's ``.intoto.jsonl``;
- a Sigstore bundle (``mediaType`` ``application/vnd.dev.sigstore.bundle...``) holding a
  ``dsseEnvelope``, as ``actions/attest-build-provenance`` writes;
- JSON Lines of any of those: the first statement with a SLSA provenance predicate is read
  (else the first statement).

Signatures are counted, not verified: verification needs the signer's identity policy,
which belongs to the control, not the parser.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.evidence.collectors.interface import (
    ArtefactParser,
    ArtefactTarget,
    CollectContext,
    Part,
    subject_commit,
)
from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.strict_json import load_json
from assay.evidence.parsing.values import COMMIT_ID, SHA256_HEX, parse_time, text_of

IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
MAX_SUBJECTS = 100
_SLSA = re.compile(r"^https://slsa\.dev/provenance/v(\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class Envelope:
    """A statement and the signatures that came with it (0 for a bare statement)."""

    statement: dict[str, Any]
    signatures: int
    enveloped: bool


def _is_statement(value: Any) -> bool:
    return isinstance(value, dict) and "in-toto.io/Statement" in str(value.get("_type", ""))


def _is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and "payloadType" in value and "payload" in value


def _is_bundle(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and str(value.get("mediaType", "")).startswith("application/vnd.dev.sigstore.bundle")
        and isinstance(value.get("dsseEnvelope"), dict)
    )


def recognisable(value: Any) -> bool:
    return _is_statement(value) or _is_envelope(value) or _is_bundle(value)


def _open(value: Any, name: str) -> Envelope:
    if _is_bundle(value):
        value = value["dsseEnvelope"]
    if _is_statement(value):
        return Envelope(value, 0, False)
    if value.get("payloadType") != IN_TOTO_PAYLOAD:
        raise refuse(
            name, f"DSSE payload type {value.get('payloadType')!r} is not an in-toto statement"
        )
    payload = value.get("payload")
    if not isinstance(payload, str):
        raise refuse(name, "DSSE payload must be base64 text")
    padded = payload + "=" * (-len(payload) % 4)
    altchars = b"-_" if "-" in payload or "_" in payload else None
    try:
        decoded = base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        raise refuse(name, "DSSE payload is not base64-encoded JSON") from None
    statement = load_json(decoded, f"{name} (DSSE payload)")
    if not _is_statement(statement):
        raise refuse(name, "DSSE payload is not an in-toto statement")
    signatures = value.get("signatures")
    count = (
        sum(1 for s in signatures if isinstance(s, dict) and s.get("sig"))
        if isinstance(signatures, list)
        else 0
    )
    return Envelope(statement, count, True)


def _slsa_version(predicate_type: str) -> str | None:
    match = _SLSA.match(predicate_type)
    if match is None:
        return None
    version = match.group(1)
    return version if "." in version else f"{version}.0"


def split_uri(uri: str) -> tuple[str, str | None]:
    """``git+https://host/o/r@refs/heads/main`` -> (``https://host/o/r``, ``refs/heads/main``)."""
    text = uri.removeprefix("git+")
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    host, slash, path = rest.partition("/")
    if "@" in path:
        path, ref = path.rsplit("@", 1)
        return f"{scheme}{sep}{host}{slash}{path}", ref or None
    return text, None


def _commit(digest: Any) -> str | None:
    if not isinstance(digest, dict):
        return None
    for key in ("gitCommit", "sha1", "sha256"):
        value = digest.get(key)
        if isinstance(value, str) and COMMIT_ID.match(value.lower()):
            return value.lower()
    return None


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _source_v1(predicate: dict[str, Any]) -> dict[str, Any]:
    workflow = _get(predicate, "buildDefinition", "externalParameters", "workflow")
    repository = text_of(_get(workflow, "repository"))
    ref = text_of(_get(workflow, "ref"))
    commit = None
    dependencies = _get(predicate, "buildDefinition", "resolvedDependencies")
    for dep in dependencies if isinstance(dependencies, list) else ():
        uri = text_of(_get(dep, "uri"))
        found = _commit(_get(dep, "digest"))
        if uri is None or found is None:
            continue
        dep_repo, dep_ref = split_uri(uri)
        if repository is None or dep_repo.rstrip("/") == repository.rstrip("/"):
            repository, ref, commit = repository or dep_repo, ref or dep_ref, found
            break
    return {"repository": repository, "ref": ref, "commit": commit}


def _source_v02(predicate: dict[str, Any]) -> dict[str, Any]:
    config = _get(predicate, "invocation", "configSource")
    uri = text_of(_get(config, "uri"))
    digest = _get(config, "digest")
    if uri is None:
        materials = predicate.get("materials")
        first = materials[0] if isinstance(materials, list) and materials else None
        uri, digest = text_of(_get(first, "uri")), _get(first, "digest")
    if uri is None:
        return {"repository": None, "ref": None, "commit": _commit(digest)}
    repository, ref = split_uri(uri)
    return {"repository": repository, "ref": ref, "commit": _commit(digest)}


def read_statement(envelope: Envelope, name: str, commit: str | None) -> tuple[dict[str, Any], Any]:
    """Facts from one statement, and the time it states the build finished."""
    statement = envelope.statement
    predicate_type = text_of(statement.get("predicateType"))
    if predicate_type is None:
        raise refuse(name, "in-toto statement has no predicateType")
    predicate = statement.get("predicate") if isinstance(statement.get("predicate"), dict) else {}
    assert isinstance(predicate, dict)
    version = _slsa_version(predicate_type)
    if version is not None and version.startswith("0."):
        builder, build_type = _get(predicate, "builder", "id"), predicate.get("buildType")
        source = _source_v02(predicate)
        metadata = predicate.get("metadata")
        stamp = _get(metadata, "buildFinishedOn") or _get(metadata, "buildStartedOn")
    else:
        builder = _get(predicate, "runDetails", "builder", "id")
        build_type = _get(predicate, "buildDefinition", "buildType")
        source = (
            _source_v1(predicate) if version else {"repository": None, "ref": None, "commit": None}
        )
        metadata = _get(predicate, "runDetails", "metadata")
        stamp = _get(metadata, "finishedOn") or _get(metadata, "startedOn")
    subjects_in = statement.get("subject")
    subjects = []
    for item in subjects_in if isinstance(subjects_in, list) else ():
        if isinstance(item, dict):
            digest = str(_get(item, "digest", "sha256") or "").lower()
            subjects.append(
                {
                    "name": str(item.get("name", "")),
                    "sha256": digest if SHA256_HEX.match(digest) else None,
                }
            )
    facts = {
        "statement_type": str(statement["_type"]),
        "predicate_type": predicate_type,
        "slsa_version": version,
        "builder_id": text_of(builder),
        "build_type": text_of(build_type),
        "signed": envelope.enveloped and envelope.signatures > 0,
        "signatures": envelope.signatures,
        "subject_count": len(subjects),
        "subjects": subjects[:MAX_SUBJECTS],
        "source": source,
        "matches_commit": (
            source["commit"] == commit.lower() if source["commit"] and commit else None
        ),
    }
    return facts, parse_time(stamp)


class ProvenanceParser(ArtefactParser):
    """in-toto / SLSA provenance -> ``provenance``."""

    name = "provenance"
    version = "1.0.0"
    kind = "provenance"
    formats = "in-toto statement, DSSE envelope or Sigstore bundle"

    def recognise(self, found: Recognition) -> bool:
        if found.form == "jsonl":
            return bool(found.documents) and recognisable(found.documents[0])
        if found.parsed:
            return recognisable(found.document)
        return found.form == "json" and (
            '"payloadType"' in found.head or ('"_type"' in found.head and "in-toto" in found.head)
        )

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        if found.error is not None:
            raise found.error
        candidates = found.documents if found.form == "jsonl" else [found.document]
        envelopes = [_open(item, target.name) for item in candidates if recognisable(item)]
        if not envelopes:
            raise refuse(target.name, "no in-toto statement found")
        chosen = next(
            (e for e in envelopes if _slsa_version(str(e.statement.get("predicateType", "")))),
            envelopes[0],
        )
        facts, stamp = read_statement(chosen, target.name, subject_commit(target, context))
        return self.part(target, facts, stamp, "application/vnd.in-toto+json")

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        (part,) = parts
        facts: dict[str, Any] = part.value
        return facts
