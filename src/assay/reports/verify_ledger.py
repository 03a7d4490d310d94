"""A pack's ledger and anchor, checked offline (``assay verify PACK``).

``ledger.json`` must hold entries whose hashes recompute, one for each evidence record the
manifest lists. With an anchor, the entries from the first evidence entry to the anchored
head must form an unbroken chain ending in the head's hash, and the RFC 3161 token must be
intact, made for time stamping, and cover exactly that hash; with trusted TSA certificates
(``--tsa-cert`` or the workspace's ``[timestamps] trusted_certificates``) it must chain to
one of them, and then every evidence entry must be covered: a pack without an anchor, or
with evidence after its anchored head, fails. Each problem is one line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assay.durations import isoformat
from assay.evidence.chain import entry_hash
from assay.reports.ledger_proof import LEDGER_NAME

if TYPE_CHECKING:
    from assay.reports.verify_pack import PackCheck

ENTRY_KEYS = (
    "seq",
    "entry_type",
    "ref_id",
    "collected_at",
    "collector",
    "context",
    "prev_hash",
    "entry_hash",
)


def check_ledger(
    manifest: dict[str, Any],
    attachments: dict[str, list[bytes]],
    roots: Sequence[bytes],
    check: PackCheck,
) -> None:
    """Check the manifest's ``ledger`` member and what it names (see the module)."""
    member = manifest.get("ledger")
    required = bool(roots)
    if member is None:
        if required:
            check.add(
                "the pack carries no ledger anchor: no timestamp from outside the store vouches "
                "for its evidence (trusted TSA certificates were given)"
            )
        return
    if not isinstance(member, dict) or not isinstance(member.get("evidence_entries"), list):
        check.add("manifest.json: 'ledger' is malformed")
        return
    entries = _entries(attachments, check)
    if entries is None:
        return
    covered = _evidence_entries(manifest, member, entries, check)
    anchor = member.get("anchor")
    if anchor is None:
        if required:
            check.add("the pack's ledger has no anchor: no timestamp vouches for its evidence")
        else:
            check.notes.append(
                f"ledger: {len(covered)} evidence entries recompute; no anchor vouches for "
                "their times"
            )
        return
    if not isinstance(anchor, dict):
        check.add("manifest.json: the ledger's 'anchor' is malformed")
        return
    _check_anchor(anchor, attachments, entries, covered, roots, check)


def _entries(
    attachments: dict[str, list[bytes]], check: PackCheck
) -> dict[int, dict[str, Any]] | None:
    items = attachments.get(LEDGER_NAME)
    if not items:
        check.add(f"no {LEDGER_NAME} attachment, though the manifest describes a ledger")
        return None
    try:
        data = json.loads(items[0])
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ValueError("not a list of entries")
    except (UnicodeDecodeError, ValueError) as exc:
        check.add(f"{LEDGER_NAME} is not a list of ledger entries: {exc}")
        return None
    found: dict[int, dict[str, Any]] = {}
    for item in data:
        try:
            fields = {key: item[key] for key in ENTRY_KEYS}
            recomputed = entry_hash(**{k: v for k, v in fields.items() if k != "entry_hash"})
        except (KeyError, TypeError, ValueError):
            check.add(f"{LEDGER_NAME}: an entry is malformed")
            continue
        seq = fields["seq"]
        if not isinstance(seq, int) or seq in found:
            check.add(f"{LEDGER_NAME}: entry {seq!r} is not a unique number")
            continue
        if recomputed != fields["entry_hash"]:
            check.add(f"{LEDGER_NAME}: entry {seq}: its hash does not match its content")
            continue
        found[seq] = fields
    return found


def _evidence_entries(
    manifest: dict[str, Any],
    member: dict[str, Any],
    entries: dict[int, dict[str, Any]],
    check: PackCheck,
) -> dict[str, int]:
    """Each listed evidence record's entry number (records without one are problems)."""
    listed: dict[str, int] = {}
    for seq in member["evidence_entries"]:
        entry = entries.get(seq) if isinstance(seq, int) else None
        if entry is None:
            check.add(f"{LEDGER_NAME}: entry {seq!r} named by the manifest is missing")
        elif entry["entry_type"] == "evidence":
            listed.setdefault(str(entry["ref_id"]), seq)
    for item in manifest.get("evidence", []):
        ident = str(item.get("id"))
        if item.get("found", True) and ident not in listed:
            check.add(f"evidence {ident}: no ledger entry records its collection in {LEDGER_NAME}")
    return listed


def _check_anchor(
    anchor: dict[str, Any],
    attachments: dict[str, list[bytes]],
    entries: dict[int, dict[str, Any]],
    covered: dict[str, int],
    roots: Sequence[bytes],
    check: PackCheck,
) -> None:
    from assay.timestamps import check_token

    head_seq, head_hash = anchor.get("head_seq"), anchor.get("head_hash")
    token = attachments.get(str(anchor.get("token")))
    if not isinstance(head_seq, int) or not isinstance(head_hash, str) or not token:
        check.add("the ledger anchor is malformed or its token is missing")
        return
    head = entries.get(head_seq)
    if head is None or head["entry_hash"] != head_hash:
        check.add(f"{LEDGER_NAME}: the anchored head, entry {head_seq}, is missing or differs")
        return
    first = min(covered.values(), default=head_seq)
    for seq in range(first + 1, head_seq + 1):
        entry, before = entries.get(seq), entries.get(seq - 1)
        if entry is None or before is None or entry["prev_hash"] != before["entry_hash"]:
            check.add(
                f"{LEDGER_NAME}: the chain from entry {first} to the anchored head {head_seq} "
                f"is broken at entry {seq}"
            )
            return
    try:
        digest = bytes.fromhex(head_hash)
    except ValueError:
        check.add("the ledger anchor's head hash is not hexadecimal")
        return
    result = check_token(token[0], digest, roots, trust=bool(roots))
    for problem in result.problems:
        check.add(f"ledger anchor: {problem}")
    if result.info is None or not result.ok:
        return
    stated = anchor.get("gen_time")
    if not isinstance(stated, str) or _instant(stated) != result.info.gen_time:
        check.add(f"ledger anchor: the manifest says {stated}, the token says otherwise")
    late = sorted((seq, ident) for ident, seq in covered.items() if seq > head_seq)
    for seq, ident in late:
        line = f"evidence {ident}: its ledger entry {seq} is after the anchored head {head_seq}"
        if roots:
            check.add(line)
        else:
            check.notes.append(f"{line}: not covered")
    trust = (
        "a trusted TSA" if result.trusted else "a TSA not checked against a trust root (--tsa-cert)"
    )
    check.notes.append(
        f"ledger anchor: head {head_seq} timestamped at {isoformat(result.info.gen_time)} by "
        f"{result.info.tsa}, {trust}; it covers {len(covered) - len(late)} of "
        f"{len(covered)} evidence entries"
    )


def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
