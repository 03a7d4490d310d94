"""From a service's repo entry to a :class:`RepoTarget`: a clone, a branch and a commit.

Everything is checked before any collector runs, so the user gets one line naming the
repository for each thing that is wrong: not a git repository, an empty repository, a
branch or commit that does not exist. Repositories are opened with GitPython's
``git.Repo`` at exactly the folder named (see :mod:`assay.evidence.git.repository`). URL
repositories are cloned (bare) into ``.assay/repos/<service>/<name>`` with
``Repo.clone_from`` and fetched on every collection.
"""

from __future__ import annotations

import fcntl
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from assay.errors import CollectorError
from assay.evidence.collectors.interface import RepoTarget
from assay.evidence.git.policy import DEFAULT_TIMEOUT, Git, load_layer, safe_url, safe_value
from assay.workspace import RepoRef

#: The label used for the branch when HEAD is detached and no branch is configured.
DETACHED = "HEAD"


def clone_folder(root: Path, service: str, repo: str) -> Path:
    """Where the bare clone of a URL repository lives inside the workspace."""
    return root / ".assay" / "repos" / service / repo


def clone_or_fetch(
    url: str,
    dest: Path,
    display: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Make ``dest`` a bare clone of ``url`` with every branch and tag, current as of now.

    The clone is made by ``Repo.clone_from`` with GitPython's guards against unsafe
    protocols and options on, without templates (no sample hooks) and fetched with
    the hardened configuration; a lock file keeps concurrent collections from
    fetching into the same clone at once.
    """
    safe_url(url)
    layer = load_layer()
    layer.check_url(url)
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock_path = dest.parent / f".{dest.name}.lock"
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / "HEAD").is_file():
            if progress:
                progress(f"cloning {display}")
            staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
            try:
                layer.clone(url, staging / "repo", display, timeout=timeout)
                (staging / "repo").rename(dest)
            finally:  # a failed or timed-out clone leaves no partial pack behind
                shutil.rmtree(staging, ignore_errors=True)
            return
        if progress:
            progress(f"fetching {display}")
        fetcher = Git(dest, display, timeout=timeout)
        try:
            fetcher.run(
                "fetch", "--quiet", "--prune", "--prune-tags", "--force",
                "--no-recurse-submodules", "--", url,
                "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*",
            )  # fmt: skip
        finally:
            fetcher.close()


def open_repository(path: Path, display: str, *, timeout: float = DEFAULT_TIMEOUT) -> Git:
    """A :class:`Git` for ``path`` after checking it is the top of a non-empty repository.

    GitPython opens it first (``git.Repo`` at exactly this folder); git then confirms
    it is a repository's top folder, as git itself sees it.
    """
    if not path.exists():
        raise CollectorError(f"{display}: no such folder")
    if not path.is_dir():
        raise CollectorError(f"{display}: not a folder")
    git = Git(path, display, timeout=timeout)
    git.repo  # noqa: B018 - opening it is the check
    code, out, err = git.run_status("rev-parse", "--is-bare-repository", "--git-dir")
    if code != 0:
        raise git.failure(("rev-parse",), err)
    bare = out.split(b"\n", 1)[0].strip() == b"true"
    if not bare:
        code, out, _ = git.run_status("rev-parse", "--show-toplevel")
        top = Path(out.decode("utf-8", "surrogateescape").strip()) if code == 0 else None
        if top is None or top.resolve() != path.resolve():
            raise CollectorError(f"{display}: not a git repository")
    if not git.run("for-each-ref", "--count=1", "--format=%(refname)").strip():
        code, _, _ = git.run_status("rev-parse", "--verify", "-q", "HEAD^{commit}")
        if code != 0:
            raise CollectorError(f"{display}: repository is empty")
    return git


def default_branch(git: Git) -> str:
    """The remote's default branch if known, else the checked-out branch, else ``HEAD``."""
    for ref in ("refs/remotes/origin/HEAD", "HEAD"):
        code, out, _ = git.run_status("symbolic-ref", "-q", ref)
        name = out.decode("utf-8", "replace").strip()
        if code == 0 and name:
            for prefix in ("refs/remotes/origin/", "refs/heads/"):
                if name.startswith(prefix):
                    branch = name.removeprefix(prefix)
                    if _resolve(git, name) is not None:
                        return branch
    return DETACHED


def _resolve(git: Git, rev: str) -> str | None:
    code, out, _ = git.run_status(
        "rev-parse", "--verify", "-q", "--end-of-options", f"{rev}^{{commit}}"
    )
    sha = out.decode("ascii", "replace").strip()
    return sha if code == 0 and sha else None


def branch_head(git: Git, branch: str) -> str:
    """The commit at the tip of ``branch`` (a local branch, else origin's)."""
    if branch == DETACHED:
        sha = _resolve(git, "HEAD")
        if sha is None:
            raise CollectorError(f"{git.display}: repository is empty")
        return sha
    safe_value(branch, "branch")
    code, _, _ = git.run_status("check-ref-format", "--branch", branch)
    if code != 0:
        raise CollectorError(f"{git.display}: {branch!r} is not a valid branch name")
    for ref in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        sha = _resolve(git, ref)
        if sha is not None:
            return sha
    raise CollectorError(f"branch '{branch}' not found in {git.display}")


def resolve_commit(git: Git, rev: str) -> str:
    safe_value(rev, "commit")
    sha = _resolve(git, rev)
    if sha is None:
        raise CollectorError(f"commit '{rev}' not found in {git.display}")
    return sha


def on_branch_of(git: Git, sha: str, head: str) -> bool:
    """Whether commit ``sha`` is reachable from the branch head ``head``: evidence of a
    commit that is not never stands for the branch."""
    code, _, _ = git.run_status("merge-base", "--is-ancestor", "--end-of-options", sha, head)
    return code == 0


def commit_time(git: Git, sha: str) -> datetime:
    """The committer time of ``sha`` (what periods and ``observed_at`` are anchored to)."""
    raw = git.run("cat-file", "commit", sha)
    header = raw.split(b"\n\n", 1)[0]
    for line in header.split(b"\n"):
        if line.startswith(b"committer "):
            try:
                return datetime.fromtimestamp(int(line.rsplit(b" ", 2)[1]), UTC)
            except (IndexError, ValueError, OverflowError, OSError):
                # Unchecked objects can say anything: a time past the calendar, no time.
                raise CollectorError(
                    f"{git.display}: commit {sha} has an unreadable committer time"
                ) from None
    raise CollectorError(f"{git.display}: commit {sha} has no committer line")


def prepare_repo(
    ref: RepoRef,
    *,
    service: str,
    root: Path,
    display: str,
    path: Path | None = None,
    commit: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> RepoTarget:
    """Resolve one repository of a service to the commit evidence will describe.

    ``path`` overrides where the clone is (``assay collect --repo PATH``); ``commit``
    picks a commit other than the branch head (``--commit REV``).
    """
    if ref.branch is not None:
        safe_value(ref.branch, "branch")
    location = path or ref.path
    if location is None:
        if ref.url is None:  # pragma: no cover - the service schema requires one
            raise CollectorError(f"{display}: neither a path nor a URL is configured")
        location = clone_folder(root, service, ref.name)
        clone_or_fetch(ref.url, location, display, timeout=timeout, progress=progress)
    git = open_repository(location, display, timeout=timeout)
    branch = ref.branch or default_branch(git)
    head = branch_head(git, branch)
    sha = resolve_commit(git, commit) if commit else head
    on_branch = sha == head or on_branch_of(git, sha, head)
    signers = ref.allowed_signers
    if signers is not None and not signers.is_file():
        raise CollectorError(f"{display}: allowed_signers file {signers.name} not found")
    return RepoTarget(
        name=ref.name,
        path=location.resolve(),
        commit=sha,
        branch=branch if on_branch else None,
        commit_time=commit_time(git, sha),
        on_branch=on_branch,
        files=dict(ref.files),
        allowed_signers=signers.resolve() if signers else None,
        tag_pattern=ref.tag_pattern,
    )
