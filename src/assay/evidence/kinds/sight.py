"""What each evidence kind lets Assay see, from where, and what it cannot see.

Read from ``sight.yaml`` beside the kinds' schemas. The control catalogue prints it under
each test, so every control's documentation says what its result rests on.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Sight:
    source: str
    sees: str
    cannot_see: str


@cache
def sights() -> dict[str, Sight]:
    """Every described kind's :class:`Sight`, by kind name."""
    text = resources.files(__package__).joinpath("sight.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    return {
        str(kind): Sight(str(entry["source"]), str(entry["sees"]), str(entry["cannot_see"]))
        for kind, entry in raw.items()
    }


def sight(kind: str) -> Sight | None:
    """What ``kind`` lets Assay see; None for a kind (a plugin's) that does not say."""
    return sights().get(kind)


#: What a manual test rests on.
ATTESTED = Sight(
    source="a signed attestation in the governance workspace and its supporting file",
    sees="who states the control is in place, when, and what the supporting file holds",
    cannot_see="whether the practice happens: the result is attested, not tested",
)
