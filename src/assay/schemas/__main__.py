"""``python -m assay.schemas > docs/file-formats.md``: the file-format reference."""

from assay.schemas.reference import render_markdown

print(render_markdown(), end="")  # noqa: T201 - this module's whole job is to print the page
