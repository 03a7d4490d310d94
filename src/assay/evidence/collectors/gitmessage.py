"""Reading commit messages: git's trailer rules, pull-request and ticket references.

Trailers follow the rules ``git interpret-trailers`` applies: they are the last
paragraph of the message (never the subject paragraph), every line is a
``Token: value`` pair or a continuation of one, except that a block is also accepted
when at least a quarter of its lines are trailers and one of them is a trailer git
itself writes (``Signed-off-by:``, ``(cherry picked from commit ...)``).
"""

from __future__ import annotations

import re

#: Messages longer than this are read as their first and last halves of this size.
MAX_MESSAGE_CHARS = 64 * 1024

REVIEW_TOKENS = frozenset({"reviewed-by", "approved-by"})

_TRAILER = re.compile(r"^([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_GIT_PREFIXES = ("signed-off-by:", "(cherry picked from commit ")

# A pull or merge request the change came through: GitHub squash "(#123)" and merge
# "Merge pull request #123", GitLab "See merge request group/project!123" or "(!123)",
# Bitbucket "(pull request #12)", Azure DevOps "Merged PR 123:".
_PR_REF = re.compile(
    r"\(#\d+\)|pull request #\d+|merge request [\w./-]*!\d+|\(!\d+\)|^merged pr \d+",
    re.IGNORECASE | re.MULTILINE,
)

# A ticket: a tracker key such as ABC-123, or an issue number such as #123.
_TICKET_KEY = re.compile(r"(?<![A-Za-z0-9_])([A-Z][A-Z0-9_]{1,9})-(\d+)(?![A-Za-z0-9_])")
_ISSUE_NUMBER = re.compile(r"(?<![&\w])#\d+\b")
# Upper-case words followed by a number that are standards, not tickets.
_NOT_TICKETS = frozenset(
    {"UTF", "SHA", "ISO", "IEC", "RFC", "CVE", "CWE", "GPL", "LGPL", "AGPL", "PEP", "TLS", "SSL"}
)

_EMAIL = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def clip(message: str) -> str:
    """Bound the work any one message can cause (a 1 MB message is legal in git)."""
    if len(message) <= 2 * MAX_MESSAGE_CHARS:
        return message
    return message[:MAX_MESSAGE_CHARS] + "\n" + message[-MAX_MESSAGE_CHARS:]


def trailers(message: str) -> list[tuple[str, str]]:
    """The ``(token, value)`` trailers of ``message``, in order, per git's rules."""
    lines = message.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    # The subject paragraph (up to the first blank line) is never a trailer block.
    first_blank = next((i for i, line in enumerate(lines) if not line.strip()), None)
    if first_blank is None:
        return []
    start = len(lines)
    while start > first_blank + 1 and lines[start - 1].strip():
        start -= 1
    block = [line for line in lines[start:] if not line.startswith("#")]
    parsed: list[list[str]] = []
    trailer_lines = non_trailer_lines = 0
    recognised = False
    last_was_trailer = False
    for line in block:
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


def reviewers(message: str) -> list[str]:
    """Values of the ``Reviewed-by:`` and ``Approved-by:`` trailers."""
    return [value for token, value in trailers(message) if token.lower() in REVIEW_TOKENS]


def identity_keys(name: str, email: str) -> frozenset[str]:
    """Lower-case forms one person may be written as: name and e-mail address."""
    return frozenset(key.strip().lower() for key in (name, email) if key.strip())


def reviewer_keys(value: str) -> frozenset[str]:
    """``"Bob <bob@x>"`` -> {"bob", "bob@x"}; ``"bob"`` -> {"bob"}."""
    match = _EMAIL.search(value)
    if match:
        return identity_keys(value[: match.start()], match.group(1))
    return identity_keys(value, "")


def independent_review(values: list[str], author: frozenset[str]) -> bool:
    """Whether any reviewer named in ``values`` is someone other than the author."""
    return any((keys := reviewer_keys(value)) and not (keys & author) for value in values)


def has_pr_ref(message: str) -> bool:
    return _PR_REF.search(message) is not None


def has_ticket_ref(message: str) -> bool:
    if _ISSUE_NUMBER.search(message):
        return True
    return any(m.group(1) not in _NOT_TICKETS for m in _TICKET_KEY.finditer(message))
