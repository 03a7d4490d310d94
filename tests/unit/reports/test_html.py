"""The report HTML: every section, escaped untrusted text, redacted secrets."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from markupsafe import escape

from assay.reports.html import render_html
from assay.reports.model import ServiceReport
from tests.unit.reports.sample import AWS_KEY, COMMIT, GITHUB_TOKEN


def test_every_section_is_present_and_listed_in_the_contents(report: ServiceReport) -> None:
    html = render_html(report)
    for anchor, heading in [
        ("summary", "Executive summary"),
        ("gaps", "Gap register"),
        ("frameworks", "Framework views"),
        ("controls", "Controls"),
        ("waivers", "Waivers and attestations"),
        ("artefacts", "Evidence and artefact index"),
        ("method", "Appendix: method and verification"),
    ]:
        assert f'id="{anchor}"' in html
        assert f'<a href="#{anchor}">{heading}</a>' in html
    for control in ("CHG-01", "SUP-01", "OPS-01", "AI-01"):
        assert f'id="control-{control}"' in html


def test_the_cover_names_service_scope_frameworks_time_and_hashes(
    report: ServiceReport,
) -> None:
    html = render_html(report)
    cover = html[html.index('id="cover"') : html.index('id="contents"')]
    for text in (
        "Payments API",
        "payments-team@example.org",
        "https://git.example.org/payments/api (main)",
        "ISO/IEC 27001:2022 (version 2022)",
        "2026-03-01 12:00:00 UTC",
        report.facts.assessment_hash,
        "entry 7: " + "c" * 64,
        "assay 0.1.0",
    ):
        assert text in cover, text


def test_untrusted_markup_is_shown_as_text(report: ServiceReport) -> None:
    html = render_html(report)
    body = html[html.index("<body>") :]
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert re.search(r"<(img|script|link|iframe|object)\b", body) is None
    assert html.count("<style>") == 1  # the package's own stylesheet only


def test_secrets_are_redacted_everywhere(report: ServiceReport) -> None:
    html = render_html(report)
    assert AWS_KEY not in html
    assert GITHUB_TOKEN not in html


def test_the_gap_register_lists_non_passing_results_worst_first(report: ServiceReport) -> None:
    html = render_html(report)
    register = html[html.index('id="gaps"') : html.index('id="frameworks"')]
    assert register.index("CHG-01") < register.index("SUP-01")
    assert (
        'active waiver by Ada Lovelace, expires <span class="nobreak">2026-03-20</span>' in register
    )
    assert "OPS-01" not in register  # passed
    assert "AI-01" not in register  # not applicable


def test_a_control_section_shows_tests_expectation_evidence_and_verdict(
    report: ServiceReport,
) -> None:
    html = render_html(report)
    start = html.index('id="control-CHG-01"')
    section = html[start : html.index("</article>", start)]
    assert "review_ratio is at least 0.95" in section
    assert "&#34;minimum&#34;: 0.95" in section  # the exact schema, escaped
    assert f'commit <code class="nobreak">{COMMIT}</code>' in section
    assert report.controls[0].evidence[0].id in section
    assert "Require a review before merge." in section
    assert "ISO/IEC 27001:2022 A.8.32 (equal)" in section


def test_the_html_report_needs_nothing_from_outside(report: ServiceReport) -> None:
    html = render_html(report)
    assert re.search(r"""(src|href)=["'](?!#)""", html) is None  # only in-page links
    assert "<style>" in html


def test_every_internal_link_has_a_target(report: ServiceReport) -> None:
    # A framework view or gap can name a control that has no section in this pack
    # (not applicable to the service): it is named as text, never as a dead link.
    trimmed = replace(report, controls=tuple(c for c in report.controls if c.id != "CHG-01"))
    html = render_html(trimmed)
    targets = set(re.findall(r'id="([^"]+)"', html))
    links = set(re.findall(r'href="#([^"]+)"', html))
    assert links <= targets, sorted(links - targets)
    assert "control-CHG-01" not in links
    assert "CHG-01" in html


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((), "not_assessed"),
        (("not_assessed",), "not_assessed"),
        (("not_applicable", "not_applicable"), "not_applicable"),
        (("pass", "not_applicable"), "pass"),
        (("pass", "waived", "gap"), "gap"),
        (("gap", "stale", "pass"), "stale"),
        (("stale", "fail", "error"), "error"),
    ],
)
def test_the_worst_result_decides_a_rollup(statuses: tuple[str, ...], expected: str) -> None:
    from assay.reports.gather import requirement_result
    from assay.reports.model import worst_result

    assert worst_result(statuses) == expected
    assert requirement_result(statuses) == (expected if statuses else "uncovered")


def test_the_gap_register_speaks_to_people_and_the_section_keeps_the_detail(
    report: ServiceReport,
) -> None:
    html = render_html(report)
    register = html[html.index('id="gaps"') : html.index('id="frameworks"')]
    assert "'assay " not in register  # no commands to run
    assert " is null; it must be" not in register  # no schema paths
    chg = next(c for c in report.controls if c.id == "CHG-01")
    assert chg.summary
    assert chg.reasons
    start = html.index('id="control-CHG-01"')
    section = html[start : html.index("</article>", start)]
    assert "Technical detail" in section
    for line in chg.reasons:
        assert str(escape(line))[:40] in section


def test_plurals_agree_with_their_counts() -> None:
    from assay.reports.html import count
    from assay.reports.reasons import for_people

    assert count(1, "control") == "1 control"
    assert count(2, "repository", "repositories") == "2 repositories"
    assert for_people("1 change sets were pushed straight to main") == (
        "1 change set was pushed straight to main."
    )
    assert for_people("found 1 vulnerabilities in 1 packages") == (
        "Found 1 vulnerability in 1 package."
    )
    assert for_people("11 of 12 tests passed, with 1 failures") == (
        "11 of 12 tests passed, with 1 failure."
    )
    assert (
        for_people(
            "no attestation recorded for AI-06; write one in attestations/ (what it must show: "
            "'assay library show AI-06') and run 'assay attest FILE'"
        )
        == "No signed attestation of AI-06 has been recorded."
    )
    assert for_people("no sbom evidence for the service; run 'assay collect'") == (
        "No sbom evidence was collected for the service."
    )
