"""What code hosts write into the commits they make, as git shows it.

A code host makes commits itself when a pull or merge request is merged in its web
interface, and git records that in two places:

- **the committer.** GitHub commits squash merges, rebase merges and merge commits (and
  commits made in its web editor) as ``GitHub <noreply@github.com>``, and signs them
  with its web-flow key. GitHub Enterprise Server writes ``GitHub Enterprise`` with the
  instance's ``noreply@<host>`` address. GitLab commits as the merging user unless the
  instance signs web commits, in which case the committer is ``GitLab
  <noreply@gitlab.com>`` (or ``no-reply@...``; the instance's administrators choose the
  address).
- **the message.** GitHub's merge commits begin ``Merge pull request #N from``, its squash
  merges end their subject with ``(#N)`` unless the merger edits it; GitLab's merge commits
  end ``See merge request group/project!N``; Bitbucket writes ``(pull request #N)`` and
  Azure DevOps ``Merged PR N:`` (see :func:`assay.evidence.git.messages.raw_has_pr_ref`).

Neither is proof: anyone can set a committer name or type a message locally. A
signature is: list the host's signing key in the repository's allowed signers and
``verified_commits`` counts the host's commits it really signed. What git cannot show at
all is what happened on the host: a squash or rebase merge keeps no trace of the
request's approvals, and GitLab's squash commits in fast-forward mode carry neither a
host committer nor a reference. Those change sets are counted as direct pushes unless
their message names the request.
"""

from __future__ import annotations

import re

#: The committer a code host writes, at the start of a raw ``committer`` header value
#: ("Name <email> time zone"): GitHub.com by its address, GitHub Enterprise Server and
#: GitLab by their name and a no-reply address on the instance's host.
_PLATFORM_COMMITTER = re.compile(
    rb"(?:[^<\n]*<noreply@github\.com>|(?:GitHub|GitHub Enterprise|GitLab) <no-?reply@[^>\s]+>)"
)


def is_platform_committer(committer: bytes) -> bool:
    """Whether a raw committer value (``Name <email> time zone``) is a code host's own."""
    return _PLATFORM_COMMITTER.match(committer) is not None
