"""Reading a window of history fast: one ``git rev-list --header`` stream, parsed in bulk.

``rev-list --header`` prints every commit as its raw object text (id, headers, then the
message with each line indented by four spaces), NUL-terminated. The stream is read in
1 MiB chunks; each chunk's complete records are handled with a few C-level operations
(``split``, ``findall``) rather than Python work per line, and only the first-parent
line's commits are parsed in full. The first-parent line is followed while the stream
arrives: each change set is handed to the caller as soon as its record and those of
the change sets after it have been read, so that work overlaps git's. Raw headers show
a ``gpgsig`` header without verifying it, so signature detection costs a substring test.

The stream is started by GitPython's ``Git.execute`` (``as_process``) through
:meth:`assay.evidence.git.policy.Git.stream`; only the records not yet consumed by the
line walk are held, so memory grows with the commits off the first-parent line.

Because message lines are indented and continuation lines of multi-line headers (a
signature, a merge tag) start with a space, only a real header can follow a newline
directly: ``\\nauthor `` and ``\\ngpgsig`` can only be headers. Text after a NUL inside a
commit message (which git's own tools refuse to write) is ignored; it can never be
taken for another commit, because a commit record must begin ``<id>\\ntree ``.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, NamedTuple

from assay.evidence.git.platforms import is_platform_committer
from assay.evidence.git.policy import Git

_AUTHOR_EMAIL = re.compile(rb"\nauthor [^\n<]*<([^\n>]*)>")
_COMMITTED = re.compile(rb"\ncommitter [^\n]*> (\d+) ")
_SIGNATURE = re.compile(rb"\ngpgsig(?:-sha256)? ")
_CHANGE_SET = re.compile(
    rb"([0-9a-f]+)\ntree [0-9a-f]+\n((?:parent [0-9a-f]+\n)*)author ([^\n]*)\ncommitter ([^\n]*)\n"
)
CHUNK = 1 << 20


@dataclass
class Walk:
    """Every commit of the window: counts, and the records the line walk has yet to reach.

    ``line`` is the next commit of the first-parent line (the head at first); ``visit``
    gets each change set of the line, newest first, whose time is within the window.
    """

    until: int
    line: bytes | None = None
    visit: Callable[[ChangeSet], None] = lambda _: None
    records: dict[bytes, tuple[bytes | None, bytes]] = field(default_factory=dict)
    counted: int = 0
    signed: list[bytes] = field(default_factory=list)
    platform_signed: int = 0
    emails: set[bytes] = field(default_factory=set)
    #: The first-parent line's merges, newest first: id, then its "parent <id>\n" lines,
    #: flat (bytes are not containers, so holding them costs the cycle collector nothing).
    line_merges: list[bytes] = field(default_factory=list)

    def take(self, block: bytes) -> None:
        """Add the complete records in ``block`` (NUL-separated, no partial record)."""
        records = self.records
        fresh: list[bytes] = []
        for piece in block.split(b"\0"):
            width = piece.find(b"\n")
            if (width != 40 and width != 64) or piece[width : width + 6] != b"\ntree ":
                continue  # empty, or text after a NUL inside a message
            line = 2 * width + 7
            first = (
                piece[line + 7 : line + 7 + width] if piece[line : line + 7] == b"parent " else None
            )
            records[piece[:width]] = (first, piece)
            fresh.append(piece)
        times = [int(t) for t in _COMMITTED.findall(block)]
        if times and max(times) > self.until:
            fresh = [p for p in fresh if int(_COMMITTED.findall(p)[0]) <= self.until]
            block = b"\0".join(fresh)  # commits "after" the head are walked, not counted
        self.counted += len(fresh)
        self.emails.update(_AUTHOR_EMAIL.findall(block))
        for match in _SIGNATURE.finditer(block):
            start = block.rfind(b"\0", 0, match.start()) + 1
            sha = block[start : block.find(b"\n", start)]
            if not self.signed or self.signed[-1] != sha:
                self.signed.append(sha)
                committer = block.rfind(b"\ncommitter ", start, match.start()) + 11
                self.platform_signed += committer > 10 and is_platform_committer(
                    block[committer : block.find(b"\n", committer)]
                )
        self.follow()

    def follow(self) -> None:
        """Walk the first-parent line as far as the records read so far reach."""
        records, until, visit = self.records, self.until, self.visit
        sha = self.line
        while sha is not None and sha in records:
            first, record = records.pop(sha)  # popped: a cycle cannot be walked twice
            commit = change_set(record)
            if commit is None:
                sha = None
                break
            if commit.time <= until:
                visit(commit)
            if len(commit.parent_lines) > len(sha) + 8:  # a merge
                self.line_merges += (sha, commit.parent_lines)
            sha = first
        self.line = sha

    def merged_authors(self, wanted: set[bytes]) -> Iterator[tuple[bytes, set[bytes]]]:
        """For each merge of the first-parent line in ``wanted``, oldest first: the merge
        and the authors (``Name <email>``, raw) of the commits it brought in.

        The commits a merge brings in are those reachable from its later parents but not
        from its first: ``git rev-list first..merge``. Each commit off the line belongs to
        the oldest merge of the line that reaches it, so walking the line's merges oldest
        first, each claiming the unclaimed side commits its later parents reach, gives
        every merge exactly its own, with every side commit visited once: the records
        left once the line walk is done are the side commits, and a claimed one is
        dropped. Side commits older than the window were not streamed, so a branch that
        began before the window contributes only its commits inside it.

        Each merge's authors are handed over as soon as they are known rather than kept:
        tens of thousands of sets held at once would cost the cycle collector more than
        the walk.
        """
        pop = self.records.pop
        remaining = len(wanted)
        merges = self.line_merges
        for index in range(len(merges) - 2, -1, -2):
            merge, parent_lines = merges[index], merges[index + 1]
            if not remaining:
                break
            authors: set[bytes] | None = None
            add: Callable[[bytes], None] | None = None
            if merge in wanted:
                authors = set()
                add = authors.add
                remaining -= 1
            width = len(merge)
            step = width + 8  # one "parent <id>\n" line
            second = 2 * width + 7 + step  # where a record's second parent line would be
            stack = [parent_lines[step + 7 : step + 7 + width]]
            for at in range(2 * step, len(parent_lines), step):  # an octopus merge's others
                stack.append(parent_lines[at + 7 : at + 7 + width])
            while stack:
                # Down a chain of first parents, with any later parents on the stack.
                entry = pop(stack.pop(), None)
                while entry is not None:  # else on the line, claimed, or outside the window
                    first, piece = entry
                    if first is None:
                        at = second - step
                        entry = None
                    else:
                        at = second
                        while piece.startswith(b"parent ", at):  # a merge on the side
                            stack.append(piece[at + 7 : at + 7 + width])
                            at += step
                        entry = pop(first, None)
                    if add is not None:
                        add(piece[at + 7 : piece.find(b">", at) + 1])
            if authors is not None:
                yield merge, authors


#: Blocks read ahead of the parsing, at most: git runs on while Python parses (on another
#: core), and memory stays bounded.
AHEAD = 4


def read_ahead(stream: IO[bytes], size: int, depth: int = AHEAD) -> Generator[bytes, None, None]:
    """The blocks of ``stream``, read by a thread of their own.

    Reading a pipe only when the parser is ready for more would leave git waiting on a
    full pipe while Python parses, and Python waiting on git while it reads: the two
    would take turns. A reader thread keeps the pipe drained, up to ``depth`` blocks
    ahead. Leaving early stops the thread at its next block (the caller then ends git).
    """
    blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    failure: list[BaseException] = []

    def offer(item: bytes | None) -> None:
        """Queue ``item`` once there is room, unless the reader has gone."""
        while not stop.is_set():
            try:
                blocks.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def pump() -> None:
        try:
            while not stop.is_set() and (block := stream.read(size)):
                offer(block)
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, who raises it
            failure.append(exc)
        finally:
            offer(None)

    thread = threading.Thread(target=pump, name="git-read-ahead", daemon=True)
    thread.start()
    try:
        while (block := blocks.get()) is not None:
            yield block
        thread.join()
        if failure:
            raise failure[0]
    finally:
        stop.set()


def walk(
    git: Git,
    head: str,
    since: int,
    until: int,
    visit: Callable[[ChangeSet], None] = lambda _: None,
) -> Walk:
    """Read every commit reachable from ``head`` through commits no older than ``since``,
    handing each change set of the first-parent line to ``visit`` on the way.

    The records left in the result are the commits off the first-parent line, for
    :meth:`Walk.merged_authors`; the caller drops them when done."""
    found = Walk(until, head.encode(), visit)
    with git.stream("rev-list", "--header", f"--max-age={since}", head, "--") as out:
        pending = b""
        for block in read_ahead(out, CHUNK):
            pending += block
            cut = pending.rfind(b"\0")
            if cut >= 0:
                found.take(pending[:cut])
                pending = pending[cut + 1 :]
        if pending:
            found.take(pending)
    return found


class ChangeSet(NamedTuple):
    """One commit of the first-parent line, kept raw; fields are decoded when asked for.

    A named tuple: one is built for every change set, and a tuple is the cheapest
    immutable record to build.
    """

    id: bytes
    parent_lines: bytes  # "parent <id>\n" per parent
    author: bytes  # "Name <email> time zone"
    committer: bytes  # "Name <email> time zone"
    time: int
    message: bytes  # indented by four spaces, as rev-list prints it

    @property
    def sha(self) -> str:
        return self.id.decode()

    @property
    def parents(self) -> tuple[str, ...]:
        return tuple(line[7:].decode() for line in self.parent_lines.splitlines())

    @property
    def is_merge(self) -> bool:
        return self.parent_lines.count(b"\n") > 1

    @property
    def author_name(self) -> str:
        return self.author[: self.author.rfind(b"<")].strip().decode("utf-8", "replace")

    @property
    def author_email(self) -> str:
        start, end = self.author.rfind(b"<"), self.author.rfind(b">")
        return self.author[start + 1 : end].decode("utf-8", "replace")

    @property
    def by_platform(self) -> bool:
        """Whether a code host committed it (see :mod:`assay.evidence.git.platforms`)."""
        return is_platform_committer(self.committer)


def change_set(record: bytes) -> ChangeSet | None:
    match = _CHANGE_SET.match(record)
    if match is None:
        return None
    sha, parents, author, committer = match.groups()
    try:
        when = int(committer.rsplit(b" ", 2)[-2])
    except (IndexError, ValueError):
        return None
    body = record.find(b"\n\n", match.end() - 1)
    message = record[body + 2 :] if body >= 0 else b""
    return ChangeSet(sha, parents, author, committer, when, message)
