"""People and roles, signed attestations, content checks and waiver duties, through the CLI.

The workspace uses the built-in library: OPS-05's restore test may be attested by the head
of platform or the service owner (``attested_by``). Keys are real ed25519 keys made with
``ssh-keygen`` in the test's folder.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from assay.assess.signing import ssh_keygen_path
from assay.durations import utc_now
from assay.errors import AssayError
from tests.cli.test_trust import attestation_text, invoke, make_workspace, result_of


def have_ssh_keygen() -> bool:
    try:
        ssh_keygen_path()
    except AssayError:
        return False
    return True


pytestmark = pytest.mark.skipif(not have_ssh_keygen(), reason="needs ssh-keygen")

#: Only OPS-05 and CHG-01 decide the release gate here.
GATE_TOML = '[gate.stages.release]\ncontrols = ["OPS-05"]\n'


def make_key(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / "keys" / name
    key.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ssh_keygen_path(), "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key, key.with_suffix(".pub").read_text(encoding="ascii").strip()


def write_people(root: Path, people: list[dict[str, Any]], **extra: Any) -> None:
    document = {
        "roles": {
            "head-of-platform": "Head of platform",
            "facilities-manager": "Facilities manager",
            "risk-compliance-lead": "Risk and compliance lead",
            "service-owner": "Service owner",
        },
        "people": people,
        **extra,
    }
    (root / "people.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")


def team(tmp_path: Path, root: Path) -> dict[str, Path]:
    """Ben (head of platform), Ana (facilities manager), Rui (risk), each with a key."""
    keys: dict[str, Path] = {}
    people = []
    for name, role in (
        ("Ben", "head-of-platform"),
        ("Ana", "facilities-manager"),
        ("Rui", "risk-compliance-lead"),
    ):
        key, public = make_key(tmp_path, name.lower())
        keys[name] = key
        people.append(
            {
                "name": f"{name} Example",
                "email": f"{name.lower()}@example.org",
                "roles": [role],
                "keys": [public],
            }
        )
    write_people(root, people)
    return keys


def attest_ops(root: Path, signer: str, body: str = "restore log\n") -> Path:
    (root / "attestations").mkdir(exist_ok=True)
    (root / "attestations" / "restore.md").write_text(body, encoding="utf-8")
    path = root / "attestations" / "ops.yaml"
    path.write_text(attestation_text("restore.md", signer=signer, years=1), encoding="utf-8")
    return path


def test_a_signed_attestation_by_the_right_role_passes_at_release(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, _ = make_workspace(tmp_path, GATE_TOML)
    keys = team(tmp_path, root)
    attest_ops(root, "Ben Example, Head of Platform")
    done = invoke(runner, root, "attest", "attestations/ops.yaml", "--sign", str(keys["Ben"]))
    assert done.exit_code == 0, done.output
    assert "signature verified: signed by ben@example.org with ED25519 key SHA256:" in done.stdout
    assert (
        (root / "attestations" / "ops.yaml.sig")
        .read_text()
        .startswith("-----BEGIN SSH SIGNATURE-----")
    )
    found = result_of(runner, root, "OPS-05")
    assert found["status"] == "pass"
    assert found["self_reported"] == []
    (test,) = found["tests"]
    assert test["signed_by"] == "Ben Example <ben@example.org>"
    assert "signature verified, signed by ben@example.org" in test["summary"]
    gate = invoke(runner, root, "gate", "--service", "api", "--stage", "release")
    assert gate.exit_code == 0, gate.output


def test_an_unsigned_attestation_is_self_reported_and_refused_at_release(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, _ = make_workspace(tmp_path, GATE_TOML)
    team(tmp_path, root)
    attest_ops(root, "ben@example.org")
    done = invoke(runner, root, "attest", "attestations/ops.yaml")
    assert done.exit_code == 0, done.output
    assert "unsigned: self-reported (the release stage refuses it" in done.stdout
    found = result_of(runner, root, "OPS-05")
    assert (found["status"], found["self_reported"]) == ("pass", ["manual.attestation"])
    assert found["tests"][0]["summary"].endswith("; self-reported: unsigned")
    gate = invoke(runner, root, "gate", "--service", "api", "--stage", "release")
    assert gate.exit_code == 1
    assert "rests on self-reported manual.attestation, which stage release refuses" in (gate.stdout)
    # A workspace may accept them at release, in assay.toml.
    (root / "assay.toml").write_text(GATE_TOML + "refuse_self_reported = false\n")
    allowed = invoke(runner, root, "gate", "--service", "api", "--stage", "release")
    assert allowed.exit_code == 0, allowed.output


def test_the_wrong_role_is_refused_at_attest_and_in_the_result(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, _ = make_workspace(tmp_path)
    keys = team(tmp_path, root)
    attest_ops(root, "Ana Example")
    refused = invoke(runner, root, "attest", "attestations/ops.yaml", "--sign", str(keys["Ana"]))
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[0] == (
        "error: attestations/ops.yaml: refused: test restore-rehearsal needs a signature by "
        "head-of-platform (Head of platform) or service-owner (Service owner); signed by "
        "Ana Example <ana@example.org>, who holds facilities-manager"
    )
    # Recorded while Ana held the role, then the role is taken away: the result refuses it.
    people = yaml.safe_load((root / "people.yaml").read_text())
    people["people"][1]["roles"].append("head-of-platform")
    (root / "people.yaml").write_text(yaml.safe_dump(people))
    done = invoke(runner, root, "attest", "attestations/ops.yaml", "--sign", str(keys["Ana"]))
    assert done.exit_code == 0, done.output
    people["people"][1]["roles"] = ["facilities-manager"]
    (root / "people.yaml").write_text(yaml.safe_dump(people))
    found = result_of(runner, root, "OPS-05")
    assert found["status"] == "fail"
    assert found["tests"][0]["reasons"] == [
        "test restore-rehearsal needs a signature by head-of-platform (Head of platform) or "
        "service-owner (Service owner); signed by Ana Example <ana@example.org>, who holds "
        "facilities-manager"
    ]


def test_a_signature_by_another_key_does_not_verify(tmp_path: Path, runner: CliRunner) -> None:
    root, _ = make_workspace(tmp_path)
    keys = team(tmp_path, root)
    attest_ops(root, "ben@example.org")
    refused = invoke(runner, root, "attest", "attestations/ops.yaml", "--sign", str(keys["Rui"]))
    assert refused.exit_code == 2
    assert "the signature does not verify for ben@example.org" in refused.stderr
    assert not (root / "attestations" / "ops.yaml.sig").exists()
    done = invoke(runner, root, "attest", "attestations/ops.yaml", "--sign", str(keys["Ben"]))
    assert done.exit_code == 0, done.output
    # Ben's key is replaced in people.yaml: the stored signature no longer verifies.
    _, other = make_key(tmp_path, "other")
    people = yaml.safe_load((root / "people.yaml").read_text())
    people["people"][0]["keys"] = [other]
    (root / "people.yaml").write_text(yaml.safe_dump(people))
    found = result_of(runner, root, "OPS-05")
    assert found["status"] == "fail"
    (reason,) = found["tests"][0]["reasons"]
    assert reason.startswith("the signature does not verify for ben@example.org: ")


def override_ops05(root: Path, must_show: list[dict[str, str]]) -> None:
    from assay.controls.loader import load_library

    data = load_library([]).controls["OPS-05"].to_dict()
    data["tests"][0]["must_show"] = must_show
    (root / "controls").mkdir(exist_ok=True)
    (root / "controls" / "ops-05.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


def test_the_supporting_document_must_show_what_the_control_lists(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, _ = make_workspace(tmp_path)
    keys = team(tmp_path, root)
    override_ops05(
        root,
        [{"heading": "Restore results"}, {"heading": "Findings"}, {"field": "reviewed_by"}],
    )
    later = utc_now().date().replace(year=utc_now().year + 1)
    attest_ops(
        root,
        "ben@example.org",
        f"---\ndate: {later}\nreviewed_by: ''\n---\n# Restore  results\n\nAll good.\n",
    )
    done = invoke(runner, root, "attest", "attestations/ops.yaml", "--sign", str(keys["Ben"]))
    assert done.exit_code == 0, done.output
    found = result_of(runner, root, "OPS-05")
    assert found["status"] == "fail"
    reasons = found["tests"][0]["reasons"]
    assert reasons == [
        "the supporting document restore.md does not show heading 'Findings', field 'reviewed_by'",
        f"the supporting document restore.md is dated {later}, after the attestation was "
        f"signed on {utc_now().date()}",
    ]


def test_people_yaml_problems_are_located(tmp_path: Path, runner: CliRunner) -> None:
    root, _ = make_workspace(tmp_path)
    roles = "roles:\n  ciso: Chief information security officer\npeople:\n"
    (root / "people.yaml").write_text(
        roles + "  - {name: Bo, email: '*@example.org', roles: [ciso]}\n", encoding="utf-8"
    )
    checked = invoke(runner, root, "check")
    assert checked.exit_code == 2
    assert checked.stderr.splitlines()[0] == (
        "people.yaml:4:23: people[0].email: '*@example.org' is not an email address such as "
        "ana@example.org"
    )
    (root / "people.yaml").write_text(
        roles + "  - {name: Ana, email: ana@example.org, roles: [ciso, cfo]}\n"
        '  - {name: ana, email: ANA@example.org, roles: [], keys: ["ssh-ed25519 AAAA\\n"]}\n',
        encoding="utf-8",
    )
    checked = invoke(runner, root, "check")
    assert checked.exit_code == 2
    assert checked.stderr.splitlines()[:4] == [
        "people.yaml:4:55: role 'cfo' is not defined under roles",
        "people.yaml:5:12: name 'ana' is already used by people[0]",
        "people.yaml:5:24: email 'ANA@example.org' is already used by people[0]",
        "people.yaml:5:59: a line break or control character",
    ]


def waiver(root: Path, approver: str, requested_by: str | None = None) -> None:
    today = utc_now().date()
    text = (
        "service: api\ncontrol: CHG-01\n"
        "reason: Pairing replaces review during the migration.\n"
        f"approver: {approver}\n"
        f'created: "{today}"\nexpires: "{today.replace(year=today.year + 1)}"\n'
    )
    if requested_by:
        text += f"requested_by: {requested_by}\n"
    (root / "waivers").mkdir(exist_ok=True)
    (root / "waivers" / "chg-01.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("approver", "requested_by", "reason"),
    [
        (
            "Nobody Known",
            None,
            "the approver 'Nobody Known' is not listed in people.yaml",
        ),
        (
            "Ana Example",
            None,
            "approving a waiver of CHG-01 needs risk-compliance-lead (Risk and compliance "
            "lead); approved by Ana Example <ana@example.org>, who holds facilities-manager",
        ),
        (
            "rui@example.org",
            "Rui Example",
            "the approver Rui Example <rui@example.org> also requested the waiver "
            "(requested_by): nobody approves their own exception",
        ),
        (
            "team@example.org",
            None,
            "the approver Team Mailbox <team@example.org> is the owner of api: a waiver needs "
            "approval independent of the service",
        ),
    ],
)
def test_a_waiver_needs_an_independent_approver_with_the_role(
    tmp_path: Path, runner: CliRunner, approver: str, requested_by: str | None, reason: str
) -> None:
    root, _ = make_workspace(tmp_path)
    people = [
        {"name": "Ana Example", "email": "ana@example.org", "roles": ["facilities-manager"]},
        {"name": "Rui Example", "email": "rui@example.org", "roles": ["risk-compliance-lead"]},
        {"name": "Team Mailbox", "email": "team@example.org", "roles": ["risk-compliance-lead"]},
    ]
    write_people(root, people, waivers={"approved_by": ["risk-compliance-lead"]})
    invoke(runner, root, "collect")
    waiver(root, approver, requested_by)
    found = result_of(runner, root, "CHG-01")
    assert found["status"] != "waived"
    assert f"the waiver in waivers/chg-01.yaml is refused: {reason}" in found["reasons"]
    waiver(root, "Rui Example", "Ana Example")
    assert result_of(runner, root, "CHG-01")["status"] == "waived"


def test_one_signer_of_most_attestations_is_flagged(tmp_path: Path, runner: CliRunner) -> None:
    root, _ = make_workspace(tmp_path)
    (root / "attestations").mkdir()
    for control in ("OPS-05", "ORG-01", "GOV-01"):
        (root / "attestations" / f"{control}.txt").write_text("record\n")
        text = attestation_text(f"{control}.txt", signer="Morgan Lee", years=1)
        path = root / "attestations" / f"{control}.yaml"
        path.write_text(text.replace("OPS-05", control), encoding="utf-8")
        assert invoke(runner, root, "attest", str(path)).exit_code == 0
    checked = invoke(runner, root, "check", "--service", "api")
    assert (
        "segregation of duties: Morgan Lee signed 3 of the 3 attestations api's results rest "
        "on: segregation of duties asks for more than one signer"
    ) in checked.stdout.splitlines()
    data = json.loads(invoke(runner, root, "check", "--service", "api", "-f", "json").stdout)
    signers = [
        t.get("signed_by") for r in data[0]["results"] for t in r["tests"] if t.get("signed_by")
    ]
    assert signers == ["Morgan Lee"] * 3
