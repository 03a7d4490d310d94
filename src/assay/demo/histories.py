"""Turn a scripted history (changes, reviewed merges, tags) into a real repository.

A history is a list of events at fixed times, so the demo is the same on every run:

- :class:`Change`: one commit straight on ``main``;
- :class:`Merge`: commits on a feature branch, then a ``--no-ff`` style merge commit;
- :class:`Tag`: a tag (lightweight, annotated or signed) on the current ``main``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from assay.demo.gitbuild import FILE, Person, RepoBuilder, SshSigner

#: 2026-01-05T09:00:00Z, a Monday: the first event of every demo history.
START = 1_767_603_600
HOUR = 3600

Files = dict[str, str | bytes | None]


@dataclass(frozen=True)
class Change:
    message: str
    files: Files
    author: Person
    signed: bool = False
    gap_hours: int = 30


@dataclass(frozen=True)
class Merge:
    branch: tuple[Change, ...]
    message: str
    merger: Person
    signed: bool = False
    gap_hours: int = 30


@dataclass(frozen=True)
class Tag:
    name: str
    message: str = ""
    annotated: bool = True
    signed: bool = False
    tagger: Person | None = None


Event = Change | Merge | Tag


Tree = dict[str, tuple[str, bytes]]


def _apply(base: Tree, changes: Files) -> Tree:
    updated = dict(base)
    for path, content in changes.items():
        if content is None:
            updated.pop(path, None)
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            updated[path] = (FILE, data)
    return updated


@dataclass
class _State:
    builder: RepoBuilder
    files: Tree = field(default_factory=dict)
    head: str | None = None
    clock: int = START

    def commit(self, files: Tree, parents: list[str], change: Change) -> str:
        self.clock += change.gap_hours * HOUR
        tree = self.builder.tree(files)
        return self.builder.commit(
            tree, parents, change.author, self.clock, change.message, sign=change.signed
        )


def build_history(path: Path, events: list[Event], signer: SshSigner | None) -> RepoBuilder:
    """Write the repository for ``events`` at ``path``; returns its builder."""
    state = _State(RepoBuilder(path, signer))
    for event in events:
        if isinstance(event, Change):
            state.files = _apply(state.files, event.files)
            state.head = state.commit(state.files, [state.head] if state.head else [], event)
        elif isinstance(event, Merge):
            branch_files, branch_head = state.files, state.head
            for change in event.branch:
                branch_files = _apply(branch_files, change.files)
                parents = [branch_head] if branch_head else []
                branch_head = state.commit(branch_files, parents, change)
            assert state.head is not None
            assert branch_head is not None
            merge = Change(event.message, {}, event.merger, event.signed, event.gap_hours)
            state.files = branch_files
            state.head = state.commit(branch_files, [state.head, branch_head], merge)
        else:
            assert state.head is not None
            tagger = event.tagger or Person("Release Bot", "release-bot@example.org")
            if event.annotated:
                state.builder.tag(
                    event.name, state.head, tagger, state.clock + HOUR, event.message,
                    sign=event.signed,
                )  # fmt: skip
            else:
                state.builder.set_ref(f"refs/tags/{event.name}", state.head)
    assert state.head is not None
    state.builder.set_ref("refs/heads/main", state.head)
    state.builder.finish()
    return state.builder
