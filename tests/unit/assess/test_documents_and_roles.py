"""What a supporting document shows, and the roles the built-in library names."""

from __future__ import annotations

import json
from pathlib import Path

from assay.assess.documents import document_content, missing_items
from assay.assess.duties import concentration
from assay.controls.loader import load_library
from assay.people import LIBRARY_ROLES, Person

DOCS = Path(__file__).resolve().parents[3] / "docs"


def test_markdown_headings_front_matter_and_date() -> None:
    text = (
        "---\ndate: 2026-03-02\nupdated: 2026-03-05\nreviewed_by: Lee\nempty: ''\n---\n"
        "# Review\n\n```\n# not a heading\n```\n  ## Findings and actions ##\n#nospace\n"
    )
    content = document_content("review.md", text.encode())
    assert content == {
        "headings": ["Review", "Findings and actions"],
        "fields": ["date", "reviewed_by", "updated"],
        "dated": "2026-03-05",
    }
    wanted = [("heading", "findings AND actions"), ("heading", "Scope"), ("field", "empty")]
    assert missing_items(wanted, content) == ["heading 'Scope'", "field 'empty'"]


def test_json_and_yaml_documents_show_their_keys_and_binary_shows_nothing() -> None:
    data = json.dumps({"owner": "Lee", "sites": [1], "none": None}).encode()
    assert document_content("register.json", data)["fields"] == ["owner", "sites"]
    assert document_content("register.yaml", b"date: 2026-01-01\nowner: x\n")["dated"] == (
        "2026-01-01"
    )
    pdf = document_content("review.pdf", b"%PDF-1.7\n\xff\xfe")
    assert pdf == {"headings": [], "fields": [], "dated": None}
    assert missing_items([("heading", "Findings")], pdf) == ["heading 'Findings'"]


def test_every_role_the_library_names_is_documented() -> None:
    named = {
        role
        for control in load_library([]).sorted()
        for t in control.tests
        for role in t.attested_by
    }
    manual = {c.id for c in load_library([]).sorted() for t in c.tests if t.manual}
    with_roles = {c.id for c in load_library([]).sorted() for t in c.tests if t.attested_by}
    assert manual == with_roles  # every built-in manual test names who signs it
    assert named == set(LIBRARY_ROLES)
    page = (DOCS / "workspace.md").read_text(encoding="utf-8")
    for role in LIBRARY_ROLES:
        assert f"| `{role}` |" in page


def test_concentration_needs_more_than_half_of_three_or_more() -> None:
    assert concentration("api", ["a", "a"]) is None
    assert concentration("api", ["a", "b", "a", "b"]) is None
    found = concentration("api", ["a", "b", "a"])
    assert found is not None
    assert (found.signer, found.count, found.total) == ("a", 2, 3)


def test_a_person_is_named_by_email_name_or_either_form() -> None:
    lee = Person("Lee Ward", "lee.ward@example.org", frozenset({"facilities-manager"}))
    for who in (
        "LEE.WARD@example.org",
        "lee ward",
        "Lee Ward, Facilities manager",
        "Someone <lee.ward@example.org>",
    ):
        assert lee.matches(who), who
    assert not lee.matches("Lee Ward <other@example.org>")
    assert not lee.matches("Lee")
