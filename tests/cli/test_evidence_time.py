"""Evidence time through the commands: claimed times are claims, "latest" is ledger order."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assay.cli.app import app
from assay.durations import CLOCK_SKEW, utc_now
from assay.evidence.store import open_store
from tests.cli.sample import Sample, make_sample


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "ws")


def invoke(runner: CliRunner, sample: Sample, *args: str) -> Result:
    return runner.invoke(app, [*args, "-w", str(sample.root)])


def gate(runner: CliRunner, sample: Sample, *args: str) -> Result:
    return invoke(runner, sample, "gate", "--service", "payments", "--stage", "release", *args)


def stored_counts(sample: Sample) -> tuple[int, int]:
    with open_store(sample.url) as store:
        counts = store.counts()
    return counts.evidence, counts.assessments


@pytest.mark.parametrize("command", ["gate", "check"])
def test_recording_commands_refuse_an_as_of_in_the_future(
    runner: CliRunner, sample: Sample, command: str
) -> None:
    sample.good_evidence()
    before = stored_counts(sample)
    args = ("-s", "payments") if command == "check" else ()
    run = gate if command == "gate" else lambda r, s, *a: invoke(r, s, "check", *args, *a)
    result = run(runner, sample, "--as-of", "2999-12-31")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --as-of 2999-12-31T23:59:59Z is in the future")
    assert "Traceback" not in result.output
    assert stored_counts(sample) == before  # nothing recorded


def test_as_of_within_the_clock_skew_is_accepted(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence()
    soon = (utc_now() + CLOCK_SKEW - timedelta(seconds=30)).isoformat()
    result = invoke(runner, sample, "check", "-s", "payments", "--as-of", soon, "--no-fail")
    assert result.exit_code == 0, result.output
    later = (utc_now() + CLOCK_SKEW + timedelta(minutes=1)).isoformat()
    refused = invoke(runner, sample, "check", "-s", "payments", "--as-of", later)
    assert refused.exit_code == 2, refused.output
