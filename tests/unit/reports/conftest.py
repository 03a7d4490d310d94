"""Fixtures for report tests: the sample report and one pack rendered per module."""

from __future__ import annotations

import pytest

from assay.reports.gather import gather
from assay.reports.model import ServiceReport
from assay.reports.pdf import Pack, build_pack
from tests.unit.reports.sample import Sample


@pytest.fixture
def sample() -> Sample:
    return Sample()


@pytest.fixture
def report(sample: Sample) -> ServiceReport:
    return gather(sample.sources())


@pytest.fixture(scope="module")
def module_sample() -> Sample:
    return Sample()


@pytest.fixture(scope="module")
def pack(module_sample: Sample) -> Pack:
    """The sample's pack, rendered once per test module (rendering takes seconds)."""
    return build_pack(gather(module_sample.sources()), module_sample.blob, pack_name="pack.pdf")
