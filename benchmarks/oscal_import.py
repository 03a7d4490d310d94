"""`assay frameworks import` on the whole NIST SP 800-53 rev5 MODERATE catalog (3.9 MB).

Ratios against, in the same run: bare Python, and a plain `json.load` of the same file.

    .venv/bin/python benchmarks/oscal_import.py [--quick]
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from pathlib import Path

from _timing import BIN, quick_flag, report, wall

DATA = Path(__file__).resolve().parent / "data" / "sp800-53-rev5-moderate-catalog.json.gz"


def main() -> None:
    runs = 3 if quick_flag(sys.argv) else 10
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        catalog = root / "catalog.json"
        catalog.write_bytes(gzip.decompress(DATA.read_bytes()))
        (root / "assay.toml").write_text("", encoding="utf-8")
        python = sys.executable
        bare = wall([python, "-c", "pass"], runs=runs)
        parse = wall(
            [python, "-c", f"import json; json.load(open({str(catalog)!r}, 'rb'))"], runs=runs
        )
        command = [
            str(BIN / "assay"),
            "frameworks",
            "import",
            str(catalog),
            "--id",
            "sp800-53-moderate",
            "--force",
            "-w",
            str(root),
        ]
        seconds = wall(command, runs=runs)
        show = wall(
            [str(BIN / "assay"), "frameworks", "show", "sp800-53-moderate", "-w", str(root)],
            runs=runs,
        )
        size = catalog.stat().st_size
        print(f"catalog: {size:,} bytes; median of {runs} runs each")
        report("python -c pass", bare, "python -c pass", bare)
        report("json.load of the catalog", parse, "python -c pass", bare)
        report("assay frameworks import", seconds, "json.load", parse)
        report("assay frameworks show (loads the import)", show, "json.load", parse)


if __name__ == "__main__":
    main()
