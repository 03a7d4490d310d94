"""Docs are tested: generated pages are current, every command and format is documented."""

from __future__ import annotations

import re

import pytest

from tests.support.paths import ROOT

DOCS = ROOT / "docs"


def test_cli_reference_is_current() -> None:
    from assay.cli.docgen import render

    assert (DOCS / "cli.md").read_text(encoding="utf-8") == render(), (
        "docs/cli.md is stale: run `python -m assay.cli.docgen > docs/cli.md`"
    )


def test_every_command_has_a_section_in_the_reference() -> None:
    from assay.cli.docgen import command_paths

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for path in command_paths():
        assert f"## `{' '.join(('assay', *path))}`" in text


def test_file_format_reference_is_current() -> None:
    from assay.schemas.reference import render_markdown

    assert (DOCS / "file-formats.md").read_text(encoding="utf-8") == render_markdown(), (
        "docs/file-formats.md is stale: run `python -m assay.schemas > docs/file-formats.md`"
    )


def test_readme_quick_start_is_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]


@pytest.mark.parametrize("page", sorted(p.name for p in DOCS.glob("*.md")))
def test_local_links_resolve(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (DOCS / target).exists(), f"docs/{page} links to missing {target}"


def test_readme_links_resolve() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
        assert (ROOT / target).exists(), f"README links to missing {target}"


def test_make_docs_regenerates_every_generated_page() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ndocs:", 1)[1].split("\n\n", 1)[0]
    generated = set()
    for page in DOCS.glob("*.md"):
        head = "\n".join(page.read_text(encoding="utf-8").splitlines()[:5])
        found = re.search(r"python -m ([\w.]+) > (docs/[\w.-]+\.md)", head)
        if "Generated" in head and found:
            assert found.group(2) == f"docs/{page.name}"
            generated.add(page.name)
            assert f"-m {found.group(1)} > docs/{page.name}" in recipe, page.name
    assert {"cli.md", "evidence-kinds.md", "file-formats.md", "control-library.md"} <= generated


def test_makefile_targets_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test", "lint", "bench"):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
