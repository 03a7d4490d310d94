"""Hostile inputs take time linear in their size: doubling one at most doubles the time.

Each family is a worst case an attacker who can push to a repository (or write a
workspace file) could build. It is timed at size N and 2N, as the median of several
runs, and passes when the ratio is at most 2.5 (2 plus a margin for a shared machine):

- process families run the whole ``assay collect`` on a git repository holding the
  hostile file; the time of the same command on a small benign repository is taken off
  first, so the ratio is that of the work the input causes;
- a family whose time at 2N stays under 20 ms is bounded (refused at once), whatever the
  ratio;
- in-process families call the real function directly (said so in the output), where
  the work is too small beside a process's start to be measured through one.

    .venv/bin/python benchmarks/hostile.py [--quick]

Exits 1 when any family misses (or a run fails); prints one line per family.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from _timing import BIN, compile_assay, quick_flag
from assay.errors import InvalidInput
from assay.evidence.ci.definitions import Definition
from assay.evidence.ci.tables import builtin_tables
from assay.evidence.globs import Glob
from assay.evidence.repofiles.file_facts import (
    has_security_contact,
    model_card_sections,
    parse_codeowners,
)
from assay.yamlfile import parse_yaml

LIMIT = 2.5
#: Below this, a time is too small to compare (the input is refused or skipped at once).
FLOOR = 0.02
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_AUTHOR_DATE": "2026-03-01T12:00:00Z",
    "GIT_COMMITTER_DATE": "2026-03-01T12:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def _git(repo: Path, *args: str, stdin: bytes | None = None) -> str:
    result = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=stdin,
        capture_output=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return result.stdout.decode().strip()


def _repository(root: Path, files: dict[str, bytes], provider: str) -> Path:
    """A workspace at ``root`` whose one service's repository holds ``files``.

    The tree is written with git's plumbing, so names may be longer than a file system
    allows (git itself sets no limit; a repository can hold them).
    """
    repo = root / "repos" / "api"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    blobs: dict[bytes, str] = {}
    entries: dict[str, list[str]] = {"": []}
    for path, content in files.items():
        if content not in blobs:
            blobs[content] = _git(repo, "hash-object", "-w", "--stdin", stdin=content)
        folder, _, name = path.rpartition("/")
        entries.setdefault(folder, []).append(f"100644 blob {blobs[content]}\t{name}")
        while folder:  # every ancestor folder gets a tree
            entries.setdefault(folder.rpartition("/")[0], [])
            folder = folder.rpartition("/")[0]
    trees: dict[str, str] = {}
    for folder in sorted(entries, key=lambda f: -(f.count("/") + 1) if f else 1):
        lines = entries[folder] + [
            f"040000 tree {oid}\t{sub.rpartition('/')[2]}"
            for sub, oid in trees.items()
            if sub.rpartition("/")[0] == folder
        ]
        trees[folder] = _git(repo, "mktree", stdin=("\n".join(lines) + "\n").encode())
    commit = _git(repo, "commit-tree", trees[""], "-m", "hostile input")
    _git(repo, "update-ref", "refs/heads/main", commit)
    (root / "services").mkdir()
    (root / "assay.toml").write_text("", encoding="utf-8")
    (root / "services" / "api.yaml").write_text(
        "id: api\nname: api\nowner: team@example.org\ntier: 2\n"
        "repos: [{name: api, path: repos/api}]\n"
        f"pipelines: [{{name: ci, provider: {provider}, repo: api}}]\n",
        encoding="utf-8",
    )
    return root


def _collect_seconds(workspace: Path, runs: int) -> float:
    command = [str(BIN / "assay"), "collect", "-w", str(workspace), "-f", "json"]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "CI": "", "GITHUB_ACTIONS": ""}
    samples = []
    for index in range(runs + 1):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, env=env, check=False)
        if result.returncode != 0:
            raise SystemExit(f"collect failed ({result.returncode}): {result.stderr[-500:]!r}")
        if index:  # the first run creates the store
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _in_process_seconds(action: Callable[[], object], runs: int) -> float:
    action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


# ----------------------------------------------------------------------------- families


def gitlab_glob_files(n: int) -> tuple[dict[str, bytes], str]:
    """``include: local: "*a*a*a*a*a*a*a*a*a*a.yml"`` and ``n`` long near-miss names."""
    files = {
        ".gitlab-ci.yml": b'include:\n  - local: "*a*a*a*a*a*a*a*a*a*a.yml"\n'
        b"test: {script: [pytest]}\n",
    }
    for index in range(n):  # passes the cheap test; ``*`` cannot cross the ``/`` at 1,000
        files["a" * 1000 + f"/{index:06d}a.yml"] = b"not: included\n"
    return files, "gitlab"


def github_expression_files(n: int) -> tuple[dict[str, bytes], str]:
    """A workflow whose run: script is ``n`` unclosed ``${{`` (4 bytes each)."""
    workflow = (
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        "      - run: |\n          echo " + "${{ " * n + "\n"
    )
    return {".github/workflows/ci.yml": workflow.encode()}, "github"


def codeowners_text(n: int) -> str:
    """``n`` rules of pathological globs and owners built to make a regex backtrack."""
    return "".join(
        f"/p{index}/*a*a*a*a*a*a*a*a*a*a/** @org/team x@{'b.' * 30}@ {'*' * 40}\n"
        for index in range(n)
    )


def star_line(n: int) -> Callable[[], object]:
    glob = Glob("*" * n + "a[xy]c")
    path = "a" * n + "c"
    return lambda: glob.match(path)


def glob_path(n: int) -> Callable[[], object]:
    glob = Glob("*a*a*a*a*a*a*a*a*a*a[xy]c")
    path = "a" * n + "c"
    return lambda: glob.match(path)


def deep_yaml(n: int) -> Callable[[], object]:
    data = ("[" * n + "]" * n).encode()

    def parse() -> object:
        try:
            parse_yaml(data, ".github/workflows/deep.yml")
        except InvalidInput:
            return None
        raise SystemExit("deeply nested YAML was not refused")

    return parse


def table_scan(n: int) -> Callable[[], object]:
    tables = builtin_tables()
    text = "mvn gradle make curl " * n  # the table patterns with .* after a prefix
    runs = iter(range(1_000_000))

    def scan() -> object:
        fresh = f"{text}{next(runs)}"  # the tables remember texts they have seen
        definition = Definition("ci.yml", "github")
        definition.script(1, fresh, tables, [fresh])
        return definition

    return scan


def tag_glob(n: int) -> Callable[[], object]:
    tags = ["v" + "a" * n + "b"] * 4
    return lambda: [fnmatchcase(tag, "v*a*a*a*a*a*a*a*a*a*a") for tag in tags]


def security_policy(n: int) -> Callable[[], object]:
    text = "a" * n  # one word the address pattern could start anywhere in
    return lambda: has_security_contact(text)


def model_card(n: int) -> Callable[[], object]:
    markdown = "# a" + " " * n + "x\n"  # a heading line of spaces
    keys = "A" + " " * n + "x\n"
    return lambda: (model_card_sections(markdown, "card.md"), model_card_sections(keys, "c.yml"))


@dataclass(frozen=True)
class Family:
    name: str
    size: int
    unit: str
    process: Callable[[int], tuple[dict[str, bytes], str]] | None = None
    function: Callable[[int], Callable[[], object]] | None = None


FAMILIES = (
    Family("gitlab include glob *a x10", 2000, "long file names", process=gitlab_glob_files),
    Family("github run: of unclosed ${{", 60_000, "openings", process=github_expression_files),
    Family(
        "CODEOWNERS pathological rules",
        10_000,
        "rules",
        function=lambda n: lambda: parse_codeowners(codeowners_text(n)),
    ),
    Family("SECURITY.md of one long word", 2_000_000, "chars", function=security_policy),
    Family("model card heading of spaces", 2_000_000, "spaces", function=model_card),
    Family("glob of n stars", 200_000, "stars and path chars", function=star_line),
    Family("glob *a x10 on a long path", 200_000, "path chars", function=glob_path),
    Family("deeply nested YAML (refused)", 500_000, "brackets", function=deep_yaml),
    Family("CI table patterns on one line", 3_000, "words x4", function=table_scan),
    Family("tag_pattern glob (fnmatch)", 1_000_000, "tag chars", function=tag_glob),
)


def _measure(family: Family, size: int, runs: int, folder: Path, baseline: float) -> float:
    if family.process is not None:
        files, provider = family.process(size)
        workspace = _repository(folder / f"{family.process.__name__}-{size}", files, provider)
        return max(_collect_seconds(workspace, runs) - baseline, 0.0)
    assert family.function is not None
    return _in_process_seconds(family.function(size), runs)


def main() -> int:
    quick = quick_flag(sys.argv)
    runs = 3 if quick else 5
    compile_assay()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="assay-hostile-") as temp:
        folder = Path(temp)
        baselines: dict[str, float] = {}
        for provider in ("gitlab", "github"):
            benign = {
                ".gitlab-ci.yml" if provider == "gitlab" else ".github/workflows/ci.yml": (
                    b"test: {script: [pytest]}\n"
                    if provider == "gitlab"
                    else b"on: push\njobs: {a: {runs-on: x, steps: [{run: pytest}]}}\n"
                )
            }
            workspace = _repository(folder / f"benign-{provider}", benign, provider)
            baselines[provider] = _collect_seconds(workspace, runs)
        print(f"{'family':<34} {'how':<11} {'N':>8} {'t(N)':>9} {'t(2N)':>9} {'ratio':>6}")
        for family in FAMILIES:
            baseline = 0.0
            if family.process is not None:
                baseline = baselines[family.process(1)[1]]
            small = _measure(family, family.size, runs, folder, baseline)
            large = _measure(family, 2 * family.size, runs, folder, baseline)
            ratio = large / max(small, 1e-3)
            verdict = "bounded" if large < FLOOR else "ok" if ratio <= LIMIT else "MISS"
            failed += verdict == "MISS"
            how = "collect" if family.process is not None else "in-process"
            print(
                f"{family.name:<34} {how:<11} {family.size:>8} {small * 1000:7.0f}ms "
                f"{large * 1000:7.0f}ms {ratio:6.2f} {verdict}  (N = {family.unit})",
                flush=True,
            )
        taken = ", ".join(f"{name} {value * 1000:.0f} ms" for name, value in baselines.items())
        print(f"process times have the benign collect taken off ({taken})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
