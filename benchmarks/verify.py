"""Offline ``assay verify`` of the demo pack against pypdf reading the same pack, same run.

    .venv/bin/python benchmarks/verify.py [PACK.pdf] [--quick]

Without PACK, the demo pack is made first (``assay demo`` into a temporary folder, not
timed). Both sides are whole processes, timed from start to exit: ``assay verify PACK``
run where no workspace or store can be found, against ``python -c`` with pypdf reading
every page's content stream and every embedded file of the same pack. Verification does
more than that (every object of every revision, hashes, evidence ids), and it starts the
CLI. Target: at most 2x. Exits 1 when the target is missed or the pack does not verify.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import BIN, quick_flag, report, wall

TARGET = 2.0
PYPDF_READS_EVERYTHING = """
import sys
from pypdf import PdfReader
reader = PdfReader(sys.argv[1])
pages = sum(len(page.get_contents().get_data()) for page in reader.pages)
files = sum(len(data) for items in reader.attachments.values() for data in items)
print(len(reader.pages), pages, len(reader.attachments), files)
"""


def demo_pack(folder: Path) -> Path:
    out = folder / "demo"
    subprocess.run([str(BIN / "assay"), "demo", "--out", str(out)], check=True, capture_output=True)
    return out / "pack.pdf"


def main() -> int:
    runs = 3 if quick_flag(sys.argv) else 10
    for name in ("ASSAY_STORE_URL", "ASSAY_WORKSPACE"):
        os.environ.pop(name, None)
    given = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    with tempfile.TemporaryDirectory(prefix="assay-bench-verify-") as temp:
        folder = Path(temp)
        pack = Path(given[0]).resolve() if given else demo_pack(folder)
        verify = [str(BIN / "assay"), "verify", str(pack)]
        baseline = [sys.executable, "-c", PYPDF_READS_EVERYTHING, str(pack)]
        checked = subprocess.run(verify, cwd=folder, capture_output=True, text=True, check=False)
        print(checked.stdout.strip().splitlines()[-1] if checked.stdout else checked.stderr)
        if checked.returncode != 0:
            print("the pack does not verify: no figure")
            return 1
        read = subprocess.run(baseline, capture_output=True, text=True, check=True).stdout.split()
        print(
            f"{pack.stat().st_size:,} bytes, {read[0]} pages ({int(read[1]):,} content bytes), "
            f"{read[2]} attachments ({int(read[3]):,} bytes); median of {runs} runs each"
        )
        pypdf_seconds = wall(baseline, runs=runs, cwd=folder)
        verify_seconds = wall(verify, runs=runs, cwd=folder)
    report("pypdf reads every page and file (baseline)", pypdf_seconds, "baseline", pypdf_seconds)
    report("assay verify PACK (offline)", verify_seconds, "baseline", pypdf_seconds)
    ratio = verify_seconds / pypdf_seconds
    print(f"target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
