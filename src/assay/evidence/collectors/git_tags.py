"""``git.tags``: the release tags of a repository and whether they can be trusted.

Two ``git for-each-ref`` calls do the work: one lists every tag with its object type,
target, dates and signature block, the other lists the tags reachable from the
branch head (``--merged``), which is far cheaper than one ancestry test per tag.
Tags are matched against the glob (``v*`` unless configured) in Python, so the
pattern is never handed to git.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

from assay.durations import isoformat
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.git.policy import Git, records
from assay.evidence.git.tally import ratio
from assay.evidence.model import EvidenceDraft

LISTED = 200

# Fields of one tag, NUL-separated, one tag per record ending in a 0x1e separator.
_FORMAT = (
    "%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)%00"
    "%(taggerdate:unix)%00%(*committerdate:unix)%00%(committerdate:unix)%00"
    "%(contents:signature)%1e"
)


def _tag_rows(git: Git, head: str) -> list[dict[str, Any]]:
    reachable = {
        line.decode("utf-8", "replace")
        for line in git.run(
            "for-each-ref", "--format=%(refname)", f"--merged={head}", "refs/tags/"
        ).splitlines()
    }
    rows: list[dict[str, Any]] = []
    nested: list[dict[str, Any]] = []
    with git.stream("for-each-ref", f"--format={_FORMAT}", "refs/tags/") as out:
        for record in records(out, b"\x1e"):
            fields = record.lstrip(b"\n").split(b"\0")
            if len(fields) != 9:
                continue
            ref = fields[0].decode("utf-8", "replace")
            kind = fields[1].decode()
            row: dict[str, Any] = {
                "ref": ref,
                "name": ref.removeprefix("refs/tags/"),
                "annotated": kind == "tag",
                "signed": kind == "tag" and bool(fields[8].strip()),
                "reachable": ref in reachable,
            }
            if kind == "commit":
                row["commit"] = fields[2].decode()
                row["time"] = _int(fields[7])
            elif kind == "tag" and fields[3] == b"commit":
                row["commit"] = fields[4].decode()
                row["time"] = _int(fields[5]) or _int(fields[6])
            elif kind == "tag" and fields[3] == b"tag":
                row["tagger_time"] = _int(fields[5])
                nested.append(row)
            else:
                continue  # a tag of a tree or blob is not a release
            rows.append(row)
    _peel_nested(git, nested)
    return [row for row in rows if "commit" in row]


def _peel_nested(git: Git, rows: list[dict[str, Any]]) -> None:
    """Resolve tags of tags (rare) to their commit with one rev-parse call."""
    for row in rows:
        code, out, _ = git.run_status(
            "rev-parse", "--verify", "-q", "--end-of-options", f"{row['ref']}^{{commit}}"
        )
        if code != 0:
            continue
        sha = out.decode().strip()
        stamp = git.run("log", "-1", "--format=%ct", sha, "--").strip()
        row["commit"] = sha
        row["time"] = row.pop("tagger_time") or _int(stamp)


def _int(raw: bytes) -> int:
    try:
        return int(raw.strip() or b"0")
    except ValueError:
        return 0


def tag_facts(git: Git, target: RepoTarget, pattern: str) -> dict[str, Any]:
    rows = [row for row in _tag_rows(git, target.commit) if fnmatchcase(row["name"], pattern)]
    rows.sort(key=lambda row: (-row["time"], row["name"]))
    counts = {
        "total": len(rows),
        "annotated": sum(row["annotated"] for row in rows),
        "signed": sum(row["signed"] for row in rows),
        "reachable": sum(row["reachable"] for row in rows),
    }
    listed = [
        {
            "name": row["name"],
            "commit": row["commit"],
            "annotated": row["annotated"],
            "signed": row["signed"],
            "reachable": row["reachable"],
            "tagged_at": isoformat(datetime.fromtimestamp(row["time"], UTC)),
        }
        for row in rows[:LISTED]
    ]
    return {
        "repo": target.name,
        "branch": target.branch_label,
        "head": target.commit,
        "pattern": pattern,
        "tags": listed,
        "counts": counts,
        "latest": rows[0]["name"] if rows else None,
        "latest_signed": rows[0]["signed"] if rows else None,
        "signed_ratio": ratio(counts["signed"], counts["total"]),
    }


class GitTagsCollector(Collector):
    """Lists release tags: annotated, signed, reachable from the branch."""

    name = "git.tags"
    version = "1"
    kinds = ("git.tags",)
    target = "repo"

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        pattern = target.tag_pattern or context.tag_pattern
        facts = tag_facts(Git(target.path, target.name), target, pattern)
        yield EvidenceDraft(
            kind="git.tags",
            service=context.service,
            subject=target.subject,
            observed_at=target.commit_time,
            collector=self.ident,
            facts=facts,
        )
