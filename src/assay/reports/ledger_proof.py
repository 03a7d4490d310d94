"""The ledger a pack carries: who collected its evidence, when and where, and the anchor.

For every evidence record the assessment used, the pack lists the ledger entry of the
collection it relied on (the record's latest entry at or before the assessment time):
its number, time, collector and context (the CI run, or the user and host). When the
store holds an anchor (``assay store anchor``) at or before the pack's ledger head, the
newest such anchor is embedded too: its RFC 3161 token, the TSA's certificates, and
every ledger entry from the earliest listed one up to the anchored head, so that
``assay verify`` can recompute the chain offline and see that the TSA's token covers
each record's entry. Entries after the anchored head are listed but not covered.

Attachments: ``ledger.json`` (the entries, canonical JSON), and with an anchor
``ledger-anchor.tst`` (the token, DER) and ``ledger-anchor-chain.pem`` (the TSA's
certificates). The manifest's ``ledger`` member describes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from assay.evidence.model import canonical_json

if TYPE_CHECKING:
    from assay.evidence.store.records import Anchor, LedgerEntry
    from assay.reports.gather import ReportSources
    from assay.reports.manifest import PackFile
    from assay.reports.model import EvidenceRow

LEDGER_NAME = "ledger.json"
TOKEN_NAME = "ledger-anchor.tst"  # noqa: S105 - a file name, not a secret
CHAIN_NAME = "ledger-anchor-chain.pem"


@runtime_checkable
class LedgerSource(Protocol):
    """The store reads a pack's ledger needs (:class:`assay.evidence.store.Store`)."""

    def evidence_entries(
        self,
        evidence_ids: Sequence[str],
        as_of: datetime | None = None,
        up_to_seq: int | None = None,
    ) -> list[LedgerEntry]: ...

    def covering_anchor(self, up_to_seq: int) -> Anchor | None: ...

    def ledger_range(self, first: int, last: int) -> list[LedgerEntry]: ...


@dataclass(frozen=True)
class LedgerRow:
    """One line of the pack's ledger appendix."""

    seq: int
    evidence_id: str
    kind: str
    collected_at: datetime
    collector: str
    where: str
    covered: bool


@dataclass(frozen=True)
class LedgerProof:
    """The entries of a pack's evidence and, when there is one, the anchor over them."""

    #: The entry each evidence record's collection was recorded by, in ledger order.
    entries: tuple[LedgerEntry, ...]
    anchor: Anchor | None = None
    #: With an anchor: every entry from the first of ``entries`` to the anchored head.
    chain: tuple[LedgerEntry, ...] = ()

    def covers(self, seq: int) -> bool:
        return self.anchor is not None and seq <= self.anchor.head_seq

    def all_entries(self) -> list[LedgerEntry]:
        """The entries ``ledger.json`` holds: the evidence entries and the chain, once each."""
        merged = {entry.seq: entry for entry in (*self.chain, *self.entries)}
        return [merged[seq] for seq in sorted(merged)]

    def rows(self, evidence: Sequence[EvidenceRow]) -> list[LedgerRow]:
        """The appendix's lines, naming each record's kind from ``evidence``."""
        kinds = {row.id: row.kind for row in evidence}
        return [
            LedgerRow(
                seq=entry.seq,
                evidence_id=entry.ref_id,
                kind=kinds.get(entry.ref_id, ""),
                collected_at=entry.collected_at,
                collector=entry.collector,
                where=where(entry.context),
                covered=self.covers(entry.seq),
            )
            for entry in self.entries
        ]


def where(context: dict[str, Any]) -> str:
    """Who and where, from a ledger entry's context: ``github acme/api run 42 (actor
    alice)`` or ``alice@build-host``."""
    if context.get("ci"):
        parts = [str(context["ci"])]
        if context.get("repository"):
            parts.append(str(context["repository"]))
        if context.get("run_id"):
            parts.append(f"run {context['run_id']}")
        if context.get("job"):
            parts.append(f"job {context['job']}")
        text = " ".join(parts)
        return f"{text} (actor {context['actor']})" if context.get("actor") else text
    if context.get("user") or context.get("host"):
        return f"{context.get('user') or '?'}@{context.get('host') or '?'}"
    return "not recorded"


def load_proof(
    store: LedgerSource,
    evidence_ids: Sequence[str],
    as_of: datetime | None,
    ledger_head: tuple[int, str] | None,
) -> LedgerProof:
    """The ledger of a pack whose head is ``ledger_head``: picked by stored values only, so
    the same store and head give the same proof (packs are rebuilt and compared)."""
    head_seq = ledger_head[0] if ledger_head else 0
    entries = tuple(store.evidence_entries(evidence_ids, as_of, head_seq))
    anchor = store.covering_anchor(head_seq) if entries else None
    if anchor is None or entries[0].seq > anchor.head_seq:
        return LedgerProof(entries)
    chain = tuple(store.ledger_range(entries[0].seq, anchor.head_seq))
    return LedgerProof(entries, anchor, chain)


def with_ledger(sources: ReportSources, store: object) -> ReportSources:
    """``sources`` with the ledger proof of its assessment, when ``store`` can give one."""
    if not isinstance(store, LedgerSource):
        return sources
    proof = load_proof(
        store, sources.assessment.evidence_ids, sources.assessment.as_of, sources.ledger_head
    )
    return replace(sources, ledger=proof)


# ---------------------------------------------------------------------- pack members


def ledger_files(proof: LedgerProof | None) -> list[PackFile]:
    from assay.reports.manifest import PackFile

    if proof is None:
        return []
    entries = [entry.to_dict() for entry in proof.all_entries()]
    files = [
        PackFile(
            LEDGER_NAME,
            canonical_json(entries).encode("utf-8"),
            "ledger",
            "The ledger entries of the evidence used and, with an anchor, the chain to its head",
        )
    ]
    if proof.anchor is not None:
        files.append(
            PackFile(
                TOKEN_NAME,
                proof.anchor.token,
                "anchor",
                f"RFC 3161 timestamp token over ledger head {proof.anchor.head_seq}",
            )
        )
        files.append(
            PackFile(
                CHAIN_NAME,
                proof.anchor.certificates.encode("ascii"),
                "anchor",
                f"Certificates of the timestamp authority {proof.anchor.tsa}",
            )
        )
    return files


def ledger_manifest(proof: LedgerProof | None) -> dict[str, Any]:
    """The manifest's ``ledger`` member (nothing for a pack without a ledger)."""
    if proof is None:
        return {}
    anchor = proof.anchor
    member: dict[str, Any] = {
        "attachment": LEDGER_NAME,
        "evidence_entries": [entry.seq for entry in proof.entries],
        "anchor": None,
    }
    if anchor is not None:
        member["anchor"] = {
            "seq": anchor.seq,
            "head_seq": anchor.head_seq,
            "head_hash": anchor.head_hash,
            "gen_time": anchor.summary()["gen_time"],
            "tsa": anchor.tsa,
            "tsa_url": anchor.tsa_url,
            "token": TOKEN_NAME,
            "certificates": CHAIN_NAME,
        }
    return {"ledger": member}
