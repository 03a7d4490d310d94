"""Reading commit messages: git's trailer rules, pull-request and ticket references.

Trailers follow the rules ``git interpret-trailers`` applies: they are the last
paragraph of the message (never the subject paragraph), every line is a
``Token: value`` pair or a continuation of one, except that a block is also accepted
when at least a quarter of its lines are trailers and one of them is a trailer git
itself writes (``Signed-off-by:``, ``(cherry picked from commit ...)``).
"""

from __future__ import annotations

import re
from functools import lru_cache

REVIEW_TOKENS = frozenset({"reviewed-by", "approved-by"})

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_GIT_PREFIXES = ("signed-off-by:", "(cherry picked from commit ")

# A pull or merge request the change came through: GitHub squash "(#123)" and merge
# "Merge pull request #123", GitLab "See merge request group/project!123" or "(!123)",
# Bitbucket "(pull request #12)", Azure DevOps "Merged PR 123:". The patterns work on
# raw message bytes (git's raw format indents message lines by four spaces).
_PR_REF_SOURCE = (
    r"\(#\d+\)|pull request #\d+|merge request [\w./-]*!\d+|\(!\d+\)|^[ \t]*merged pr \d+"
)
_PR_REF_BYTES = re.compile(_PR_REF_SOURCE.encode(), re.IGNORECASE | re.MULTILINE)

# A ticket: a tracker key such as ABC-123, or an issue number such as #123.
_TICKET_SOURCE = r"(?<![A-Za-z0-9_&#])(?:([A-Z][A-Z0-9_]{1,9})-\d+(?![A-Za-z0-9_])|#\d+\b)"
_TICKET_BYTES = re.compile(_TICKET_SOURCE.encode())
# Upper-case words followed by a number that are standards, not tickets.
_NOT_TICKETS_BYTES = frozenset(
    {b"UTF", b"SHA", b"ISO", b"IEC", b"RFC", b"CVE", b"CWE", b"GPL", b"LGPL", b"AGPL", b"PEP"}
    | {b"TLS", b"SSL"}
)

# Cheap test before parsing trailers: most messages name no reviewer at all.
_REVIEW_HINT = re.compile(rb"(?i)(?:reviewed|approved)-by")

_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def block_trailers(block: list[str]) -> list[tuple[str, str]]:
    """The trailers of the message's last paragraph, or none if it is not a trailer block."""
    parsed: list[list[str]] = []
    trailer_lines = non_trailer_lines = 0
    recognised = False
    last_was_trailer = False
    for line in block:
        if line.startswith("#"):
            continue  # a comment line, as git skips them
        if line[:1] in (" ", "\t"):
            # A continuation belongs to the line above it (git counts it with that line).
            if parsed and last_was_trailer:
                trailer_lines += 1
                parsed[-1][1] += " " + line.strip()
            else:
                non_trailer_lines += 1
            continue
        if line.lower().startswith(_GIT_PREFIXES):
            recognised = True
        match = _TRAILER.match(line)
        last_was_trailer = match is not None
        if match:
            trailer_lines += 1
            parsed.append([match.group(1), match.group(2).strip()])
        else:
            non_trailer_lines += 1
            parsed.append(["", line])
    accepted = trailer_lines > 0 and (
        non_trailer_lines == 0 or (recognised and trailer_lines * 3 >= non_trailer_lines)
    )
    if not accepted:
        return []
    return [(token, value) for token, value in parsed if token]


@lru_cache(maxsize=4096)
def identity_keys(name: str, email: str) -> frozenset[str]:
    """Lower-case forms one person may be written as: name and e-mail address."""
    return frozenset(key.strip().lower() for key in (name, email) if key.strip())


@lru_cache(maxsize=4096)
def reviewer_keys(value: str) -> frozenset[str]:
    """``"Bob <bob@x>"`` -> {"bob", "bob@x"}; ``"bob"`` -> {"bob"}."""
    match = _EMAIL.search(value)
    if match:
        return identity_keys(value[: match.start()], match.group(1))
    return identity_keys(value, "")


def independent_review(values: list[str], author: frozenset[str]) -> bool:
    """Whether any reviewer named in ``values`` is someone other than the author."""
    return any((keys := reviewer_keys(value)) and not (keys & author) for value in values)


def raw_has_pr_ref(message: bytes) -> bool:
    """Whether the message names a pull or merge request (``(#12)``, ``!34``, ``PR 77``)."""
    return _PR_REF_BYTES.search(message) is not None


def raw_has_ticket_ref(message: bytes) -> bool:
    """Whether the message names a ticket (``PAY-12``, ``#3``; not ``UTF-8`` or ``SHA-256``)."""
    first = _TICKET_BYTES.search(message)
    if first is None:
        return False
    if first.group(1) not in _NOT_TICKETS_BYTES:
        return True
    return any(m.group(1) not in _NOT_TICKETS_BYTES for m in _TICKET_BYTES.finditer(message))


def raw_reviewers(message: bytes) -> list[str]:
    """Values of the ``Reviewed-by:`` and ``Approved-by:`` trailers of a message in git's raw
    format (lines indented by four spaces), by git's trailer rules.

    Only the last paragraph is decoded and read: it is the only place trailers can be,
    so a 1 MB message costs no more than a short one.
    """
    if _REVIEW_HINT.search(message) is None:
        return []
    body = message.rstrip()
    indented, bare = body.rfind(b"\n    \n"), body.rfind(b"\n\n")
    if indented < 0 and bare < 0:
        return []  # a single paragraph is the subject, never trailers
    block = body[indented + 6 :] if indented > bare else body[bare + 2 :]
    if b"\n" not in block:  # one line: the common "Reviewed-by: name" paragraph
        match = _TRAILER.match(block[4:].decode("utf-8", "replace"))
        if match is None or match.group(1).lower() not in REVIEW_TOKENS:
            return []
        return [match.group(2).strip()]
    text = block.decode("utf-8", "replace")
    lines = [line[4:] if line.startswith("    ") else line.lstrip() for line in text.split("\n")]
    found = block_trailers([line for line in lines if line.strip()])
    return [value for token, value in found if token.lower() in REVIEW_TOKENS]
