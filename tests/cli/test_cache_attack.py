"""Nothing under ``.assay/`` decides: a planted library cache cannot allow a release.

The attacker can write ``.assay/`` (a job in the same pipeline, say) but not the reviewed
control files. They plant a cached library with every expectation emptied (so every
control would pass), with whatever digests a cache of earlier versions recorded, including
the sha256 of the sources' bytes. The gate keeps no cache and must still block, and check
an edited source file in full.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner, Result

from assay.cli.app import app
from assay.controls.loader import Library, load_library
from assay.controls.model import Control
from tests.cli.sample import Sample, make_sample


def gate(runner: CliRunner, sample: Sample) -> Result:
    args = ["gate", "--service", "payments", "--stage", "release", "-w", str(sample.root)]
    return runner.invoke(app, args)


def blocked_release(tmp_path: Path, runner: CliRunner) -> Sample:
    sample = make_sample(tmp_path / "ws")
    sample.good_evidence(git_history__review_ratio=0.5)
    sample.attestation()
    attested = runner.invoke(app, ["attest", "attestations/restore.yaml", "-w", str(sample.root)])
    assert attested.exit_code == 0, attested.output
    return sample


def forge(sample: Sample) -> None:
    """What an attacker with write access to .assay/ plants there."""
    source = load_library([sample.root / "controls"], builtin=False, display_root=sample.root)
    loose = []
    for control in source.sorted():
        data = control.to_dict()
        for test in data["tests"]:
            test["expectation"] = {}  # anything passes
        loose.append({**data, "source": control.source})
    forged = Library({item["id"]: Control.from_dict(item, source=item["source"]) for item in loose})
    data = {"format": 2, "controls": loose, "overridden": {}, "digest": forged.digest}
    sources = sorted((sample.root / "controls").glob("*.yaml"))
    data["checked"] = [hashlib.sha256(p.read_bytes()).hexdigest() for p in sources]
    for name in ("library-forged.json", f"library-{forged.digest}.json"):
        cache = sample.root / ".assay" / "cache" / name
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(data), encoding="utf-8")


def test_a_rewritten_library_cache_cannot_allow_a_blocked_release(
    tmp_path: Path, runner: CliRunner
) -> None:
    sample = blocked_release(tmp_path, runner)
    first = gate(runner, sample)
    assert first.exit_code == 1, first.output
    assert "CHG-01" in first.stdout
    assert not (sample.root / ".assay" / "cache").exists(), "the gate keeps no cache"
    forge(sample)

    again = gate(runner, sample)
    assert again.exit_code == 1, again.output
    assert again.stdout.splitlines()[0] == first.stdout.splitlines()[0]
    assert "CHG-01" in again.stdout

    validated = runner.invoke(app, ["library", "validate", "-w", str(sample.root)])
    assert validated.exit_code == 0, validated.output
    controls = len(list((sample.root / "controls").glob("*.yaml")))
    assert validated.stdout.startswith(f"ok: {controls} controls, ")


def test_library_validate_checks_the_sources_whatever_the_cache_says(
    tmp_path: Path, runner: CliRunner
) -> None:
    sample = blocked_release(tmp_path, runner)
    assert gate(runner, sample).exit_code == 1
    forge(sample)
    control = sample.root / "controls" / "chg-01.yaml"
    control.write_text(control.read_text().replace("severity: high", "severity: hihg"))
    validated = runner.invoke(app, ["library", "validate", "-w", str(sample.root)])
    assert validated.exit_code == 2
    assert "controls/chg-01.yaml:" in validated.stderr
    blocked = gate(runner, sample)
    assert blocked.exit_code == 2, "an edited source is checked again: the gate cannot decide"
