"""The evidence pack against WeasyPrint alone rendering the same final HTML, same run.

    .venv/bin/python benchmarks/pack.py [--quick]

One service (tier 1, tagged pii, ai, public-sector and internet-facing, so every control
of the built-in library applies) is assessed against synthetic evidence of every kind
the library reads, with an artefact per record. The timed work is what
``assay report pack`` does after loading its inputs: gather the view model, render the
HTML, render the PDF/A-3b with the manifest and artefacts attached, and write the file.
The baseline is WeasyPrint rendering that same final HTML to the same tagged PDF/A-3u
(tagging included) with nothing else. Both run in this process after one warm-up each,
interleaved so that load from other processes hits both alike; the medians are compared
and the spread (fastest..slowest) printed. Target: at most 1.3x; exit 1 on a miss.
--quick reports on 8 controls and one framework (a short pack).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _evidence import drafts, library_kinds
from _timing import quick_flag
from assay.assess.engine import AssessOptions, Assessor
from assay.evidence.model import ArtefactDraft, Evidence
from assay.evidence.reader import MemoryEvidence
from assay.governance import Governance, load_governance
from assay.reports.gather import ReportSources, gather
from assay.reports.output import write_atomic
from assay.reports.pdf import build_pack, render_plain_pdf
from assay.workspace import PipelineRef, RepoRef, Service

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def service() -> Service:
    return Service(
        id="bench-service",
        name="Benchmark service",
        owner="team@example.org",
        tier=1,
        tags=frozenset({"pii", "ai", "public-sector", "internet-facing"}),
        repos=(RepoRef("api", url="https://example.org/api.git", branch="main"),),
        pipelines=(PipelineRef("ci", "github", repo="api"),),
    )


def evidence(svc: Service, kinds: list[str]) -> tuple[MemoryEvidence, dict[str, bytes]]:
    reader = MemoryEvidence()
    blobs: dict[str, bytes] = {}
    rng = random.Random(11)
    for draft in drafts(svc, kinds, NOW - timedelta(days=2), rng):
        data = (f"{draft.kind} report for {draft.subject}\n" * 200).encode()
        draft = replace(draft, artefacts=(ArtefactDraft(f"{draft.kind}.txt", data, "text/plain"),))
        blobs[draft.artefacts[0].artefact().sha256] = data
        record = Evidence(
            id=draft.id,
            kind=draft.kind,
            service=draft.service,
            subject=draft.subject,
            observed_at=draft.observed_at,
            collector=draft.collector,
            facts=draft.facts,
            artefacts=tuple(a.artefact() for a in draft.artefacts),
        )
        reader.add(record, NOW - timedelta(days=1))
    return reader, blobs


def main() -> int:
    quick = quick_flag(sys.argv)
    runs = 3 if quick else 5
    governance = load_governance(None)
    svc = service()
    reader, blobs = evidence(svc, library_kinds(governance.library))
    assessor = Assessor(governance.library, reader)
    assessment = assessor.assess(svc, AssessOptions(as_of=NOW, created_at=NOW))
    if quick:
        assessment = replace(assessment, results=assessment.results[:8])
        only = {"uk-service-standard": governance.frameworks["uk-service-standard"]}
        governance = Governance(governance.library, only, governance.crosswalks)
    sources = ReportSources(governance, svc, assessment, reader, (120, "a" * 64), "b" * 64)
    out = Path(tempfile.mkdtemp(prefix="assay-bench-")) / "pack.pdf"

    def pack() -> tuple[float, str, int]:
        start = time.perf_counter()
        made = build_pack(gather(sources), blobs.get, pack_name=out.name)
        write_atomic(out, made.pdf)
        return time.perf_counter() - start, made.html, len(made.manifest["attachments"]) + 1

    def weasyprint_alone(html: str) -> float:
        start = time.perf_counter()
        render_plain_pdf(html)
        return time.perf_counter() - start

    _, html, attachments = pack()  # warm-up: imports, fonts, templates
    weasyprint_alone(html)
    totals: list[float] = []
    baselines: list[float] = []
    for _ in range(runs):  # interleaved, so load from other processes hits both alike
        baselines.append(weasyprint_alone(html))
        totals.append(pack()[0])
    total = statistics.median(totals)
    baseline = statistics.median(baselines)
    from pypdf import PdfReader

    pages = len(PdfReader(out).pages)
    print(
        f"pack of 1 service: {len(assessment.results)} controls, "
        f"{len(assessment.evidence_ids)} evidence records, {attachments} attachments, "
        f"{pages} pages, {out.stat().st_size:,} bytes; median of {runs} run(s)"
    )
    print(
        f"{'WeasyPrint alone, same HTML, tagged (baseline)':<48} {baseline * 1000:8.1f} ms"
        f"   spread {min(baselines) * 1000:.0f}..{max(baselines) * 1000:.0f} ms"
    )
    print(
        f"{'assay report pack (gather..write)':<48} {total * 1000:8.1f} ms   "
        f"spread {min(totals) * 1000:.0f}..{max(totals) * 1000:.0f} ms   "
        f"{total / baseline:5.2f}x baseline (target <= 1.3x)"
    )
    return 0 if total / baseline <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
