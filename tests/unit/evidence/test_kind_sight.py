"""Every built-in evidence kind says what Assay sees through it, and the catalogue prints it."""

from __future__ import annotations

from assay.controls.catalogue import render_markdown
from assay.evidence.kinds import kind_names
from assay.evidence.kinds.sight import sight, sights
from assay.governance import load_governance


def test_every_kind_says_what_it_sees_and_what_it_cannot() -> None:
    missing = [kind for kind in kind_names() if sight(kind) is None]
    assert missing == []
    assert set(sights()) == set(kind_names())  # and nothing described that is not a kind
    for kind, seen in sights().items():
        assert all((seen.source, seen.sees, seen.cannot_see)), kind


def test_the_catalogue_prints_it_under_each_test() -> None:
    governance = load_governance(None)
    page = render_markdown(governance.library, governance.crosswalks)
    history = sight("git.history")
    assert history is not None
    section = page.split("### CHG-01 ")[1].split("\n### ")[0]
    assert f"It cannot see {history.cannot_see}." in section
    tests = sum(len(control.tests) for control in governance.library.sorted())
    assert page.count("What Assay sees: ") == tests
