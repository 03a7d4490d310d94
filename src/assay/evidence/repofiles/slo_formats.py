"""SLO definitions in the formats teams write them, read into one shape.

Three file formats, told apart by their own markers:

- **OpenSLO v1** (``apiVersion: openslo/v1``): every ``kind: SLO`` document gives one
  objective per entry of ``spec.objectives`` (``target`` as a fraction, or
  ``targetPercent``); the window is ``spec.timeWindow[0].duration`` (``28d``, ``4w``,
  ``1M`` ...); the SLI is ``indicatorRef`` or the inline ``indicator``'s name; alerting is
  a non-empty ``spec.alertPolicies``. Other OpenSLO kinds (SLI, AlertPolicy, Service ...)
  are valid and give no objectives.
- **Sloth** (``version: prometheus/v1``, or the Kubernetes ``PrometheusServiceLevel``):
  each of ``slos`` is an objective with ``objective`` as a percentage and Sloth's default
  30-day window; alerting is an ``alerting`` block that leaves at least one of
  ``page_alert`` and ``ticket_alert`` enabled (Sloth then generates burn-rate alerts).
- **Assay's simple form**: a top-level ``slos`` list (no ``version``) of ``{name,
  objective, window, sli, error_budget_policy, alerting}``, the same shape as a service
  file's ``slos``; ``objective`` is a ratio (0.999) and ``window`` an ISO 8601 duration
  or a shorthand (``28d``). Top-level ``error_budget_policy`` and ``alerting`` apply to
  every objective that does not set its own.

An **error budget policy** is attached when the objective (or, for the simple form, the
file) has an ``error_budget_policy`` value, or when an OpenSLO document's metadata, or a
Sloth file's or objective's ``labels``/``annotations``, has a key named
``error-budget-policy``, ``errorBudgetPolicy`` or ``error_budget_policy`` (any prefix
before a ``/``). The value must say something: ``true``, a written policy, a URL, or a
path in the repository. A value that looks like a repository path (no spaces, a ``/`` or
a document extension) counts only when that file exists at the commit, so a reference
to a policy nobody wrote does not pass. The same rule reads the simple form's and the
service file's ``alerting`` values.

A document that claims one of these formats but cannot be read as it (no target, a
target out of range, no window ...) raises :class:`BadDefinition` with the JSON path of
the offending value; the caller records it and carries on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Sloth computes SLOs over 30 days unless told otherwise.
SLOTH_WINDOW = "P30D"
ISO_DURATION = re.compile(
    r"^P(?!$)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$"
)
_SHORTHAND = re.compile(r"^([1-9][0-9]{0,5})([mhdwMQY])$")
_UNITS = {"m": "PT{}M", "h": "PT{}H", "d": "P{}D", "w": "P{}W", "M": "P{}M", "Y": "P{}Y"}
_POLICY_KEY = "errorbudgetpolicy"
_NEGATIVE = frozenset({"", "false", "no", "none", "n/a", "na", "null", "-"})
_DOCUMENT_SUFFIX = re.compile(r"\.(md|markdown|rst|txt|adoc|pdf|html?|ya?ml|json|docx?|odt)$", re.I)
_SLI_WORDS = (
    (
        "availability",
        frozenset({"availability", "available", "uptime", "success", "error", "errors"}),
    ),
    ("latency", frozenset({"latency", "duration", "slow", "p99", "p95", "p90", "p50"})),
    ("freshness", frozenset({"freshness", "stale", "staleness", "lag", "delay"})),
    ("correctness", frozenset({"correctness", "correct", "accuracy"})),
    ("throughput", frozenset({"throughput"})),
    ("durability", frozenset({"durability"})),
)

JsonPath = tuple[str | int, ...]
#: Whether a repository-relative path is a regular file at the commit.
Exists = Callable[[str], bool]


@dataclass(frozen=True)
class Objective:
    """One SLO objective, as the ``slo.definitions`` facts list it."""

    name: str
    target: float
    window: str
    sli: str
    error_budget_policy: bool
    alerting: bool

    def fact(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "target": self.target,
            "window": self.window,
            "sli": self.sli,
            "error_budget_policy": self.error_budget_policy,
            "alerting": self.alerting,
        }


class BadDefinition(Exception):
    """A document in a known SLO format that cannot be read as that format."""

    def __init__(self, path: JsonPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


# --------------------------------------------------------------------------- values


def iso_duration(value: Any) -> str | None:
    """``28d`` -> ``P28D``, ``4w`` -> ``P4W``, ``1Q`` -> ``P3M``; ISO 8601 kept; else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    short = _SHORTHAND.match(text)
    if short:
        count, unit = int(short.group(1)), short.group(2)
        if unit == "Q":
            return f"P{count * 3}M"
        return _UNITS[unit].format(count)
    upper = text.upper()
    if ISO_DURATION.match(upper) and re.search(r"[1-9]", upper):
        return upper
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def looks_like_path(text: str) -> bool:
    """A repository path rather than prose or a URL: no spaces, a folder or a file type."""
    if not text or any(c.isspace() for c in text) or "://" in text or text.startswith("mailto:"):
        return False
    return "/" in text or bool(_DOCUMENT_SUFFIX.search(text))


def says_something(value: Any, exists: Exists) -> bool:
    """Whether a policy or alerting value attaches one (see the module docstring)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _NEGATIVE:
            return False
        if looks_like_path(text):
            return exists(text.removeprefix("./").lstrip("/"))
        return True
    if isinstance(value, list):
        return any(says_something(item, exists) for item in value)
    if isinstance(value, dict):
        return bool(value)
    return False


def _policy_in(tables: Sequence[Any], exists: Exists) -> bool:
    """An error budget policy key with a meaningful value in any of these mappings."""
    for table in tables:
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            name = str(key).rsplit("/", 1)[-1].lower().replace("-", "").replace("_", "")
            if name.replace(".", "") == _POLICY_KEY and says_something(value, exists):
                return True
    return False


def infer_sli(*texts: Any) -> str | None:
    """What is measured, from whole words in an objective's name or description."""
    words = set(re.split(r"[^a-z0-9]+", " ".join(t.lower() for t in texts if isinstance(t, str))))
    for sli, markers in _SLI_WORDS:
        if words & markers:
            return sli
    return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _mapping(value: Any, path: JsonPath, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadDefinition(path, f"{what} must be a mapping")
    return value


def _list(value: Any, path: JsonPath, what: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise BadDefinition(path, f"{what} must be a non-empty list")
    return value


# --------------------------------------------------------------------------- formats


def format_of(data: Any) -> str | None:
    """``openslo``, ``sloth``, ``simple`` or None (not an SLO document we know)."""
    if not isinstance(data, dict):
        return None
    api = data.get("apiVersion")
    if isinstance(api, str) and api.lower().startswith("openslo/"):
        return "openslo"
    if data.get("version") == "prometheus/v1" or (
        isinstance(api, str)
        and api.startswith("sloth.slok.dev/")
        and data.get("kind") == "PrometheusServiceLevel"
    ):
        return "sloth"
    if "version" not in data and isinstance(data.get("slos"), list):
        return "simple"
    return None


def read_document(data: Any, exists: Exists) -> list[Objective]:
    """Objectives of one YAML document; raises :class:`BadDefinition` when it is unreadable."""
    kind = format_of(data)
    if kind == "openslo":
        return _openslo(data, exists)
    if kind == "sloth":
        return _sloth(data, exists)
    if kind == "simple":
        return simple_form(data["slos"], exists, defaults=data, path=("slos",))
    raise BadDefinition((), "not an OpenSLO, Sloth or simple-form SLO document")


def _openslo(data: dict[str, Any], exists: Exists) -> list[Objective]:
    if data.get("apiVersion") != "openslo/v1":
        raise BadDefinition(("apiVersion",), f"unsupported OpenSLO version {data['apiVersion']!r}")
    if data.get("kind") != "SLO":
        return []  # SLI, AlertPolicy, Service ...: part of OpenSLO, no objective of their own
    meta = _mapping(data.get("metadata"), ("metadata",), "metadata")
    name = _text(meta.get("name"))
    if name is None:
        raise BadDefinition(("metadata", "name"), "metadata.name is missing")
    spec = _mapping(data.get("spec"), ("spec",), "spec")
    windows = spec.get("timeWindow")
    if isinstance(windows, dict):  # one window written as a mapping rather than a list
        windows = [windows]
    windows = _list(windows, ("spec", "timeWindow"), "spec.timeWindow")
    first = windows[0] if isinstance(windows[0], dict) else {}
    window = iso_duration(first.get("duration"))
    if window is None:
        raise BadDefinition(
            ("spec", "timeWindow", 0, "duration"),
            f"spec.timeWindow[0].duration {first.get('duration')!r} is not a duration such as 28d",
        )
    indicator = spec.get("indicator")
    indicator_name = (
        _text(indicator.get("metadata", {}).get("name"))
        if isinstance(indicator, dict) and isinstance(indicator.get("metadata"), dict)
        else None
    )
    sli = _text(spec.get("indicatorRef")) or indicator_name
    policy = _policy_in([meta.get("annotations"), meta.get("labels")], exists)
    policies = spec.get("alertPolicies")
    alerting = isinstance(policies, list) and any(isinstance(p, dict | str) for p in policies)
    objectives = _list(spec.get("objectives"), ("spec", "objectives"), "spec.objectives")
    found = []
    for index, entry in enumerate(objectives):
        where: JsonPath = ("spec", "objectives", index)
        item = _mapping(entry, where, f"spec.objectives[{index}]")
        target = _number(item.get("target"))
        if target is None and _number(item.get("targetPercent")) is not None:
            target = round(float(item["targetPercent"]) / 100, 10)
        if target is None or not 0 < target <= 1:
            raise BadDefinition(
                where,
                f"spec.objectives[{index}] needs a target between 0 and 1 (or targetPercent)",
            )
        label = _text(item.get("name")) or _text(item.get("displayName")) or str(index + 1)
        own_sli = _text(item.get("indicatorRef"))
        found.append(
            Objective(
                name=name if len(objectives) == 1 else f"{name}/{label}",
                target=target,
                window=window,
                sli=own_sli or sli or infer_sli(name, label, spec.get("description")) or name,
                error_budget_policy=policy,
                alerting=alerting,
            )
        )
    return found


def _sloth(data: dict[str, Any], exists: Exists) -> list[Objective]:
    body = data
    base: JsonPath = ()
    if "spec" in data and data.get("version") != "prometheus/v1":
        body, base = _mapping(data.get("spec"), ("spec",), "spec"), ("spec",)
    entries = _list(body.get("slos"), (*base, "slos"), "slos")
    found = []
    for index, entry in enumerate(entries):
        where: JsonPath = (*base, "slos", index)
        item = _mapping(entry, where, f"slos[{index}]")
        name = _text(item.get("name"))
        if name is None:
            raise BadDefinition((*where, "name"), f"slos[{index}].name is missing")
        percent = _number(item.get("objective"))
        if percent is None or not 0 < percent <= 100:
            raise BadDefinition(
                (*where, "objective"), f"slos[{index}].objective must be a percentage up to 100"
            )
        found.append(
            Objective(
                name=name,
                target=round(percent / 100, 10),
                window=SLOTH_WINDOW,
                sli=infer_sli(name, item.get("description")) or name,
                error_budget_policy=_policy_in(
                    [item.get("labels"), item.get("annotations"), body.get("labels")], exists
                ),
                alerting=_sloth_alerting(item.get("alerting")),
            )
        )
    return found


def _sloth_alerting(block: Any) -> bool:
    if not isinstance(block, dict) or not block:
        return False

    def disabled(key: str) -> bool:
        alert = block.get(key)
        return isinstance(alert, dict) and alert.get("disable") is True

    return not (disabled("page_alert") and disabled("ticket_alert"))


def simple_form(
    entries: Any,
    exists: Exists,
    *,
    defaults: Mapping[str, Any] | None = None,
    path: JsonPath = (),
) -> list[Objective]:
    """The simple form's ``slos`` (also a service file's): ratios and ISO 8601 windows."""
    defaults = defaults or {}
    found = []
    for index, entry in enumerate(_list(entries, path, "slos")):
        where: JsonPath = (*path, index)
        item = _mapping(entry, where, f"slos[{index}]")
        name = _text(item.get("name"))
        if name is None:
            raise BadDefinition((*where, "name"), f"slos[{index}].name is missing")
        target = _number(item.get("objective"))
        if target is None or not 0 < target <= 1:
            raise BadDefinition(
                (*where, "objective"),
                f"slos[{index}].objective must be a ratio between 0 and 1, e.g. 0.999",
            )
        window = iso_duration(item.get("window"))
        if window is None:
            raise BadDefinition(
                (*where, "window"),
                f"slos[{index}].window {item.get('window')!r} is not a duration such as P28D",
            )
        policy = item.get("error_budget_policy", defaults.get("error_budget_policy"))
        alerting = item.get("alerting", defaults.get("alerting"))
        found.append(
            Objective(
                name=name,
                target=target,
                window=window,
                sli=_text(item.get("sli")) or infer_sli(name, item.get("description")) or name,
                error_budget_policy=says_something(policy, exists),
                alerting=says_something(alerting, exists),
            )
        )
    return found
