"""``assay verify PACK --rerender``: rebuild the pack from the store and compare bytes.

Packs are reproducible (:mod:`assay.reports.pdf`): the same assessment, evidence,
artefacts, control library and tool version give the same bytes. The manifest records
what else the pack was made with (its file name, the attachment size limit, whether it
was to be signed, the ledger head), so the pack can be made again from the store and
compared byte for byte. A signed pack is compared without its signature: its first
revision, which is the pack exactly as rendered, must equal the rebuilt pack.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assay import __version__
from assay.errors import ReportError
from assay.reports.manifest import MANIFEST_NAME

if TYPE_CHECKING:
    from assay.governance import Governance
    from assay.reports.sources import ReportStore
    from assay.reports.verify_pack import PackCheck
    from assay.workspace import Workspace


def check_rerender(
    own: bytes,
    check: PackCheck,
    workspace: Workspace,
    governance: Governance,
    store: ReportStore,
) -> None:
    """Rebuild the pack ``check`` verified and compare it with ``own``, the pack's own
    revision; each difference is a problem, :class:`ReportError` when it cannot be rebuilt."""
    manifest = check.manifest
    if manifest is None:
        return
    rebuilt = rebuild(manifest, workspace, governance, store)
    if rebuilt.pdf == own:
        check.notes.append("rerender: the pack is byte for byte the one rebuilt from the store")
        return
    check.add("rerender: the pack differs from the one rebuilt from the store")
    for key in sorted(set(manifest) | set(rebuilt.manifest)):
        if manifest.get(key) != rebuilt.manifest.get(key):
            check.add(f"rerender: {MANIFEST_NAME} '{key}' differs from the rebuilt pack's")
    from assay.reports.page_digests import read_page_digests
    from assay.reports.verify_structure import page_differences

    for line in page_differences(read_page_digests(rebuilt.pdf), read_page_digests(own)):
        check.add(f"rerender: {line.replace('the manifest', 'the rebuilt pack')}")


def rebuild(
    manifest: dict[str, Any], workspace: Workspace, governance: Governance, store: ReportStore
) -> Any:
    """The pack the manifest describes, made again from the store."""
    from assay.assess.model import parse_instant_text
    from assay.reports.gather import DEFAULT_MAX_ATTACHMENT_BYTES, ReportOptions, gather
    from assay.reports.pdf import build_pack
    from assay.reports.sources import ReportRequest, load_scope

    tool = f"assay {__version__}"
    if manifest.get("tool") != tool:
        raise ReportError(
            f"cannot rebuild the pack: it was made by {manifest.get('tool')}, this is {tool}",
            hint="rerender with the version that made it",
        )
    try:
        service = str(manifest["service"])
        as_of = parse_instant_text(str(manifest["as_of"]))
        wanted = str(manifest["assessment"]["id"])
        limit = manifest.get("attachment_limit")
        limit = DEFAULT_MAX_ATTACHMENT_BYTES if limit is None else int(limit)
        head = manifest.get("ledger_head")
        ledger_head = None if head is None else (int(head["seq"]), str(head["hash"]))
        file_name = str(manifest["file_name"])
        signed = manifest["signed"] is True
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"cannot rebuild the pack: its manifest lacks {exc}") from None
    request = ReportRequest(service=service, as_of=as_of, max_attachment_bytes=limit)
    scope = load_scope(workspace, governance, store, request)
    found = scope.assessed
    if not found or found[0].assessment_id != wanted:
        raise ReportError(
            f"cannot rebuild the pack: the store's assessment of {service} as of "
            f"{manifest['as_of']} is not {wanted}",
            hint="rerender against the store the pack was made from",
        )
    from assay.reports.ledger_proof import with_ledger

    sources = with_ledger(replace(found[0], ledger_head=ledger_head), store)
    report = gather(sources, ReportOptions(max_attachment_bytes=limit))

    def blob(sha256: str) -> bytes | None:
        from assay.errors import StoreError

        try:
            return store.blob(sha256)
        except StoreError:
            return None

    return build_pack(report, blob, pack_name=file_name, signed=signed, attachment_limit=limit)
