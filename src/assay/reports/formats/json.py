"""The gate's JSON output: the decision, the policy and every result that matters."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from assay.reports.formats.interface import FormatContext, GateFormat

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision


class JsonFormat(GateFormat):
    name = "json"

    def render(self, decision: GateDecision, context: FormatContext) -> str:
        data = {**decision.to_dict(), "tool_version": context.tool_version}
        return json.dumps(data, indent=2, ensure_ascii=False)


FORMAT = JsonFormat()
