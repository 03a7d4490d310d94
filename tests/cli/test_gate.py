"""assay gate: allow, block, cannot decide; the decision is recorded; every output format."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from defusedxml import ElementTree
from jsonschema import Draft4Validator
from typer.testing import CliRunner, Result

from assay.cli.app import app
from assay.durations import utc_now
from assay.evidence.store import open_store
from tests.cli.sample import Sample, make_sample
from tests.support.gitrepo import GitRepo
from tests.support.paths import ROOT
from tests.unit.evidence.store.helpers import tamper

SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "ws")


def gate(runner: CliRunner, sample: Sample, *args: str, service: str = "payments") -> Result:
    return runner.invoke(
        app, ["gate", "--service", service, "--stage", "release", "-w", str(sample.root), *args]
    )


def passing(sample: Sample, runner: CliRunner) -> None:
    """Good evidence and a signed attestation: everything passes, at release too."""
    sample.good_evidence()
    sample.attestation()
    key = sample.people()
    result = runner.invoke(
        app, ["attest", "attestations/restore.yaml", "--sign", str(key), "-w", str(sample.root)]
    )
    assert result.exit_code == 0, result.output
    assert "signature verified: signed by priya@example.org with ED25519 key SHA256:" in (
        result.stdout
    )


def test_allows_when_every_control_passes(runner: CliRunner, sample: Sample) -> None:
    passing(sample, runner)
    result = gate(runner, sample)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "assay gate: allow: payments may pass release"
    assert "blocking" not in result.stdout
    assert "controls: pass 5, fail 0, gap 0, unverifiable 0, stale 0, waived 0" in result.stdout


def test_blocks_with_control_reason_and_fix_most_severe_first(
    runner: CliRunner, sample: Sample
) -> None:
    passing(sample, runner)
    sample.good_evidence(
        git_history__review_ratio=0.5,
        ci_workflows__unpinned_actions=2,
        git_history__ticket_ref_ratio=0.1,
    )
    result = gate(runner, sample)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "assay gate: block: payments may not pass release: 2 controls block"
    start = lines.index("blocking (most severe first):")
    assert lines[start + 1 : start + 4] == [
        "  CHG-01  high     fail    Reviewed changes",
        "      why: Only 0.5 of change sets on main were reviewed: review_ratio is 0.5; it must "
        "be at least 0.95",
        "      fix: Require an approving review in branch protection.",
    ]
    assert lines[start + 4].startswith("  SDL-03  medium   fail    Pinned actions")
    assert (
        "      at:  api:.github/workflows/codeql.yml:22: action github/codeql-action/init@v3 is "
        "not pinned to a full commit id" in lines
    )
    # A low-severity failure is shown, but does not block a release:
    assert "not blocking at this stage:" in lines
    assert "  CHG-04  low      fail    Ticket references" in lines


def test_no_store_cannot_decide_and_creates_none(runner: CliRunner, sample: Sample) -> None:
    result = gate(runner, sample)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("error: no store at ")
    assert not (sample.root / ".assay" / "assay.db").exists()


def test_no_evidence_blocks_and_says_to_collect(runner: CliRunner, sample: Sample) -> None:
    sample.empty_store()
    result = gate(runner, sample)
    assert result.exit_code == 1
    assert (
        "hint: no evidence is stored for payments: run 'assay collect --service payments' "
        "before the gate (or pass --collect)" in result.stdout.splitlines()
    )
    assert "no git.history evidence for repo api; run 'assay collect'" in result.stdout


def test_decision_is_recorded_as_evidence_and_the_assessment_sealed(
    runner: CliRunner, sample: Sample
) -> None:
    sample.empty_store()
    result = gate(runner, sample)
    assert result.exit_code == 1
    with open_store(sample.url) as store:
        (decision,) = store.latest("payments", ["gate.decision"])
        (record,) = store.list_assessments(service="payments")
        entries = [e.entry_type for e in store.ledger()]
    assert decision.facts["decision"] == "block"
    assert decision.facts["stage"] == "release"
    assert decision.facts["blocking_controls"] == ["BCP-02", "CHG-01", "SDL-03", "SEC-02"]
    assert decision.facts["assessment_hash"] == record.hash
    assert entries == ["assessment", "evidence"]


def test_unknown_stage_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    result = runner.invoke(
        app, ["gate", "-s", "payments", "--stage", "prod", "-w", str(sample.root)]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: unknown stage 'prod'",
        "hint: stages: deploy, merge, release (define more under [gate.stages] in assay.toml)",
    ]
    assert not (sample.root / ".assay" / "assay.db").exists()


def test_unknown_service_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    result = gate(runner, sample, service="billing")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: unknown service 'billing'",
        "hint: services in this workspace: payments, search",
    ]


def test_a_service_described_twice_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    sample.write("services/payments.yml", (sample.root / "services/payments.yaml").read_text())
    for args in (["gate", "-s", "payments", "--stage", "release"], ["check"]):
        result = runner.invoke(app, [*args, "-w", str(sample.root)])
        assert result.exit_code == 2, args
        assert result.stderr.splitlines()[0].startswith("services/payments.yml:")
        assert "duplicate service id payments" in result.stderr.splitlines()[0]
    with open_store(sample.url) as store:
        assert store.counts().assessments == 0


def test_a_stage_scoped_to_unknown_controls_cannot_decide(
    runner: CliRunner, sample: Sample
) -> None:
    sample.write(
        "assay.toml",
        '[gate.stages.prod]\ncontrols = ["CHG-1", "CHG-01"]\nfamilies = ["change-mgmt"]\n',
    )
    result = runner.invoke(
        app, ["gate", "-s", "payments", "--stage", "prod", "-w", str(sample.root)]
    )
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "error: stage 'prod' names unknown control 'CHG-1', family 'change-mgmt'"
    assert lines[1].startswith("hint: fix [gate.stages.prod] in assay.toml")
    with open_store(sample.url) as store:
        assert store.counts().ledger == 0


def test_invalid_workspace_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    sample.write("assay.toml", '[gate.stages.release]\nblock = ["oops"]\n')
    result = gate(runner, sample)
    assert result.exit_code == 2
    assert result.stderr.startswith("assay.toml:2:1: gate.stages.release.block[0]:")


def test_unreachable_store_cannot_decide(
    runner: CliRunner, sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_STORE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/assay")
    result = gate(runner, sample)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: store unreachable:")


def test_evidence_that_no_longer_matches_its_kind_is_an_error_and_blocks(
    runner: CliRunner, sample: Sample
) -> None:
    passing(sample, runner)
    tamper(
        sample.url,
        "evidence",
        "UPDATE evidence SET facts = replace(facts, '\"review_ratio\":1.0', "
        "'\"review_ratio\":\"all\"') WHERE kind = 'git.history'",
    )
    result = gate(runner, sample, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    # Every control reading that record errs, whatever its severity.
    assert [(b["control"], b["status"]) for b in data["blocking"]] == [
        ("CHG-01", "error"),
        ("CHG-04", "error"),
    ]
    blocking = data["blocking"][0]
    # The row was changed in the database: it no longer hashes to its id, and its facts no
    # longer match the kind's schema. Both are said.
    assert blocking["reasons"][0].endswith(
        "was altered after it was collected: its content no longer matches its id; run "
        "'assay verify --store': review_ratio is the text 'all'; it must be a number"
    )


def test_stage_policy_from_assay_toml(runner: CliRunner, sample: Sample) -> None:
    passing(sample, runner)
    sample.good_evidence(git_history__ticket_ref_ratio=0.1)
    sample.write(
        "assay.toml",
        '[library]\nbuiltin = false\npaths = ["controls"]\n\n'
        '[gate.stages.audit]\nblock = ["fail"]\nmin_severity = "low"\n',
    )
    audit = runner.invoke(
        app, ["gate", "-s", "payments", "--stage", "audit", "-w", str(sample.root)]
    )
    assert audit.exit_code == 1
    assert "CHG-04  low      fail    Ticket references" in audit.stdout
    assert gate(runner, sample).exit_code == 0


def test_waived_control_does_not_block_and_expired_waiver_is_reported(
    runner: CliRunner, sample: Sample
) -> None:
    passing(sample, runner)
    sample.good_evidence(git_history__review_ratio=0.5)
    today = utc_now().date()
    sample.waiver(10, 20)
    allowed = gate(runner, sample)
    assert allowed.exit_code == 0, allowed.output
    assert "waived (not blocking):" in allowed.stdout
    assert "  CHG-01  high     waived (fail)  Reviewed changes" in allowed.stdout
    sample.waiver(40, -1)
    blocked = gate(runner, sample)
    assert blocked.exit_code == 1
    assert "expired waivers (no longer applied):" in blocked.stdout
    assert f"  CHG-01  expired {today - timedelta(days=1)} (waivers/chg-01.yaml), status fail" in (
        blocked.stdout
    )


def test_as_of_uses_only_evidence_collected_by_then(runner: CliRunner, sample: Sample) -> None:
    passing(sample, runner)
    yesterday = (utc_now() - timedelta(days=1)).date().isoformat()
    result = gate(runner, sample, "--as-of", yesterday)
    assert result.exit_code == 1
    assert "no git.history evidence for repo api" in result.stdout
    bad = gate(runner, sample, "--as-of", "last tuesday")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --as-of: 'last tuesday' is not a date")


def test_json_format(runner: CliRunner, sample: Sample) -> None:
    passing(sample, runner)
    sample.good_evidence(git_history__review_ratio=0.5)
    data = json.loads(gate(runner, sample, "--format", "json").stdout)
    assert data["decision"] == "block"
    assert data["exit_code"] == 1
    assert data["policy"]["min_severity"] == "medium"
    assert [b["control"] for b in data["blocking"]] == ["CHG-01"]
    assert data["blocking"][0]["fix"] == "Require an approving review in branch protection."
    assert data["counts"]["fail"] == 1


def test_junit_format(runner: CliRunner, sample: Sample, tmp_path: Path) -> None:
    passing(sample, runner)
    sample.good_evidence(git_history__review_ratio=0.5, git_history__ticket_ref_ratio=0.1)
    sample.write(
        "services/payments.yaml",
        (sample.root / "services" / "payments.yaml").read_text()
        + "exclusions:\n  - control: SEC-02\n    justification: Owned by the platform team.\n",
    )
    out = tmp_path / "gate.xml"
    assert gate(runner, sample, "--format", "junit", "--output", str(out)).exit_code == 1
    root = ElementTree.parse(out).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("5", "1", "1")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    failure = cases["CHG-01 Reviewed changes"].find("failure")
    assert failure is not None
    assert failure.get("type") == "fail"
    assert "fix: Require an approving review in branch protection." in (failure.text or "")
    skipped = cases["SEC-02 Code owners"].find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "Owned by the platform team."
    assert "not blocking at stage release" in (
        cases["CHG-04 Ticket references"].findtext("system-out") or ""
    )


def test_sarif_format_is_valid_and_only_has_file_findings(
    runner: CliRunner, sample: Sample
) -> None:
    passing(sample, runner)
    sample.good_evidence(git_history__review_ratio=0.5, ci_workflows__unpinned_actions=2)
    result = gate(runner, sample, "--format", "sarif")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert list(Draft4Validator(schema).iter_errors(document)) == []
    (run,) = document["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["SDL-03"]
    locations = [
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["level"],
        )
        for r in run["results"]
    ]
    assert locations == [
        (".github/workflows/codeql.yml", 22, "error"),
        (".github/workflows/codeql.yml", 31, "error"),
    ]


def test_github_format_annotations_and_step_summary(
    runner: CliRunner, sample: Sample, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    passing(sample, runner)
    sample.good_evidence(git_history__review_ratio=0.5, ci_workflows__unpinned_actions=2)
    result = gate(runner, sample, "--format", "github")
    assert result.exit_code == 1
    commands = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert commands[0] == (
        "::error title=CHG-01 Reviewed changes (fail)::Only 0.5 of change sets on main were "
        "reviewed: review_ratio is 0.5; it must be at least 0.95%0Afix: Require an approving "
        "review in branch protection."
    )
    assert commands[1] == (
        "::error file=.github/workflows/codeql.yml,line=22,title=SDL-03 Pinned actions (fail)::"
        "action github/codeql-action/init@v3 is not pinned to a full commit id%0Afix: Pin each "
        "action to a full commit id."
    )
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## assay gate `release`: payments **blocked**")
    assert "| CHG-01 Reviewed changes | high | fail |" in text


def test_gitlab_format(runner: CliRunner, sample: Sample) -> None:
    passing(sample, runner)
    sample.good_evidence(git_history__review_ratio=0.5, git_history__ticket_ref_ratio=0.1)
    issues = json.loads(gate(runner, sample, "--format", "gitlab").stdout)
    assert [(i["check_name"], i["severity"]) for i in issues] == [
        ("assay/CHG-01", "critical"),
        ("assay/CHG-04", "info"),
    ]
    assert issues[0]["location"] == {"path": "services/payments.yaml", "lines": {"begin": 1}}
    assert len({i["fingerprint"] for i in issues}) == 2


def test_unknown_format_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    result = gate(runner, sample, "--format", "xml")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error: unknown format 'xml'"


def test_gate_does_not_import_report_renderers_and_reads_sqlmodel_tables(
    sample: Sample,
) -> None:
    """The gate's store is the SQLModel one: its tables are those in SQLModel.metadata."""
    sample.empty_store()
    probe = (
        "import sys\n"
        "from assay.cli.app import app\n"
        "try:\n"
        f"    app(['gate', '-s', 'payments', '--stage', 'release', '-w', {str(sample.root)!r}],"
        " prog_name='assay')\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "heavy = ('weasyprint', 'openpyxl', 'jinja2')\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "loaded = 'sqlmodel' in sys.modules\n"
        "from sqlmodel import SQLModel\n"
        "from assay.evidence.store import queries\n"
        "used = {queries.evidence_table, queries.ledger_table, queries.assessment_table}\n"
        "ours = used <= set(SQLModel.metadata.tables.values())\n"
        "print('RESULT', code, heavy, ours, loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.splitlines()[-1] == "RESULT 1 [] True True"


def test_collect_first_then_decide(runner: CliRunner, sample: Sample, git_repo: GitRepo) -> None:
    git_repo.commit("first", {"README.md": "hello\n", ".github/CODEOWNERS": "* @team\n"})
    sample.write(
        "services/payments.yaml",
        f"id: payments\nname: Payments\nowner: t@example.org\ntier: 2\n"
        f"repos:\n  - name: api\n    path: {git_repo.path}\n",
    )
    result = gate(runner, sample, "--collect", "--format", "json")
    assert result.exit_code == 1  # history without reviews fails, but it was collected
    assert result.stderr.startswith("collected ")
    data = json.loads(result.stdout)
    assert data["hints"] == []
    with open_store(sample.url) as store:
        kinds = {e.kind for e in store.list_evidence(service="payments")}
    assert {"git.history", "repo.files"} <= kinds


def test_save_writes_more_formats_from_one_decision(
    runner: CliRunner, sample: Sample, tmp_path: Path
) -> None:
    passing(sample, runner)
    sarif, junit = tmp_path / "gate.sarif", tmp_path / "gate.xml"
    result = gate(runner, sample, "--save", f"sarif={sarif}", "--save", f"junit={junit}")
    assert result.exit_code == 0
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert ElementTree.parse(junit).getroot().tag == "testsuites"
    with open_store(sample.url) as store:
        assert len(store.list_assessments()) == 1
    bad = gate(runner, sample, "--save", "sarif")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[0] == (
        "error: --save 'sarif': expected FORMAT=FILE, e.g. sarif=gate.sarif"
    )


def test_an_unwritable_destination_stops_the_gate_before_it_decides(
    runner: CliRunner, sample: Sample, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "gate.txt"
    for args in (["--output", str(missing)], ["--save", f"sarif={missing}"]):
        result = gate(runner, sample, *args)
        assert result.exit_code == 2, args
        assert result.stderr.splitlines()[0] == (
            f"error: cannot write {missing}: no such folder {missing.parent}"
        )
    with open_store(sample.url) as store:
        assert store.counts().ledger == 0


def test_a_missing_library_folder_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence()
    sample.write("assay.toml", '[library]\nbuiltin = false\npaths = ["controls", "contrls"]\n')
    result = gate(runner, sample)
    assert result.exit_code == 2
    assert "library.paths names 'contrls', which does not exist" in result.stderr


def test_an_empty_library_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence()
    (sample.root / "empty").mkdir()
    sample.write("assay.toml", '[library]\nbuiltin = false\npaths = ["empty"]\n')
    result = gate(runner, sample)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "error: the control library is empty: nothing can be assessed or gated"
    )
    with open_store(sample.url) as store:
        assert store.latest("payments", ["gate.decision"]) == []


def test_a_stage_that_selects_no_control_of_the_service_cannot_decide(
    runner: CliRunner, sample: Sample
) -> None:
    sample.good_evidence()
    sample.write(
        "assay.toml",
        '[library]\nbuiltin = false\npaths = ["controls"]\n\n'
        '[gate.stages.release]\nmin_severity = "critical"\n',
    )
    result = gate(runner, sample)
    assert result.exit_code == 2, result.output
    assert "selects none of the controls that apply to payments" in result.stderr
    with open_store(sample.url) as store:
        assert store.latest("payments", ["gate.decision"]) == []
