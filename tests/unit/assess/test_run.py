"""check and gate as core functions: options in, a stored and sealed result out."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from assay.assess.attestations import load_attestation
from assay.assess.inputs import load_inputs
from assay.assess.run import CheckOptions, GateOptions, build_assessor, check, gate
from assay.assess.sealing import record_attestation
from assay.durations import utc_now
from assay.errors import CollectorError, GateError, InvalidInput, StoreError, WorkspaceError
from assay.evidence.collect_results import CollectReport
from assay.evidence.reader import MemoryEvidence
from assay.evidence.store import open_store
from assay.workspace import open_workspace
from tests.cli.sample import Sample, make_sample
from tests.support.gitrepo import GitRepo

CONTEXT = {"run": "test"}


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "ws")


def attest(sample: Sample) -> None:
    """Sign and record the sample's restore attestation, as ``assay attest --sign`` does."""
    path = sample.attestation()
    key = sample.people()
    attestation = load_attestation(path, controls={"BCP-02"}, root=sample.root)
    people = open_workspace(sample.root).load_people()
    with open_store(sample.url) as store:
        done = record_attestation(
            store, attestation, context=CONTEXT, max_bytes=1024, people=people, key=key
        )
    assert done.signature is not None
    assert done.signature.principal == "priya@example.org"


def passing(sample: Sample) -> None:
    sample.good_evidence()
    attest(sample)


def options(sample: Sample, **changes: Any) -> GateOptions:
    base = GateOptions("payments", "release", workspace=sample.root, context=CONTEXT)
    return replace(base, **changes)


def test_check_assesses_every_service_and_seals_each(sample: Sample) -> None:
    passing(sample)
    run = check(CheckOptions(workspace=sample.root, context=CONTEXT))
    assert [s.assessment.service for s in run.sealed] == ["payments", "search"]
    assert [a.service for a in run.failing] == ["search"]  # search has no evidence
    (payments, search) = run.assessments
    assert {r.control: r.status for r in payments.results} == dict.fromkeys(
        ["BCP-02", "CHG-01", "CHG-04", "SDL-03", "SEC-02"], "pass"
    )
    statuses = {r.control: r.status for r in search.results}
    assert statuses == {
        **dict.fromkeys(["CHG-01", "CHG-04", "SDL-03", "SEC-02"], "gap"),
        "BCP-02": "pass",
    }  # the attestation covers every service
    assert payments.as_of == search.as_of  # one moment for every service
    with open_store(sample.url) as store:
        for sealed in run.sealed:
            record = store.get_assessment(sealed.record_id)
            assert record is not None
            assert (record.service, record.hash) == (
                sealed.assessment.service,
                sealed.assessment.hash,
            )
        seals = [e for e in store.ledger() if e.entry_type == "assessment"]
    assert len(seals) == 2
    assert all(entry.context == CONTEXT for entry in seals)


def test_check_one_service_as_of_a_moment_sees_only_evidence_by_then(sample: Sample) -> None:
    passing(sample)
    before = utc_now() - timedelta(days=1)
    run = check(CheckOptions(service="payments", as_of=before, workspace=sample.root))
    (assessment,) = run.assessments
    assert assessment.service == "payments"
    assert assessment.as_of == before
    assert {r.status for r in assessment.results} == {"gap"}
    assert run.failing == (assessment,)


def test_check_applies_the_workspace_waivers(sample: Sample) -> None:
    passing(sample)
    sample.good_evidence(git_history__review_ratio=0.5)
    sample.waiver(10, 20)
    (assessment,) = check(CheckOptions(service="payments", workspace=sample.root)).assessments
    waived = assessment.result("CHG-01")
    assert waived is not None
    assert (waived.status, waived.underlying_status) == ("waived", "fail")
    assert not assessment.problems


def test_check_of_an_unknown_service_stores_nothing(sample: Sample) -> None:
    with pytest.raises(WorkspaceError, match="unknown service 'billing'"):
        check(CheckOptions(service="billing", workspace=sample.root))
    assert not (sample.root / ".assay" / "assay.db").exists()


def test_check_of_an_invalid_workspace_lists_its_problems(sample: Sample) -> None:
    sample.write("services/search.yaml", "id: search\nname: Search\n")
    with pytest.raises(InvalidInput) as caught:
        check(CheckOptions(workspace=sample.root))
    assert all(p.path == "services/search.yaml" for p in caught.value.problems)
    assert not (sample.root / ".assay" / "assay.db").exists()


def test_check_outside_any_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceError, match=r"no assay\.toml"):
        check(CheckOptions())


def test_gate_allows_and_records_the_decision(sample: Sample) -> None:
    passing(sample)
    run = gate(options(sample))
    assert run.service.id == "payments"
    assert run.service.source == "services/payments.yaml"
    assert (run.decision.decision, run.decision.exit_code, run.decision.blocking) == (
        "allow",
        0,
        (),
    )
    assert run.collected is None
    with open_store(sample.url) as store:
        (decision,) = store.latest("payments", ["gate.decision"])
        record = store.get_assessment(run.record_id)
        entries = [(e.entry_type, e.context) for e in store.ledger()][-2:]
    assert record is not None
    assert record.hash == run.decision.assessment.hash
    assert decision.facts["decision"] == "allow"
    assert decision.facts["assessment_hash"] == record.hash
    assert entries == [("assessment", CONTEXT), ("evidence", CONTEXT)]


def test_gate_blocks_on_failing_controls(sample: Sample) -> None:
    passing(sample)
    sample.good_evidence(git_history__review_ratio=0.5, ci_workflows__unpinned_actions=2)
    run = gate(options(sample))
    assert (run.decision.decision, run.decision.exit_code) == ("block", 1)
    assert [r.control for r in run.decision.blocking] == ["CHG-01", "SDL-03"]


@pytest.mark.parametrize(
    ("toml", "stage", "message"),
    [
        ("", "prod", "unknown stage 'prod'"),
        (
            '[gate.stages.prod]\ncontrols = ["CHG-1"]\n',
            "prod",
            "stage 'prod' names unknown control 'CHG-1'",
        ),
    ],
)
def test_gate_that_cannot_decide_records_nothing(
    sample: Sample, toml: str, stage: str, message: str
) -> None:
    sample.write("assay.toml", '[library]\nbuiltin = false\npaths = ["controls"]\n' + toml)
    with pytest.raises(GateError) as caught:
        gate(options(sample, stage=stage))
    assert caught.value.message == message
    assert not (sample.root / ".assay" / "assay.db").exists()


def test_gate_of_an_unknown_service(sample: Sample) -> None:
    with pytest.raises(WorkspaceError) as caught:
        gate(options(sample, service="billing"))
    assert caught.value.hint == "services in this workspace: payments, search"


def test_store_url_named_in_the_options_wins(sample: Sample, tmp_path: Path) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    with open_store(other):
        pass
    run = gate(options(sample, store_url=other))
    with open_store(other, create=False) as store:
        assert store.get_assessment(run.record_id) is not None
    assert not (sample.root / ".assay" / "assay.db").exists()


def test_store_url_from_the_environment_before_assay_toml(
    sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = tmp_path / "configured.db"
    sample.write(
        "assay.toml",
        f'[library]\nbuiltin = false\npaths = ["controls"]\n\n'
        f'[store]\nurl = "sqlite:///{configured}"\n',
    )
    env = tmp_path / "env.db"
    for url in (f"sqlite:///{env}", f"sqlite:///{configured}"):
        with open_store(url):
            pass

    def sealed() -> tuple[int, int]:
        counts = []
        for path in (env, configured):
            with open_store(f"sqlite:///{path}", create=False) as store:
                counts.append(len(store.list_assessments(service="search")))
        return counts[0], counts[1]

    monkeypatch.setenv("ASSAY_STORE_URL", f"sqlite:///{env}")
    check(CheckOptions(service="search", workspace=sample.root))
    assert sealed() == (1, 0)
    monkeypatch.delenv("ASSAY_STORE_URL")
    check(CheckOptions(service="search", workspace=sample.root))
    assert sealed() == (1, 1)


def test_an_unreachable_store_cannot_decide(sample: Sample) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/assay"
    with pytest.raises(StoreError, match="store unreachable"):
        gate(options(sample, store_url=url))


def test_gate_collects_first_and_says_so(sample: Sample, git_repo: GitRepo) -> None:
    git_repo.commit("first", {"README.md": "hello\n", ".github/CODEOWNERS": "* @team\n"})
    sample.write(
        "services/payments.yaml",
        f"id: payments\nname: Payments\nowner: t@example.org\ntier: 2\n"
        f"repos:\n  - name: api\n    path: {git_repo.path}\n",
    )
    heard: list[CollectReport] = []
    run = gate(options(sample, collect=True), on_collected=heard.append)
    assert heard == [run.collected]
    assert run.collected is not None
    kinds = {c.kind for c in run.collected.collected}
    assert {"git.history", "repo.files"} <= kinds
    assert run.decision.decision == "block"  # history without reviews fails
    codeowners = run.decision.assessment.result("SEC-02")
    assert codeowners is not None
    assert codeowners.status == "pass"


def test_a_failed_collection_means_no_decision(sample: Sample, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-repo"
    sample.write(
        "services/payments.yaml",
        f"id: payments\nname: Payments\nowner: t@example.org\ntier: 2\n"
        f"repos:\n  - name: api\n    path: {missing}\n",
    )
    heard: list[CollectReport] = []
    with pytest.raises(CollectorError) as caught:
        gate(options(sample, collect=True), on_collected=heard.append)
    assert caught.value.message.startswith("--collect: payments could not be collected: ")
    assert heard == []
    with open_store(sample.url) as store:
        assert store.counts().assessments == 0


def test_build_assessor_uses_the_workspace_inputs(sample: Sample) -> None:
    sample.attestation()
    inputs = load_inputs(open_workspace(sample.root))
    assessor = build_assessor(inputs, MemoryEvidence())
    assert assessor.library is inputs.library
    assert assessor.waivers is inputs.waivers
    assert [c.id for c in assessor.applicable(inputs.service("payments"))] == sorted(
        inputs.library.controls
    )
