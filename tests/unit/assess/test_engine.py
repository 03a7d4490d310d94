"""The engine: pass, fail, gap, stale, error, waived, not applicable, per repo, as of."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from assay.assess.engine import AssessOptions, Assessor
from assay.assess.model import Assessment, Result
from assay.assess.waivers import Waiver
from assay.durations import utc_now
from assay.evidence.reader import MemoryEvidence
from tests.unit.assess.helpers import (
    AI_CONTROL,
    CODEOWNERS_CONTROL,
    NOW,
    RESTORE_CONTROL,
    REVIEW_CONTROL,
    evidence,
    facts,
    library,
    repo_evidence,
    service,
    with_facts,
)

OPTIONS = AssessOptions(as_of=NOW, created_at=NOW)


def assess(tmp_path: Path, store: MemoryEvidence, *controls: str, **kwargs: object) -> Assessment:
    svc = kwargs.pop("svc", service())
    assessor = Assessor(library(tmp_path, *controls), store, **kwargs)  # type: ignore[arg-type]
    return assessor.assess(svc, OPTIONS)  # type: ignore[arg-type]


def only(assessment: Assessment) -> Result:
    assert len(assessment.results) == 1
    return assessment.results[0]


def test_pass_names_the_evidence_it_used(tmp_path: Path) -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api", review_ratio=0.99)
    store.add(record, NOW - timedelta(days=1))
    result = only(assess(tmp_path, store, REVIEW_CONTROL))
    assert result.status == "pass"
    assert result.reasons == ()
    assert result.evidence_ids == (record.id,)
    assert result.tests[0].subject == "repo:api"
    assert result.tests[0].collected_at == NOW - timedelta(days=1)


def test_fail_gives_plain_reasons_through_the_explain_template(tmp_path: Path) -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api", review_ratio=0.82, shallow=True)
    store.add(record, NOW)
    result = only(assess(tmp_path, store, REVIEW_CONTROL))
    assert result.status == "fail"
    assert result.reasons == (
        "Only 0.82 of change sets on main were reviewed: review_ratio is 0.82; it must be at "
        "least 0.95; shallow is true; it must be false",
    )
    assert result.tests[0].reasons == (
        "review_ratio is 0.82; it must be at least 0.95",
        "shallow is true; it must be false",
    )
    assert result.evidence_ids == (record.id,)
    assert result.remediation == "Require an approving review in branch protection."


def test_missing_fact_is_a_plain_sentence(tmp_path: Path) -> None:
    data = facts("git.history")
    del data["review_ratio"]
    store = MemoryEvidence()
    # A record whose facts miss a required fact of the kind is an error, not a fail:
    record = repo_evidence("git.history", "payments", "api")
    store.add(with_facts(record, data), NOW)
    result = only(assess(tmp_path, store, REVIEW_CONTROL))
    assert result.status == "error"
    assert result.tests[0].reasons == ("required fact review_ratio is missing",)
    assert "no longer matches the git.history schema" in result.reasons[0]


def test_no_evidence_is_a_gap_that_says_to_collect(tmp_path: Path) -> None:
    result = only(assess(tmp_path, MemoryEvidence(), REVIEW_CONTROL))
    assert result.status == "gap"
    assert result.reasons == ("no git.history evidence for repo api; run 'assay collect'",)
    assert result.evidence_ids == ()


def test_old_evidence_is_stale(tmp_path: Path) -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api", observed_at=NOW - timedelta(days=60))
    store.add(record, NOW - timedelta(days=45))
    result = only(assess(tmp_path, store, REVIEW_CONTROL))
    assert result.status == "stale"
    assert result.reasons[0].startswith(
        "git.history evidence for repo api was last collected 2026-01-29, 45 days before "
        "2026-03-15; CHG-01 needs evidence collected within P30D"
    )


def test_recollecting_keeps_evidence_fresh(tmp_path: Path) -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api", observed_at=NOW - timedelta(days=60))
    store.add(record, NOW - timedelta(days=45))
    store.add(record, NOW - timedelta(days=2))
    assert only(assess(tmp_path, store, REVIEW_CONTROL)).status == "pass"


def test_facts_that_no_longer_match_their_kind_are_an_error(tmp_path: Path) -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api")
    store.add(with_facts(record, {**record.facts, "review_ratio": "lots"}), NOW)
    result = only(assess(tmp_path, store, REVIEW_CONTROL))
    assert result.status == "error"
    assert result.tests[0].reasons == ("review_ratio is the text 'lots'; it must be a number",)


def test_evidence_altered_after_collection_is_an_error(tmp_path: Path) -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api", review_ratio=0.5)
    store.add(record.model_copy(update={"facts": {**record.facts, "review_ratio": 1.0}}), NOW)
    result = only(assess(tmp_path, store, REVIEW_CONTROL))
    assert result.status == "error"
    assert result.reasons == (
        f"evidence {record.id[:12]} was altered after it was collected: its content no longer "
        "matches its id; run 'assay verify --store'",
    )


def test_each_repo_is_tested_and_the_control_takes_the_worst(tmp_path: Path) -> None:
    store = MemoryEvidence()
    good = repo_evidence("git.history", "payments", "api", review_ratio=1.0)
    bad = repo_evidence("git.history", "payments", "web", review_ratio=0.5)
    store.add(good, NOW)
    store.add(bad, NOW)
    svc = service(repos=("api", "web", "worker"))
    result = only(assess(tmp_path, store, REVIEW_CONTROL, svc=svc))
    assert result.status == "fail"
    assert [(t.subject, t.status) for t in result.tests] == [
        ("repo:api", "pass"),
        ("repo:web", "fail"),
        ("repo:worker", "gap"),
    ]
    assert result.reasons[0].startswith("repo web: Only 0.5 of change sets")
    assert result.reasons[1] == "no git.history evidence for repo worker; run 'assay collect'"
    assert result.evidence_ids == tuple(sorted((good.id, bad.id)))


def test_evidence_of_other_services_is_not_used(tmp_path: Path) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "search", "api"), NOW)
    assert only(assess(tmp_path, store, REVIEW_CONTROL)).status == "gap"


def test_as_of_sees_only_evidence_collected_by_then(tmp_path: Path) -> None:
    store = MemoryEvidence()
    old = repo_evidence("git.history", "payments", "api", NOW - timedelta(days=20), review_ratio=1)
    new = repo_evidence("git.history", "payments", "api", NOW, review_ratio=0.5)
    store.add(old, NOW - timedelta(days=20))
    store.add(new, NOW)
    assessor = Assessor(library(tmp_path, REVIEW_CONTROL), store)
    then = assessor.assess(service(), AssessOptions(as_of=NOW - timedelta(days=10)))
    now = assessor.assess(service(), OPTIONS)
    assert only(then).status == "pass"
    assert only(then).evidence_ids == (old.id,)
    assert only(now).status == "fail"
    before_any = assessor.assess(service(), AssessOptions(as_of=NOW - timedelta(days=30)))
    assert only(before_any).status == "gap"


def test_exclusions_are_not_applicable_with_their_justification(tmp_path: Path) -> None:
    svc = service(exclusions={"CHG-01": "A read-only mirror: nothing is changed here."})
    result = only(assess(tmp_path, MemoryEvidence(), REVIEW_CONTROL, svc=svc))
    assert result.status == "not_applicable"
    assert result.justification == "A read-only mirror: nothing is changed here."
    assert result.reasons == ("A read-only mirror: nothing is changed here.",)
    assert result.tests == ()


def test_applicability_by_tags(tmp_path: Path) -> None:
    plain = assess(tmp_path, MemoryEvidence(), REVIEW_CONTROL, AI_CONTROL)
    assert [r.control for r in plain.results] == ["CHG-01"]
    ai = assess(tmp_path, MemoryEvidence(), REVIEW_CONTROL, AI_CONTROL, svc=service(tags=("ai",)))
    assert [r.control for r in ai.results] == ["AI-01", "CHG-01"]
    # ai.model_card is not collected per repository: no evidence is one gap for the service
    assert [(t.subject, t.status) for t in ai.results[0].tests] == [("service", "gap")]


def waiver(expires: date, service_id: str = "payments", created: date | None = None) -> Waiver:
    return Waiver(
        service=service_id,
        control="CHG-01",
        reason="Pairing replaces review during the migration.",
        approver="Ada Lovelace",
        created=created or date(2026, 1, 1),
        expires=expires,
        ticket="GOV-7",
        source="waivers/chg-01.yaml",
    )


def test_active_waiver_waives_and_keeps_the_underlying_status(tmp_path: Path) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", review_ratio=0.5), NOW)
    result = only(assess(tmp_path, store, REVIEW_CONTROL, waivers=[waiver(date(2026, 4, 1))]))
    assert result.status == "waived"
    assert result.underlying_status == "fail"
    assert result.waiver is not None
    assert result.waiver.state == "active"
    assert result.reasons[0] == (
        "waived until 2026-04-01 by Ada Lovelace (waivers/chg-01.yaml, ticket GOV-7): "
        "Pairing replaces review during the migration."
    )
    assert result.reasons[1].startswith("Only 0.5 of change sets")


def test_wildcard_waiver_applies_to_every_service(tmp_path: Path) -> None:
    result = only(
        assess(tmp_path, MemoryEvidence(), REVIEW_CONTROL, waivers=[waiver(date(2026, 4, 1), "*")])
    )
    assert (result.status, result.underlying_status) == ("waived", "gap")


def test_expired_waiver_is_not_applied_and_is_reported(tmp_path: Path) -> None:
    store = MemoryEvidence()
    store.add(repo_evidence("git.history", "payments", "api", review_ratio=0.5), NOW)
    result = only(assess(tmp_path, store, REVIEW_CONTROL, waivers=[waiver(date(2026, 3, 1))]))
    assert result.status == "fail"
    assert result.underlying_status is None
    assert result.waiver is not None
    assert result.waiver.state == "expired"
    assert result.reasons[-1] == "waiver expired on 2026-03-01 (waivers/chg-01.yaml): not applied"


def test_waiver_created_after_as_of_does_not_apply(tmp_path: Path) -> None:
    late = waiver(date(2026, 12, 1), created=date(2026, 3, 20))
    result = only(assess(tmp_path, MemoryEvidence(), REVIEW_CONTROL, waivers=[late]))
    assert result.status == "gap"
    assert result.waiver is None


def test_error_is_never_waived(tmp_path: Path) -> None:
    store = MemoryEvidence()
    record = repo_evidence("git.history", "payments", "api")
    store.add(with_facts(record, {"repo": "x"}), NOW)
    result = only(assess(tmp_path, store, REVIEW_CONTROL, waivers=[waiver(date(2026, 4, 1))]))
    assert result.status == "error"
    assert "does not cover error" in result.reasons[-1]


def test_worst_test_decides_the_control(tmp_path: Path) -> None:
    two_tests = CODEOWNERS_CONTROL.replace(
        "tests:\n",
        "tests:\n  - id: history\n    kind: git.history\n    expectation: {}\n    explain: x\n",
    )
    store = MemoryEvidence()
    files = facts("repo.files")
    files["files"]["codeowners"]["present"] = False
    store.add(
        evidence("repo.files", "payments", files, subject={"repo": "api", "commit": "1" * 40}),
        NOW,
    )
    result = only(assess(tmp_path, store, two_tests))
    assert [t.status for t in result.tests] == ["gap", "fail"]
    assert result.status == "fail"
    assert result.reasons[0] == (
        "No CODEOWNERS file in https://github.com/example-org/payments-api: "
        "files.codeowners.present is false; it must be true"
    )


def test_validators_are_compiled_once(tmp_path: Path) -> None:
    store = MemoryEvidence()
    assessor = Assessor(library(tmp_path, REVIEW_CONTROL, CODEOWNERS_CONTROL), store)
    for name in ("a", "b", "c"):
        store.add(repo_evidence("git.history", name, "api"), NOW)
        assessor.assess(service(name), OPTIONS)
    first = assessor.evaluator.validator("CHG-01", assessor.library.controls["CHG-01"].tests[0])
    assert len(assessor.evaluator._validators) == 1  # repo.files never had evidence
    store.add(repo_evidence("repo.files", "a", "api"), NOW)
    assessor.assess(service("a"), OPTIONS)
    assert len(assessor.evaluator._validators) == 2
    again = assessor.evaluator.validator("CHG-01", assessor.library.controls["CHG-01"].tests[0])
    assert again is first


def test_assessment_metadata(tmp_path: Path) -> None:
    lib = library(tmp_path, REVIEW_CONTROL)
    assessment = Assessor(lib, MemoryEvidence()).assess(service(), OPTIONS)
    assert assessment.service == "payments"
    assert assessment.as_of == NOW
    assert assessment.library_digest == lib.digest
    assert assessment.counts["gap"] == 1


def test_default_options_assess_now(tmp_path: Path) -> None:
    assessor = Assessor(library(tmp_path, REVIEW_CONTROL), MemoryEvidence())
    before = utc_now()
    assessment = assessor.assess(service())
    assert before <= assessment.as_of <= utc_now()
    assert assessment.created_at == assessment.as_of
    assert assessment.results[0].status == "gap"


def test_restore_control_without_attestation_is_a_gap(tmp_path: Path) -> None:
    result = only(assess(tmp_path, MemoryEvidence(), RESTORE_CONTROL))
    assert result.status == "gap"
    assert result.reasons == (
        "no attestation recorded for BCP-02; write one in attestations/ (what it must show: "
        "'assay library show BCP-02') and run 'assay attest FILE'",
    )
