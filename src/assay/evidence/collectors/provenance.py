"""``provenance`` from in-toto statements with SLSA provenance (v0.2 or v1) predicates.

Recognised by content, in any of the shapes build systems publish them:

- a bare in-toto statement (``_type`` an in-toto Statement URI);
- a DSSE envelope (``payloadType`` ``application/vnd.in-toto+json``, base64 ``payload``,
  ``signatures``), as in the SLSA GitHub generator's ``.intoto.jsonl``;
- a Sigstore bundle (``mediaType`` ``application/vnd.dev.sigstore.bundle...``) holding a
  ``dsseEnvelope``, as ``actions/attest-build-provenance`` writes;
- JSON Lines of any of those: the first statement with a SLSA provenance predicate is read.

What is recognised but is not build provenance is skipped with a note naming it, never
recorded (a second record of the run would hide the provenance, which is read latest per
run): an in-toto link (the v0.9 ``_type: link`` metadata of one supply-chain step, as a
``.link`` file or in a DSSE envelope, or a v1 statement with a link predicate) is described
in the note by its step name, command and counts of materials and products; an in-toto
layout; a statement whose predicate is not SLSA provenance (an SBOM, a vulnerability scan,
a test result attestation).

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
from assay.evidence.collectors.outcome import Skip
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


def _legacy_type(value: Any) -> str | None:
    """``link`` or ``layout`` for in-toto v0.9 metadata (bare, or signed in a metablock)."""
    if isinstance(value, dict) and isinstance(value.get("signed"), dict):
        value = value["signed"]
    kind = value.get("_type") if isinstance(value, dict) else None
    return kind if kind in ("link", "layout") else None


def _count(value: Any) -> int:
    return len(value) if isinstance(value, dict | list) else 0


def _link_note(link: dict[str, Any], products: int | None = None) -> str:
    """What an in-toto link says, in a line: the step, its command, what went in and out."""
    step = text_of(link.get("name")) or "unnamed"
    command = link.get("command")
    words = [str(w) for w in command[:20]] if isinstance(command, list) else []
    shown = " ".join(words)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    made = _count(link.get("products")) if products is None else products
    return (
        f"an in-toto link of step {step[:80]!r} (command {shown or 'not stated'!r}, "
        f"{_count(link.get('materials'))} materials, {made} products): the record of one "
        "supply-chain step, not build provenance"
    )


def _not_provenance(value: Any) -> Skip | None:
    """The skip for in-toto v0.9 metadata (a link or a layout); None for anything else."""
    kind = _legacy_type(value)
    if kind == "layout":
        return Skip("an in-toto layout: the supply-chain policy, not build provenance")
    if kind == "link":
        signed = value["signed"] if isinstance(value.get("signed"), dict) else value
        return Skip(_link_note(signed))
    return None


def _is_envelope(value: Any) -> bool:
    return isinstance(value, dict) and "payloadType" in value and "payload" in value


def _is_bundle(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and str(value.get("mediaType", "")).startswith("application/vnd.dev.sigstore.bundle")
        and isinstance(value.get("dsseEnvelope"), dict)
    )


def recognisable(value: Any) -> bool:
    return (
        _is_statement(value)
        or _is_envelope(value)
        or _is_bundle(value)
        or (_legacy_type(value) is not None and "signatures" in value)
    )


def _open(value: Any, name: str) -> Envelope | Skip:
    if _is_bundle(value):
        value = value["dsseEnvelope"]
    if _is_statement(value):
        return Envelope(value, 0, False)
    legacy = _not_provenance(value)
    if legacy is not None:
        return legacy
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
    legacy = _not_provenance(statement)
    if legacy is not None:
        return legacy
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


def _other_statement(statement: dict[str, Any]) -> Skip:
    """The skip for a statement whose predicate is not SLSA provenance."""
    predicate_type = text_of(statement.get("predicateType")) or "none"
    predicate = statement.get("predicate")
    if "in-toto.io/attestation/link/" in predicate_type and isinstance(predicate, dict):
        return Skip(_link_note(predicate, products=_count(statement.get("subject"))))
    return Skip(
        f"an in-toto statement with predicate type {predicate_type[:200]!r}, not SLSA provenance"
    )


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
            '"payloadType"' in found.head
            or ('"_type"' in found.head and "in-toto" in found.head)
            or ('"signed"' in found.head and '"_type"' in found.head and '"link"' in found.head)
        )

    def parse(
        self, target: ArtefactTarget, found: Recognition, context: CollectContext
    ) -> Part | Skip:
        if found.error is not None:
            raise found.error
        candidates = found.documents if found.form == "jsonl" else [found.document]
        opened = [_open(item, target.name) for item in candidates if recognisable(item)]
        envelopes = [e for e in opened if isinstance(e, Envelope)]
        chosen = next(
            (e for e in envelopes if _slsa_version(str(e.statement.get("predicateType", "")))),
            None,
        )
        if chosen is None:
            skips = [e for e in opened if isinstance(e, Skip)]
            if skips:
                return skips[0]
            if not envelopes:
                raise refuse(target.name, "no in-toto statement found")
            return _other_statement(envelopes[0].statement)
        facts, stamp = read_statement(chosen, target.name, subject_commit(target, context))
        return self.part(target, facts, stamp, "application/vnd.in-toto+json")

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        (part,) = parts
        facts: dict[str, Any] = part.value
        return facts
