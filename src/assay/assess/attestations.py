"""Attestations: signed statements, with a supporting file, that satisfy manual tests.

An attestation file (``attestations/*.yaml``) names a control, the services it covers
(or ``*``), the statement, the signer, when it was signed, when it expires, and a
supporting document next to it. ``assay attest`` hashes that document and records the
attestation as ``manual.attestation`` evidence, one record per service, with the
document stored as a blob. The first ``assay attest`` writes the hash into the YAML
(``sha256:``), so the reviewed file pins the document; a later run whose document no
longer matches that hash is refused.

An attestation may be signed (``assay attest --sign KEY``, assess/signing.py): its
signature lies beside it as ``NAME.yaml.sig`` and verifies against the keys of
people.yaml. Without one it is self-reported (docs/trust.md): Assay can check that a file
was signed off in review, not who wrote it. Either way Assay cannot check that what it
states is true. So it counts only while the workspace
still holds it, as reviewed: the engine accepts recorded evidence only when a file in
``attestations/`` (resolved; a link out of the folder is refused) states the same
control, signer, dates and document hash, covers the service, is unexpired and is not
revoked (``revoked: {on, by, reason}``). Its validity (``expires`` minus ``signed_at``)
is at most ``[attestations] max_validity`` in assay.toml (default ``P1Y``), and its
supporting file lies inside the workspace and is not one of the workspace's own
configuration files (assay.toml, services/, waivers/, the control folders, other
attestation YAML, ``.assay/``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.durations import date_after
from assay.errors import InvalidInput, Problem, raise_if_problems
from assay.evidence.model import ArtefactDraft, EvidenceDraft
from assay.schemas import check_mapping
from assay.yamlfile import YamlDocument, load_yaml, parse_folder, parse_yaml

if TYPE_CHECKING:
    from assay.workspace import Workspace

KIND = "manual.attestation"
COLLECTOR = "assay-attest"
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_MAX_VALIDITY = "P1Y"


@dataclass(frozen=True)
class Revocation:
    """``revoked:`` in an attestation: from ``on`` it satisfies nothing."""

    on: date
    by: str
    reason: str


@dataclass(frozen=True)
class Rules:
    """Where attestations and their documents may live, and how long one may last.

    ``folder`` is the workspace's ``attestations/``; ``protected`` are the workspace's
    own configuration files and folders, which no attestation may rest on.
    """

    folder: Path | None = None
    protected: tuple[Path, ...] = ()
    max_validity: str = DEFAULT_MAX_VALIDITY

    @classmethod
    def for_workspace(cls, workspace: Workspace) -> Rules:
        root = workspace.root
        protected = (
            workspace.config_path,
            workspace.services_dir,
            workspace.waivers_dir,
            workspace.people_path,
            root / "controls",
            root / ".assay",
            *workspace.control_paths,
        )
        limit = workspace.config.get("attestations", {}).get("max_validity")
        return cls(
            workspace.attestations_dir,
            tuple(p.resolve() for p in protected),
            str(limit or DEFAULT_MAX_VALIDITY),
        )

    def config_file(self, path: Path) -> bool:
        """Whether ``path`` (resolved) is a workspace configuration file."""
        if any(path == p or path.is_relative_to(p) for p in self.protected):
            return True
        folder = self.folder.resolve() if self.folder is not None else None
        return (
            folder is not None
            and path.is_relative_to(folder)
            and path.suffix.lower() in (".yaml", ".yml", ".sig")
        )


@dataclass(frozen=True)
class Attestation:
    """One attestation file, validated; ``document`` is the supporting file's path."""

    control: str
    services: tuple[str, ...]
    statement: str
    signer: str
    signed_at: date
    expires: date
    file: str
    document: Path
    sha256: str | None
    source: str
    path: Path
    revoked: Revocation | None = None

    def covers(self, service: str) -> bool:
        return "*" in self.services or service in self.services

    def revoked_by(self, day: date) -> Revocation | None:
        """The revocation in force on ``day``, if any."""
        if self.revoked is not None and self.revoked.on <= day:
            return self.revoked
        return None


def parse_attestation(
    document: YamlDocument,
    path: Path,
    *,
    controls: Collection[str] | None = None,
    services: Collection[str] | None = None,
    root: Path | None = None,
    rules: Rules | None = None,
) -> tuple[Attestation | None, list[Problem]]:
    """Validate one attestation document (schema, dates, known control and services, file)."""
    data, problems = check_mapping(document, "attestation")
    if data is None:
        return None, problems
    limits = rules or Rules()
    signed_at = date.fromisoformat(data["signed_at"])
    expires = date.fromisoformat(data["expires"])
    if limits.folder is not None and not _inside(path, limits.folder):
        problems.append(
            document.problem(
                (),
                "an attestation counts only from the workspace's attestations/ folder; "
                "move it there and have it reviewed",
            )
        )
    if expires < signed_at:
        problems.append(
            document.problem(("expires",), f"expires {expires} is before signed_at {signed_at}")
        )
    else:
        problems.extend(_validity_problems(document, signed_at, expires, limits.max_validity))
    revoked = data.get("revoked")
    revocation = (
        None
        if revoked is None
        else Revocation(date.fromisoformat(revoked["on"]), revoked["by"], revoked["reason"])
    )
    if controls is not None and data["control"] not in controls:
        problems.append(
            document.problem(("control",), f"attestation names unknown control '{data['control']}'")
        )
    if services is not None:
        for index, name in enumerate(data["services"]):
            if name != "*" and name not in services:
                problems.append(
                    document.problem(
                        ("services", index), f"attestation names unknown service '{name}'"
                    )
                )
    supporting = path.parent / data["file"]
    try:
        supporting = supporting.resolve()
        boundary = (root or path.parent).resolve()
        if not supporting.is_relative_to(boundary):
            problems.append(
                document.problem(("file",), f"file '{data['file']}' is outside the workspace")
            )
        elif limits.config_file(supporting):
            problems.append(
                document.problem(
                    ("file",),
                    f"file '{data['file']}' is a workspace configuration file, not evidence",
                )
            )
        elif not supporting.is_file():
            problems.append(document.problem(("file",), f"file '{data['file']}' does not exist"))
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the system
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(document.problem(("file",), f"file {data['file']!r}: {reason}"))
    attestation = Attestation(
        control=data["control"],
        services=tuple(sorted(set(data["services"]))),
        statement=data["statement"],
        signer=data["signer"],
        signed_at=signed_at,
        expires=expires,
        file=data["file"],
        document=supporting,
        sha256=data.get("sha256"),
        source=document.path,
        path=path,
        revoked=revocation,
    )
    return (None if problems else attestation), problems


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def _validity_problems(
    document: YamlDocument, signed_at: date, expires: date, max_validity: str
) -> list[Problem]:
    try:
        latest = date_after(signed_at, max_validity)
    except ValueError:  # beyond the calendar: no expiry date is too late
        return []
    if expires <= latest:
        return []
    return [
        document.problem(
            ("expires",),
            f"valid for {(expires - signed_at).days} days, from {signed_at} to {expires}: "
            f"an attestation may last {max_validity} at most (until {latest}; "
            "[attestations] max_validity in assay.toml)",
        )
    ]


def load_attestation(
    path: Path,
    *,
    display: str | None = None,
    controls: Collection[str] | None = None,
    services: Collection[str] | None = None,
    root: Path | None = None,
    rules: Rules | None = None,
) -> Attestation:
    document = load_yaml(path, display=display)
    attestation, problems = parse_attestation(
        document, path, controls=controls, services=services, root=root, rules=rules
    )
    raise_if_problems(problems)
    assert attestation is not None  # no problems means a value
    return attestation


def load_attestations(
    folder: Path,
    *,
    display: Callable[[Path], str] | None = None,
    controls: Collection[str] | None = None,
    services: Collection[str] | None = None,
    root: Path | None = None,
    rules: Rules | None = None,
) -> list[Attestation]:
    """Every attestation in ``folder``; raises :class:`InvalidInput` listing every problem."""
    found, problems = parse_folder(
        folder,
        lambda document, path: parse_attestation(
            document, path, controls=controls, services=services, root=root, rules=rules
        ),
        display=display or str,
    )
    raise_if_problems(problems)
    return found


@dataclass(frozen=True)
class HashedDocument:
    """The supporting file as read now."""

    name: str
    data: bytes
    sha256: str
    media_type: str


def read_document(
    attestation: Attestation, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> HashedDocument:
    """Read and hash the supporting file; refuse one that no longer matches its recorded hash."""
    where = attestation.source
    try:
        with attestation.document.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InvalidInput(
            [Problem(where, None, None, f"cannot read {attestation.file}: {exc.strerror}")]
        ) from None
    if len(data) > max_bytes:
        raise InvalidInput(
            [Problem(where, None, None, f"{attestation.file} is over {max_bytes:,} bytes")]
        )
    digest = hashlib.sha256(data).hexdigest()
    if attestation.sha256 is not None and attestation.sha256 != digest:
        raise InvalidInput(
            [
                Problem(
                    where,
                    None,
                    None,
                    f"file {attestation.file} no longer matches its sha256 "
                    f"(attested {attestation.sha256[:12]}, now {digest[:12]}): the document "
                    "changed after it was signed",
                )
            ],
            hint="restore the signed document, or have the new one signed and update sha256",
        )
    import mimetypes

    media_type = mimetypes.guess_type(attestation.file)[0] or "application/octet-stream"
    return HashedDocument(Path(attestation.file).name, data, digest, media_type)


@dataclass(frozen=True)
class Signature:
    """An attestation's verified signature, as recorded: the file's bytes and who signed."""

    data: bytes
    principal: str
    detail: str

    def facts(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "sha256": hashlib.sha256(self.data).hexdigest(),
            "verified": self.detail,
        }


def attestation_facts(
    attestation: Attestation, document: HashedDocument, signature: Signature | None = None
) -> dict[str, Any]:
    """The ``manual.attestation`` facts for an attestation and its hashed document."""
    from assay.assess.documents import document_content

    attested = attestation.sha256 or document.sha256
    return {
        "control": attestation.control,
        "services": list(attestation.services),
        "statement": attestation.statement,
        "signer": attestation.signer,
        "signed_at": attestation.signed_at.isoformat(),
        "expires": attestation.expires.isoformat(),
        "validity_days": (attestation.expires - attestation.signed_at).days,
        "file": {
            "name": attestation.file,
            "sha256": document.sha256,
            "size": len(document.data),
            "attested_sha256": attested,
            "matches_attested": attested == document.sha256,
        },
        "content": document_content(attestation.file, document.data),
        "signature": signature.facts() if signature is not None else None,
    }


def attestation_drafts(
    attestation: Attestation,
    document: HashedDocument,
    *,
    tool_version: str,
    signature: Signature | None = None,
) -> list[EvidenceDraft]:
    """One ``manual.attestation`` evidence draft per covered service (``*`` stays ``*``);
    the supporting file and any signature are its artefacts."""
    facts = attestation_facts(attestation, document, signature)
    signed = datetime(
        attestation.signed_at.year,
        attestation.signed_at.month,
        attestation.signed_at.day,
        tzinfo=UTC,
    )
    artefacts = [ArtefactDraft(document.name, document.data, document.media_type)]
    if signature is not None:
        name = f"{attestation.path.name}.sig"
        artefacts.append(ArtefactDraft(name, signature.data, "application/x-ssh-signature"))
    return [
        EvidenceDraft(
            kind=KIND,
            service=service,
            subject={"control": attestation.control},
            observed_at=signed,
            collector=f"{COLLECTOR}@{tool_version}",
            facts=facts,
            artefacts=tuple(artefacts),
        )
        for service in attestation.services
    ]


def pinned_text(attestation: Attestation, digest: str) -> str | None:
    """The attestation YAML with ``sha256: <digest>`` appended; ``None`` when it has one.

    Appending keeps the author's comments and layout, and the change shows in review. The
    result is parsed before it is used: a file the line cannot be appended to (a flow
    mapping such as ``{control: ...}``) is :class:`InvalidInput`, so the file is never
    left unreadable.
    """
    if attestation.sha256 is not None:
        return None
    text = attestation.path.read_text(encoding="utf-8")
    separator = "" if text.endswith("\n") else "\n"
    pinned = f"{text}{separator}sha256: {digest}\n"
    try:
        data = parse_yaml(pinned, attestation.source).data
    except InvalidInput:
        data = None
    if not isinstance(data, dict) or data.get("sha256") != digest:
        raise InvalidInput(
            [Problem(attestation.source, message="a sha256 line cannot be appended to it")],
            hint=f"write the attestation as a block mapping, or add 'sha256: {digest}' yourself",
        )
    return pinned
