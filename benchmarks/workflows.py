"""GitHub workflow analysis: the whole ``assay collect`` against ``zizmor --offline``.

A repository of 60 workflows and 6 composite actions (the fixture repository's files,
repeated under new names, each workflow using the local actions) is read by both; the
target is at most twice zizmor's time. The analysis alone (reading and analysing the
files at the commit, in process) is printed too.

    .venv/bin/python benchmarks/workflows.py [--quick]

The whole command also runs every other repository collector and starts Python, so the
same collect on a repository without CI is timed too: the difference is the workflows'
share. Exits 1 when the collect takes more than twice zizmor's time, or a run fails.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from _timing import BIN, ROOT, compile_assay, quick_flag, wall
from assay.evidence.ci.tables import builtin_tables
from assay.evidence.collectors.ci_workflows import GitTree, github_definitions
from assay.evidence.collectors.interface import RepoTarget

FIXTURE = ROOT / "tests" / "data" / "ci" / "github-repo"
WORKFLOWS = 60
ACTIONS = 6
LIMIT = 2.0
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.org",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


def _files() -> dict[str, str]:
    workflows = sorted((FIXTURE / ".github" / "workflows").glob("*.yml"))
    actions = sorted(p for p in FIXTURE.rglob("action.y*ml") if p.parent != FIXTURE)
    files: dict[str, str] = {"action.yml": (FIXTURE / "action.yml").read_text("utf-8")}
    for index in range(ACTIONS - 1):
        source = actions[index % len(actions)]
        files[f".github/actions/a{index}/{source.name}"] = source.read_text("utf-8")
    for index in range(WORKFLOWS):
        text = workflows[index % len(workflows)].read_text("utf-8")
        text = text.replace("./.github/actions/setup", f"./.github/actions/a{index % 5}")
        files[f".github/workflows/w{index:02}.yml"] = text
    return files


def _workspace(root: Path, files: dict[str, str]) -> tuple[Path, Path, str]:
    repo = root / "repos" / "api"
    for path, text in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "ci"], check=True, env=env)
    commit = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (root / "services").mkdir()
    (root / "assay.toml").write_text("", encoding="utf-8")
    (root / "services" / "api.yaml").write_text(
        "id: api\nname: api\nowner: team@example.org\ntier: 2\n"
        "repos: [{name: api, path: repos/api}]\n"
        "pipelines: [{name: ci, provider: github, repo: api}]\n",
        encoding="utf-8",
    )
    return root, repo, commit


def _analysis_seconds(repo: Path, commit: str, runs: int) -> float:
    target = RepoTarget(
        name="api", path=repo, commit=commit, branch="main", commit_time=datetime.now(UTC)
    )
    tables = builtin_tables()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        definitions, _ = github_definitions(GitTree(target), tables)
        samples.append(time.perf_counter() - start)
    assert len(definitions) == WORKFLOWS + ACTIONS, len(definitions)
    return statistics.median(samples)


def main() -> int:
    runs = 3 if quick_flag(sys.argv) else 7
    zizmor = BIN / "zizmor"
    if not zizmor.exists():
        print("zizmor is not installed beside this Python (pip install '.[test]')")
        return 1
    compile_assay()
    with tempfile.TemporaryDirectory() as folder:
        times: dict[str, float] = {}
        for name, files in (("benign", {"README.md": "hello\n"}), ("ci", _files())):
            workspace, repo, commit = _workspace(Path(folder) / name, files)
            collect = [str(BIN / "assay"), "collect", "-w", str(workspace), "-f", "json"]
            first = subprocess.run(collect, capture_output=True, check=False)
            if first.returncode != 0:
                print(f"collect failed ({first.returncode}): {first.stderr[-500:]!r}")
                return 1
            times[name] = wall(collect, runs=runs)
        zizmor_command = [str(zizmor), "--offline", "--no-config", "--format", "json", "."]
        oracle = wall(zizmor_command, runs=runs, cwd=repo)
        analysis = _analysis_seconds(repo, commit, runs)
    assay, benign = times["ci"], times["benign"]
    ratio = assay / oracle
    print(f"{WORKFLOWS} workflows, {ACTIONS} composite actions, median of {runs}")
    print(f"assay collect (whole command)   {assay * 1000:8.1f} ms   {ratio:5.2f}x zizmor")
    print(f"  same, repository without CI   {benign * 1000:8.1f} ms")
    print(f"  the workflows' share          {(assay - benign) * 1000:8.1f} ms")
    print(f"analysis in process             {analysis * 1000:8.1f} ms   {analysis / oracle:5.2f}x")
    print(f"zizmor --offline                {oracle * 1000:8.1f} ms")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
