"""``ai.evaluation`` and ``ai.model_card`` from Assay's documented JSON formats.

- ``assay.ai-evaluation/v1`` (schema ``ai-evaluation``): metrics with thresholds and
  baselines, fairness metrics per group, the data set and model version;
- ``assay.ai-model-card/v1`` (schema ``ai-model-card``): owner, risk tier, licence and the
  text of each section.

Judgements, so an auditor can check them by hand:

- a metric with direction ``min`` passes when value ≥ threshold, ``max`` when value ≤
  threshold; it regressed when it is worse than its baseline in the same direction;
- a fairness metric passes when ``|value|`` ≤ threshold; ``max_disparity`` is the largest
  ``|value|``;
- ``all_passed``: no metric or fairness metric with a threshold failed;
- a model card section is documented when its content is not empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.durations import isoformat
from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext, Part
from assay.evidence.parsing.own_formats import format_marker, validate
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.values import parse_time
from assay.evidence.repofiles import file_facts

EVALUATION_FORMAT = "assay.ai-evaluation/v1"
MODEL_CARD_FORMAT = "assay.ai-model-card/v1"
MAX_METRICS = 100
MAX_FAIRNESS = 200

#: Model card sections in the order the facts list them (shared with repo.files).
SECTIONS = file_facts.SECTIONS
#: Boolean facts, and the sections any of which documents them.
_TOPICS = {
    "intended_use": ("intended_use",),
    "out_of_scope_use": ("out_of_scope_use",),
    "limitations": ("limitations", "caveats"),
    "training_data": ("training_data",),
    "evaluation_data": ("evaluation_data",),
    "metrics": ("metrics", "evaluation"),
    "ethical_considerations": ("ethical_considerations", "bias_risks"),
    "human_oversight": ("human_oversight",),
}


def _passed(value: float, threshold: float | None, direction: str) -> bool | None:
    if threshold is None:
        return None
    return value >= threshold if direction == "min" else value <= threshold


def _regressed(value: float, baseline: float | None, direction: str) -> bool:
    if baseline is None:
        return False
    return value < baseline if direction == "min" else value > baseline


def evaluation_facts(document: dict[str, Any]) -> dict[str, Any]:
    metrics = []
    regressions = 0
    for item in document["metrics"]:
        direction = item.get("direction", "min")
        threshold, baseline = item.get("threshold"), item.get("baseline")
        metrics.append(
            {
                "name": item["name"],
                "value": item["value"],
                "threshold": threshold,
                "direction": direction,
                "baseline": baseline,
                "passed": _passed(item["value"], threshold, direction),
            }
        )
        regressions += int(_regressed(item["value"], baseline, direction))
    fairness = []
    for item in document.get("fairness", []):
        threshold = item.get("threshold")
        fairness.append(
            {
                "name": item["name"],
                "group": item["group"],
                "value": item["value"],
                "threshold": threshold,
                "passed": None if threshold is None else abs(item["value"]) <= threshold,
            }
        )
    metrics_failed = sum(1 for m in metrics if m["passed"] is False)
    fairness_failed = sum(1 for f in fairness if f["passed"] is False)
    stamp = parse_time(document.get("evaluated_at"))
    dataset = document["dataset"]
    return {
        "model_name": document["model"]["name"],
        "model_version": document["model"].get("version"),
        "evaluated_at": isoformat(stamp) if stamp else None,
        "dataset": {"name": dataset["name"], "version": dataset.get("version")},
        "metrics": metrics[:MAX_METRICS],
        "metrics_total": len(metrics),
        "metrics_failed": metrics_failed,
        "regressions": regressions,
        "fairness": {
            "groups": len({f["group"] for f in fairness}),
            "metrics": fairness[:MAX_FAIRNESS],
            "max_disparity": max((abs(f["value"]) for f in fairness), default=None),
            "failed": fairness_failed,
        },
        "all_passed": metrics_failed == 0 and fairness_failed == 0,
    }


def _documented(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return False


def model_card_facts(document: dict[str, Any], path: str) -> dict[str, Any]:
    sections = document["sections"]
    present = [name for name in SECTIONS if _documented(sections.get(name))]
    facts: dict[str, Any] = {
        "path": path,
        "model_name": document["model"]["name"],
        "model_version": document["model"].get("version"),
        "owner": document.get("owner"),
        "risk_tier": document.get("risk_tier"),
        "license": document.get("license"),
        "sections": present,
    }
    for fact, names in _TOPICS.items():
        facts[fact] = any(name in present for name in names)
    return facts


class _OwnFormatParser(ArtefactParser):
    """A parser for one of Assay's own JSON formats."""

    marker: str
    schema: str

    def recognise(self, found: Recognition) -> bool:
        return format_marker(found) == self.marker

    def document(self, target: ArtefactTarget, found: Recognition) -> dict[str, Any]:
        if found.error is not None:
            raise found.error
        validate(target.data, found.document, self.schema, target.name)
        document: dict[str, Any] = found.document
        return document

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        (part,) = parts
        facts: dict[str, Any] = part.value
        return facts


class EvaluationParser(_OwnFormatParser):
    """``assay.ai-evaluation/v1`` -> ``ai.evaluation``."""

    name = "ai-evaluation"
    version = "1.0.0"
    kind = "ai.evaluation"
    formats = "assay.ai-evaluation/v1 JSON"
    marker = EVALUATION_FORMAT
    schema = "ai-evaluation"

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        document = self.document(target, found)
        facts = evaluation_facts(document)
        return self.part(target, facts, parse_time(facts["evaluated_at"]), "application/json")


class ModelCardParser(_OwnFormatParser):
    """``assay.ai-model-card/v1`` -> ``ai.model_card``."""

    name = "ai-model-card"
    version = "1.0.0"
    kind = "ai.model_card"
    formats = "assay.ai-model-card/v1 JSON"
    marker = MODEL_CARD_FORMAT
    schema = "ai-model-card"

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        document = self.document(target, found)
        facts = model_card_facts(document, target.name)
        stamp = parse_time(document.get("updated_at"))
        return self.part(target, facts, stamp, "application/json")
