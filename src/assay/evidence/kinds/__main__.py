"""Print the evidence kinds reference.

Regenerate the docs with ``python -m assay.evidence.kinds > docs/evidence-kinds.md``.
"""

from __future__ import annotations

import sys

from assay.evidence.kinds import render_markdown


def main() -> None:
    """Write the generated Markdown to standard output as UTF-8, whatever the locale."""
    sys.stdout.buffer.write(render_markdown().encode("utf-8"))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
