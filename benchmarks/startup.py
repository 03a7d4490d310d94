"""Start-up cost of the CLI, as ratios to bare Python and to importing typer (same run).

.venv/bin/python benchmarks/startup.py [--quick]
"""

from __future__ import annotations

import sys

from _timing import BIN, quick_flag, report, wall


def main() -> None:
    runs = 5 if quick_flag(sys.argv) else 20
    python = sys.executable
    assay = str(BIN / "assay")
    bare = wall([python, "-c", "pass"], runs=runs)
    typer_import = wall([python, "-c", "import typer"], runs=runs)
    print(f"median of {runs} runs each")
    report("python -c pass", bare, "python -c pass", bare)
    report('python -c "import typer"', typer_import, "python -c pass", bare)
    for label, command in (
        ("assay --version", [assay, "--version"]),
        ("assay library validate", [assay, "library", "validate"]),
        ("assay coverage --format json", [assay, "coverage", "--format", "json"]),
    ):
        seconds = wall(command, runs=runs)
        report(label, seconds, "python -c pass", bare)
        report(label, seconds, "import typer", typer_import)


if __name__ == "__main__":
    main()
