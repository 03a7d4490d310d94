"""The locks every install comes from: complete, hash-pinned, and in step with pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.paths import ROOT

LOCKS = ("requirements/dev.txt", "requirements/runtime.txt")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)")


def pins(path: str) -> dict[str, Version]:
    """Each package the lock installs, with its version; every pin must carry hashes."""
    found: dict[str, Version] = {}
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = PIN.match(line)
        if match is None:
            continue
        assert line.rstrip().endswith("\\"), f"{path}:{number + 1}: {match[1]} has no hash"
        assert lines[number + 1].strip().startswith("--hash=sha256:"), f"{path}:{number + 1}"
        found[canonicalize_name(match[1])] = Version(match[2])
    return found


def project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {"runtime": data["dependencies"], **data["optional-dependencies"]}


@pytest.mark.parametrize(
    ("lock", "groups"),
    [
        ("requirements/runtime.txt", ["runtime"]),
        ("requirements/dev.txt", ["runtime", "test", "dev"]),
    ],
)
def test_each_lock_satisfies_the_requirements_it_serves(lock: str, groups: list[str]) -> None:
    locked = pins(lock)
    for group in groups:
        for text in project()[group]:
            requirement = Requirement(text)
            if requirement.name == "assay":  # the dev extra pulls in the test extra
                continue
            name = canonicalize_name(requirement.name)
            assert name in locked, f"{lock} does not pin {name}"
            assert requirement.specifier.contains(locked[name], prereleases=True), (
                f"{lock} pins {name} {locked[name]}, outside {requirement.specifier}"
            )
    assert "hatchling" in locked, "installs build assay without build isolation"


def test_the_design_packages_are_runtime_requirements() -> None:
    names = {canonicalize_name(Requirement(text).name) for text in project()["runtime"]}
    for package in ("sqlmodel", "typer", "openpyxl", "weasyprint", "jsonschema", "gitpython"):
        assert package in names


def test_the_two_locks_agree_on_every_shared_package() -> None:
    runtime, dev = pins(LOCKS[1]), pins(LOCKS[0])
    assert set(runtime) <= set(dev)
    assert {name: dev[name] for name in runtime} == runtime


def test_make_and_the_shipped_pipelines_install_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes --no-deps -r $(LOCK)" in makefile
    assert "LOCK := requirements/dev.txt" in makefile
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert '--require-hashes --no-deps -r "$GITHUB_ACTION_PATH/requirements/runtime.txt"' in action
    template = (ROOT / "ci" / "gitlab" / "assay.gitlab-ci.yml").read_text(encoding="utf-8")
    assert '--require-hashes --no-deps -r "$ASSAY_LOCK"' in template
