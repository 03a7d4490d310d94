"""A separate writer process for the concurrency and crash tests.

``python -m tests.unit.evidence.store.writer URL NAME COUNT BATCH`` records COUNT drafts named
``NAME-0`` ... in batches of BATCH (COUNT 0: forever), printing the running total after
each committed batch.
"""

from __future__ import annotations

import sys

from assay.evidence.model import ArtefactDraft
from assay.evidence.store import open_store
from tests.unit.evidence.store.helpers import draft

ARTEFACT_BYTES = 16 * 1024


def main(argv: list[str]) -> int:
    url, name, count, batch = argv[0], argv[1], int(argv[2]), int(argv[3])
    with open_store(url) as store:
        done = 0
        while count == 0 or done < count:
            size = batch if count == 0 else min(batch, count - done)
            drafts = []
            for number in range(done, done + size):
                run = f"{name}-{number}"
                payload = (run.encode() * ARTEFACT_BYTES)[:ARTEFACT_BYTES]
                drafts.append(draft(run, artefacts=(ArtefactDraft(f"{run}.bin", payload),)))
            store.record(drafts, context={"writer": name})
            done += size
            print(done, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
