"""Run every benchmark script in quick mode (pass --full for the full sizes).

.venv/bin/python benchmarks/run.py [--full]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    full = "--full" in sys.argv
    failed = 0
    for script in sorted(HERE.glob("*.py")):
        if script.name.startswith("_") or script.name == "run.py":
            continue
        print(f"\n== {script.name}", flush=True)
        args = [sys.executable, str(script)] + ([] if full else ["--quick"])
        failed += subprocess.run(args, cwd=HERE.parent, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
