"""Collectors are plugins: every built-in is registered through the entry-point group."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from importlib.metadata import EntryPoint

import pytest

import assay.evidence.collectors as package
from assay.errors import CollectorError
from assay.evidence.collectors.interface import ENTRY_POINT_GROUP, Collector
from assay.evidence.registry import collectors_for, load_collectors, load_plugin
from tests.support.entry_points import declared


def built_in_collectors() -> set[type[Collector]]:
    """Every concrete Collector subclass defined in the assay.evidence.collectors package."""
    found: set[type[Collector]] = set()
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for _, value in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(value, Collector)
                and value is not Collector
                and not inspect.isabstract(value)
                and value.__module__ == module.__name__
            ):
                found.add(value)
    return found


def test_every_built_in_collector_is_registered() -> None:
    registered = {type(collector) for collector in load_collectors().values()}
    missing = sorted(c.__qualname__ for c in built_in_collectors() - registered)
    assert missing == [], f"add these to [project.entry-points.{ENTRY_POINT_GROUP!r}]"


def test_the_registered_collectors_are_those_assay_declares() -> None:
    assert sorted(load_collectors()) == sorted(declared(ENTRY_POINT_GROUP))


def test_the_git_collectors_are_repo_collectors() -> None:
    names = {c.name for c in collectors_for("repo")}
    assert {"git.history", "git.tags", "repo.files"} <= names
    assert load_collectors() is load_collectors()  # cached


def entry(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "broken",
            "assay_no_such_module:Thing",
            "collector plugin 'broken' (assay_no_such_module:Thing) cannot be loaded: "
            "ModuleNotFoundError: No module named 'assay_no_such_module'",
        ),
        ("dumps", "json:dumps", "collector plugin 'dumps' (json:dumps) is not a Collector class"),
        (
            "renamed",
            "assay.evidence.collectors.git_tags:GitTagsCollector",
            "collector plugin 'renamed' (assay.evidence.collectors.git_tags:GitTagsCollector) "
            "is invalid: its name 'git.tags' differs from the entry point",
        ),
    ],
)
def test_a_bad_plugin_is_an_error_naming_it(name: str, value: str, message: str) -> None:
    with pytest.raises(CollectorError) as caught:
        load_plugin(entry(name, value))
    assert caught.value.message == message
