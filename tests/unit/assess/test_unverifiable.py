"""The unverifiable status: a test's ``unverifiable_when`` trigger, CHG-01's use of it, and
how it combines with the expectation, freshness, other tests and waivers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from assay.assess.engine import AssessOptions, Assessor
from assay.assess.model import Assessment, Result
from assay.assess.waivers import Waiver
from assay.controls.loader import load_library
from assay.evidence.reader import MemoryEvidence
from tests.support.platform_facts import (
    NO_TOKEN_NEEDS,
    NO_TOKEN_REASON,
    platform,
)
from tests.unit.assess.helpers import (
    NOW,
    library,
    repo_evidence,
    service,
)

OPTIONS = AssessOptions(as_of=NOW, created_at=NOW)

#: A control whose one test is unverifiable when the history is shallow (a fact every
#: git.history record has), and otherwise needs 95% reviewed.
GUARDED_CONTROL = """
id: REV-02
title: Reviewed changes, where Assay can see them
statement: Every change to the main branch is reviewed by a second person.
family: change-management
owner_role: Engineering lead
severity: high
freshness: P30D
remediation: Require an approving review in branch protection.
tests:
  - id: reviewed
    kind: git.history
    expectation:
      required: [review_ratio]
      properties:
        review_ratio: {minimum: 0.95}
    explain: "Only {review_ratio} of change sets on {branch} were reviewed."
    unverifiable_when:
      required: [shallow]
      properties:
        shallow: {const: true}
    unverifiable_explain: >-
      The clone of {branch} is shallow ({commits} commits seen); collect from a full clone.
"""

#: The same control with a second test that needs repo.files evidence.
TWO_TESTS_CONTROL = (
    GUARDED_CONTROL.replace("id: REV-02", "id: REV-03")
    + """
  - id: codeowners
    kind: repo.files
    expectation:
      required: [files]
    explain: "No files listed in {repo}."
"""
)


def assess(tmp_path: Path, store: MemoryEvidence, *controls: str, **kwargs: object) -> Assessment:
    assessor = Assessor(library(tmp_path, *controls), store, **kwargs)  # type: ignore[arg-type]
    return assessor.assess(service(), OPTIONS)


def only(assessment: Assessment) -> Result:
    (result,) = assessment.results
    return result


def test_a_matching_trigger_is_unverifiable_and_the_expectation_is_not_judged(
    tmp_path: Path,
) -> None:
    store = MemoryEvidence()
    # review_ratio 0.5 would fail the expectation: the trigger takes precedence.
    record = repo_evidence("git.history", "payments", "api", review_ratio=0.5, shallow=True)
    store.add(record, NOW)
    result = only(assess(tmp_path, store, GUARDED_CONTROL))
    assert result.status == "unverifiable"
    assert result.reasons == (
        "The clone of main is shallow (212 commits seen); collect from a full clone.",
    )
    (outcome,) = result.tests
    assert (outcome.status, outcome.reasons) == ("unverifiable", ())
    assert result.evidence_ids == (record.id,)
    assert outcome.evidence_id == record.id


@pytest.mark.parametrize(("ratio", "expected"), [(0.5, "fail"), (0.99, "pass")])
def test_without_a_match_the_expectation_decides(
    tmp_path: Path, ratio: float, expected: str
) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", review_ratio=ratio), NOW)
    assert only(assess(tmp_path, store, GUARDED_CONTROL)).status == expected


def test_stale_evidence_stays_stale_even_when_unverifiable(tmp_path: Path) -> None:
    store = MemoryEvidence()
    old = NOW - timedelta(days=45)
    record = repo_evidence("git.history", "payments", "api", observed_at=old, shallow=True)
    store.add(record, old)
    result = only(assess(tmp_path, store, GUARDED_CONTROL))
    assert result.status == "stale"
    assert "45 days before" in result.reasons[0]


def test_unverifiable_outranks_a_gap_in_another_test(tmp_path: Path) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", shallow=True), NOW)
    result = only(assess(tmp_path, store, TWO_TESTS_CONTROL))  # no repo.files evidence
    assert [t.status for t in result.tests] == ["unverifiable", "gap"]
    assert result.status == "unverifiable"
    assert result.reasons[0].startswith("The clone of main is shallow")
    assert result.reasons[1].startswith("no repo.files evidence for repo api")


def test_fail_outranks_unverifiable_in_one_control(tmp_path: Path) -> None:
    control = TWO_TESTS_CONTROL.replace(
        "required: [files]", "required: [files]\n      properties:\n        files: {type: array}"
    )
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", shallow=True), NOW)
    store.add(repo_evidence("repo.files", "payments", "api"), NOW)
    result = only(assess(tmp_path, store, control))
    assert [t.status for t in result.tests] == ["unverifiable", "fail"]
    assert result.status == "fail"
    assert result.reasons[0].startswith("No files listed in")
    assert result.reasons[1].startswith("The clone of main is shallow")


def test_a_waiver_waives_unverifiable_like_a_gap(tmp_path: Path) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", shallow=True), NOW)
    waiver = Waiver(
        service="payments",
        control="REV-02",
        reason="Platform token on order.",
        approver="Ada Lovelace",
        created=date(2026, 3, 1),
        expires=date(2026, 4, 1),
        source="waivers/rev-02.yaml",
    )
    result = only(assess(tmp_path, store, GUARDED_CONTROL, waivers=[waiver]))
    assert (result.status, result.underlying_status) == ("waived", "unverifiable")
    assert result.reasons[0].startswith("waived until 2026-04-01 by Ada Lovelace")
    assert result.reasons[1].startswith("The clone of main is shallow")


def test_several_repositories_name_their_subject(tmp_path: Path) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", shallow=True), NOW)
    store.add(repo_evidence("git.history", "payments", "web", review_ratio=0.99), NOW)
    assessor = Assessor(library(tmp_path, GUARDED_CONTROL), store)
    result = only(assessor.assess(service(repos=("api", "web")), OPTIONS))
    assert result.status == "unverifiable"
    assert result.reasons == (
        "repo api: The clone of main is shallow (212 commits seen); collect from a full clone.",
    )


# --------------------------------------------------------------------------- CHG-01


def chg01(store: MemoryEvidence) -> Result:
    assessor = Assessor(load_library(), store)
    found = assessor.assess(service(), OPTIONS).result("CHG-01")
    assert found is not None
    return found


def review_test(result: Result) -> tuple[str, str]:
    (outcome,) = [t for t in result.tests if t.test == "review-ratio"]
    return outcome.status, outcome.message


@pytest.mark.usefixtures("platform_facts_schema")
def test_chg01_is_unverifiable_when_the_platform_reviews_were_not_read() -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api", **platform(unreviewed=3, total=12))
    store.add(record, NOW)
    result = chg01(store)
    assert result.status == "unverifiable"
    assert review_test(result) == (
        "unverifiable",
        "3 of 148 change sets on main came through pull or merge requests whose review "
        "happens on the code platform, which git cannot show, and the platform's reviews "
        f"were not read: {NO_TOKEN_REASON}. {NO_TOKEN_NEEDS}",
    )
    assert result.evidence_ids == (record.id,)


@pytest.mark.usefixtures("platform_facts_schema")
@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # The reviews were read: the ratio is judged and passes.
        (platform(status="read", reason=None, needs=None, ratio=0.9662), "pass"),
        # Nothing is left unreviewed on the platform: nothing to look at.
        (platform(unreviewed=0, ratio=0.9662), "pass"),
        # What git shows already passes: the platform cannot make it worse.
        (platform(ratio=0.9662), "pass"),
        # Refused and not configured are as unverifiable as no token.
        (platform(status="refused", reason="the token may not read pull requests"), "unverifiable"),
        (
            platform(status="not_configured", reason="no code platform is configured"),
            "unverifiable",
        ),
        # Below 95% even if every platform change set was reviewed: a fail, whatever the
        # platform shows ...
        (platform(ratio=0.5, best=0.6), "fail"),
        # ... and once the reviews are read, the ratio is judged as it is.
        (platform(status="read", reason=None, needs=None, ratio=0.5), "fail"),
    ],
)
def test_chg01_judges_what_it_can_see(changes: dict[str, Any], expected: str) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", **changes), NOW)
    assert review_test(chg01(store))[0] == expected


def test_chg01_on_evidence_without_platform_facts_behaves_as_before() -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api"), NOW)
    assert review_test(chg01(store))[0] == "pass"
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", review_ratio=0.5), NOW)
    assert review_test(chg01(store))[0] == "fail"
