"""git.history on a large generated repository, against raw git and GitPython.

    .venv/bin/python benchmarks/git_history.py [--quick]

A repository of 100,000 commits (10,000 with --quick) is generated once with
``git fast-import`` into benchmarks/.data/ (gitignored) and reused. Its history looks
like a busy service: merges of two-commit feature branches (most carrying a
Reviewed-by trailer), squash-style and direct commits, ticket references, 40 authors,
one commit every 20 minutes. The window covers the whole history, so every commit is
read. (fast-import cannot write signed commits, so no commit carries a signature; the
collector detects one by a header test, which costs the same either way.)

Measured in the same run, each in its own process (median of several runs), as wall
time and as CPU time (the process and its git children; the CPU figures stay
meaningful when other work shares the machine):

- ``git log --first-parent`` printing the fields the collector reads of a change set
  (id, parents, author, committer time, message);
- ``git log`` printing the same fields for every commit. The facts need every commit
  of the window (``commits``, ``authors`` and ``signed_commits`` count the commits
  merges bring in, not only the change sets), so this is git doing the same reading
  the collector asks of it: the like-for-like baseline;
- the collector (``history_facts``), timed inside a process that reports its peak RSS;
- GitPython's ``Repo.iter_commits()`` reading the same fields, on a subset of the
  commits, extrapolated to the whole repository (labelled as such).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
START = 1_600_000_000
STEP = 1200
FIELDS = "--format=%H%x00%P%x00%an%x00%ae%x00%ct%x00%B%x00"
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def _data(text: str) -> bytes:
    raw = text.encode()
    return b"data %d\n%s\n" % (len(raw), raw)


def _person(index: int, when: int) -> bytes:
    return f"Dev {index} <dev{index}@example.org> {when} +0000".encode()


def _stream(total: int) -> Iterator[bytes]:
    """A fast-import stream of ``total`` commits: merges, side commits, direct pushes."""
    mark = 0
    main: int | None = None
    when = START
    pattern = ("merge", "merge", "direct", "merge", "direct")
    number = 0
    while mark < total:
        kind = pattern[number % len(pattern)]
        number += 1
        if kind == "merge" and mark + 3 <= total:
            side = []
            for part in (1, 2):
                mark += 1
                when += STEP
                author = (number * 7 + part) % 40
                path = f"src/feature_{number % 97}.py"
                yield b"commit refs/heads/side\nmark :%d\n" % mark
                yield (
                    b"author "
                    + _person(author, when)
                    + b"\ncommitter "
                    + _person(author, when)
                    + b"\n"
                )
                yield _data(f"PROJ-{number} part {part}\n\nWork on feature {number}.\n")
                if part == 1 and main is not None:
                    yield b"from :%d\n" % main
                elif part == 2:
                    yield b"from :%d\n" % (mark - 1)
                content = f"# feature {number} part {part}\n"
                yield f"M 100644 inline {path}\n".encode() + _data(content)
                side.append((path, content))
            mark += 1
            when += STEP
            merger = number % 40
            trailer = (
                f"\nReviewed-by: Dev {(merger + 1) % 40} <dev{(merger + 1) % 40}@example.org>\n"
            )
            message = f"Merge pull request #{number} from org/feature-{number}\n\nPROJ-{number}\n"
            if number % 10 != 0:
                message += trailer
            yield b"commit refs/heads/main\nmark :%d\n" % mark
            yield (
                b"author " + _person(merger, when) + b"\ncommitter " + _person(merger, when) + b"\n"
            )
            yield _data(message)
            if main is not None:
                yield b"from :%d\n" % main
            yield b"merge :%d\n" % (mark - 1)
            for path, content in side:
                yield f"M 100644 inline {path}\n".encode() + _data(content)
            main = mark
        else:
            mark += 1
            when += STEP
            author = number % 40
            subject = f"Fix typo in module {number % 50}" + (f" (#{number})" if number % 3 else "")
            yield b"commit refs/heads/main\nmark :%d\n" % mark
            yield (
                b"author " + _person(author, when) + b"\ncommitter " + _person(author, when) + b"\n"
            )
            yield _data(subject + "\n")
            if main is not None:
                yield b"from :%d\n" % main
            yield f"M 100644 inline src/module_{number % 50}.py\n".encode() + _data(f"# {number}\n")
            main = mark


def generate(total: int) -> Path:
    """The cached repository with ``total`` commits."""
    path = DATA / f"history-{total}"
    if (path / "HEAD").exists():
        return path
    staging = DATA / f".history-{total}.tmp"
    subprocess.run(["rm", "-rf", str(staging)], check=True)
    staging.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(staging)], check=True, env=ENV)
    importer = subprocess.Popen(
        ["git", "fast-import", "--quiet", "--done"], cwd=staging, stdin=subprocess.PIPE, env=ENV
    )
    assert importer.stdin is not None
    for chunk in _stream(total):
        importer.stdin.write(chunk)
    importer.stdin.write(b"done\n")
    importer.stdin.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(staging), "gc", "-q", "--aggressive"], check=True, env=ENV)
    staging.rename(path)
    return path


PROBE = """
import json, resource, sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from assay.evidence.collectors.git_history import history_facts
from assay.evidence.collectors.interface import RepoTarget
from assay.evidence.gitsafe import Git
from assay.evidence.repos import commit_time
path, head, window = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
git = Git(path, "bench")
target = RepoTarget("bench", path, head, "main", commit_time(git, head))
children = resource.getrusage(resource.RUSAGE_CHILDREN)
start, cpu = time.perf_counter(), time.process_time()
facts = history_facts(git, target, timedelta(seconds=window))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu += (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "cpu": cpu, "rss_kb": rss, "commits": facts["commits"],
                  "change_sets": facts["change_sets"]}))
"""

GITPYTHON = """
import gc, json, resource, sys, time
import git
repo = git.Repo(sys.argv[1])
limit = int(sys.argv[2])
start, cpu = time.perf_counter(), time.process_time()
count = 0
for commit in repo.iter_commits("main", max_count=limit):
    fields = (commit.hexsha, [p.hexsha for p in commit.parents], commit.author.name,
              commit.author.email, commit.committed_date, commit.message, commit.gpgsig)
    count += 1
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
repo.close()  # ends (and reaps) GitPython's cat-file processes, so their CPU is counted
gc.collect()
children = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu += children.ru_utime + children.ru_stime
print(json.dumps({"seconds": seconds, "cpu": cpu, "commits": count}))
"""


def timed(command: list[str], runs: int) -> tuple[float, float]:
    """Median (wall seconds, CPU seconds) of ``command``, output discarded."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=ENV)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        samples.append((time.perf_counter() - start, usage.ru_utime + usage.ru_stime))
    samples.sort()
    return samples[len(samples) // 2]


def probe(script: str, *args: str, runs: int = 1) -> dict[str, float]:
    results: list[dict[str, float]] = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
        )
        results.append({key: float(value) for key, value in json.loads(done.stdout).items()})
    results.sort(key=lambda r: r["seconds"])
    return results[len(results) // 2]


def main() -> int:
    quick = "--quick" in sys.argv
    total = 10_000 if quick else 100_000
    subset = 2_000 if quick else 10_000
    runs = 3 if quick else 5
    started = time.perf_counter()
    repo = generate(total)
    print(
        f"repository: {total:,} commits ({repo.relative_to(ROOT)}), ready in "
        f"{time.perf_counter() - started:.1f} s"
    )
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "main"], capture_output=True, text=True, check=True
    ).stdout.strip()
    until = int(
        subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%ct", head],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    window = until - START + 86400  # the whole history
    since = f"--max-age={until - window}"
    log = ["git", "-C", str(repo), "log", since, FIELDS, head]
    first_parent, first_parent_cpu = timed([*log[:4], "--first-parent", *log[4:]], runs)
    every, every_cpu = timed(log, runs)
    ours = probe(PROBE, str(repo), head, str(window), runs=runs)
    python = probe(GITPYTHON, str(repo), str(subset))
    scale = total / python["commits"]
    gp_wall, gp_cpu = python["seconds"] * scale, python["cpu"] * scale
    print(
        f"  change sets {int(ours['change_sets']):,}, commits {int(ours['commits']):,}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(f"{'':44} {'wall':>9}   {'CPU':>9}   ratio (wall, CPU)")
    rows = [
        ("git log --first-parent, same fields", first_parent, first_parent_cpu),
        ("git log, every commit, same fields", every, every_cpu),
        ("assay git.history collector", ours["seconds"], ours["cpu"]),
        (
            f"GitPython iter_commits, {int(python['commits']):,} commits",
            python["seconds"],
            python["cpu"],
        ),
        (f"GitPython, extrapolated to {total:,}", gp_wall, gp_cpu),
    ]
    for name, wall, cpu in rows:
        print(
            f"{name:<44} {wall * 1000:7.0f} ms {cpu * 1000:7.0f} ms   "
            f"{wall / first_parent:5.2f}x {cpu / first_parent_cpu:5.2f}x  of the first baseline"
        )
    print(
        f"collector vs git log over every commit: {ours['seconds'] / every:.2f}x wall, "
        f"{ours['cpu'] / every_cpu:.2f}x CPU (target <= 2 against the git baseline)"
    )
    print(
        f"collector vs GitPython (extrapolated): {gp_wall / ours['seconds']:.1f}x faster wall, "
        f"{gp_cpu / ours['cpu']:.1f}x less CPU (target >= 10)"
    )
    print(f"collector peak RSS: {ours['rss_kb'] / 1024:.1f} MB (target <= 200)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
