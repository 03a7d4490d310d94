"""The console entry point leaves the interpreter's last cycle collections nothing to walk."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import atexit, gc, sys
# Registered first, so it runs last: after what main() registered.
atexit.register(lambda: print("FROZEN", gc.get_freeze_count() > 0, flush=True))
from assay.cli.app import main
sys.argv = ["assay", "--version"]
try:
    main()
except SystemExit as exit:
    print("EXIT", exit.code, flush=True)
"""


def test_main_freezes_objects_out_of_the_final_collections() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    lines = out.stdout.splitlines()
    assert lines[0].startswith("assay ")
    assert lines[1:] == ["EXIT 0", "FROZEN True"]
