"""One reading of the CI environment: collection, ci.run and ledger contexts agree."""

from __future__ import annotations

import pytest

from assay.evidence.collect import in_ci
from assay.evidence.collectors.ci_run import provider_of
from assay.evidence.context import ci_provider, collection_context

CASES = [
    ({}, None),
    ({"CI": "false"}, None),
    ({"CI": "0", "GITHUB_ACTIONS": ""}, None),
    ({"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "7"}, "github"),
    ({"GITLAB_CI": "true", "CI_PIPELINE_ID": "9"}, "gitlab"),
    ({"ASSAY_CI_RUN_ID": "42", "CI": "true"}, "generic"),
    ({"JENKINS_URL": "https://ci.example.org/", "BUILD_ID": "5"}, "unknown"),
    ({"TF_BUILD": "True"}, "unknown"),
]


@pytest.mark.parametrize(("env", "provider"), CASES)
def test_every_reader_agrees_on_the_ci_system(env: dict[str, str], provider: str | None) -> None:
    assert ci_provider(env) == provider
    assert in_ci(env) is (provider is not None)
    assert provider_of(env) == (None if provider == "unknown" else provider)
    context = collection_context(env)
    if provider is None:
        assert set(context) == {"user", "host"}
    else:
        assert context["ci"] == provider
        assert "user" not in context


def test_the_run_id_is_kept_for_other_ci_systems() -> None:
    jenkins = {"JENKINS_URL": "https://ci.example.org/", "BUILD_ID": "5"}
    assert collection_context(jenkins) == {"ci": "unknown", "run_id": "5"}
    generic = {"ASSAY_CI_RUN_ID": "42", "ASSAY_CI_RUN_URL": "https://ci.example.org/42"}
    assert collection_context(generic) == {
        "ci": "generic",
        "run_id": "42",
        "run_url": "https://ci.example.org/42",
    }
