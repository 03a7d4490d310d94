"""Whole `assay collect` of a repository with many workflows, against `zizmor --offline`.

    .venv/bin/python benchmarks/workflows.py [--quick]

Builds a git repository with 60 GitHub Actions workflows and 6 local composite actions
(--quick: 20 and 2) of the shapes real projects have: matrix test jobs, actions pinned and
unpinned, local actions, a local reusable workflow, scripts reading event fields, and a
privileged trigger. A workspace names it as one service's repository. Timed, whole
processes, interleaved in the same run: `assay collect -s bench` (every collector, the
store written) and `zizmor --offline` over the same repository, the auditor our workflow
analysis is measured against; and, for reference, the same collect of a repository with no
CI (what the command costs whatever the workflows). Reports the median and the spread of
each. Target: assay at most 2x zizmor. Exits 1 when missed, 2 when zizmor is not installed.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import BIN, compile_assay, quick_flag

TARGET = 2.0
SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"

ACTION = """\
name: setup-{n}
description: Prepare the toolchain ({n})
inputs:
  version:
    description: Tool version
    default: "3.11"
runs:
  using: composite
  steps:
    - uses: actions/setup-python@v5
      with:
        python-version: ${{{{ inputs.version }}}}
    - uses: actions/cache@{sha}
      with:
        path: ~/.cache/pip
        key: pip-${{{{ hashFiles('**/requirements*.txt') }}}}
    - run: python -m pip install -r requirements/dev.txt
      shell: bash
    - run: echo "ref ${{{{ github.head_ref }}}}"
      shell: bash
"""

WORKFLOW = """\
name: ci-{n}
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12", "3.13"]
    steps:
      - uses: actions/checkout@{sha}
        with:
          persist-credentials: false
      - uses: ./.github/actions/setup-{action}
        with:
          version: ${{{{ matrix.python }}}}
      - run: python -m pytest -q --junitxml=reports/junit.xml
      - uses: actions/upload-artifact@v4
        with:
          name: reports-${{{{ matrix.python }}}}
          path: reports/
  lint:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v4
      - run: ruff check . && mypy src
      - name: Title
        run: echo "${{{{ github.event.pull_request.title }}}}"
  reuse:
    uses: ./.github/workflows/reusable.yml
"""

REUSABLE = f"""\
name: reusable
on:
  workflow_call:
permissions:
  contents: read
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
        with:
          persist-credentials: false
      - uses: github/codeql-action/analyze@v3
"""

PRIVILEGED = """\
name: label
on:
  pull_request_target:
    types: [opened]
jobs:
  label:
    runs-on: ubuntu-latest
    permissions:
      pull-requests: write
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.body }}"
"""


def git(repo: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.org",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.org",
    }
    subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)


def build(root: Path, workflows: int, actions: int) -> Path:
    repo = root / "repo"
    flows = repo / ".github" / "workflows"
    flows.mkdir(parents=True)
    for n in range(actions):
        folder = repo / ".github" / "actions" / f"setup-{n}"
        folder.mkdir(parents=True)
        (folder / "action.yml").write_text(ACTION.format(n=n, sha=SHA))
    for n in range(workflows - 2):
        text = WORKFLOW.format(n=n, sha=SHA, action=n % actions)
        (flows / f"ci-{n:02d}.yml").write_text(text)
    (flows / "reusable.yml").write_text(REUSABLE)
    (flows / "label.yml").write_text(PRIVILEGED)
    (repo / "README.md").write_text("# bench\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Workflows")
    workspace = root / "workspace"
    (workspace / "services").mkdir(parents=True)
    (workspace / "assay.toml").write_text('[workspace]\nname = "bench"\n')
    (workspace / "services" / "bench.yaml").write_text(
        f"id: bench\nname: Bench\nowner: team\ntier: 2\nrepos:\n  - name: repo\n    path: {repo}\n"
    )
    # The same service without CI: what the collect costs whatever the workflows.
    bare = root / "bare"
    bare.mkdir()
    (bare / "README.md").write_text("# bench\n")
    git(bare, "init", "-q", "-b", "main")
    git(bare, "add", "-A")
    git(bare, "commit", "-q", "-m", "No CI")
    (workspace / "services" / "bare.yaml").write_text(
        f"id: bare\nname: Bare\nowner: team\ntier: 2\nrepos:\n  - name: repo\n    path: {bare}\n"
    )
    return workspace


def main() -> int:
    quick = quick_flag(sys.argv)
    workflows, actions, runs = (20, 2, 3) if quick else (60, 6, 7)
    zizmor = shutil.which("zizmor", path=str(BIN)) or shutil.which("zizmor")
    if zizmor is None:
        print("zizmor is not installed (it is in the test extra: make venv)")
        return 2
    compile_assay()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("GITHUB_TOKEN", None)
    with tempfile.TemporaryDirectory(prefix="assay-workflows-bench-") as folder:
        workspace = build(Path(folder), workflows, actions)
        repo = Path(folder) / "repo"
        commands = {
            "zizmor --offline": [
                zizmor,
                "--offline",
                "--no-progress",
                "--format",
                "plain",
                str(repo),
            ],
            "assay collect": [str(BIN / "assay"), "collect", "-s", "bench", "-w", str(workspace)],
            "collect, no CI (ref)": [
                str(BIN / "assay"),
                "collect",
                "-s",
                "bare",
                "-w",
                str(workspace),
            ],
        }
        for name, command in commands.items():  # warm-up, and a check that both work
            done = subprocess.run(command, env=env, capture_output=True, check=False)
            if name != "zizmor --offline" and done.returncode != 0:
                print(done.stdout.decode(), done.stderr.decode())
                return 2
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, command in commands.items():
                start = time.perf_counter()
                subprocess.run(command, env=env, capture_output=True, check=False)
                samples[name].append(time.perf_counter() - start)
    print(f"{workflows} workflows, {actions} composite actions; {runs} interleaved runs each")
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, values in samples.items():
        print(
            f"{name:<20} median {medians[name] * 1000:7.1f} ms"
            f"   min {min(values) * 1000:7.1f}   max {max(values) * 1000:7.1f}"
        )
    ratio = medians["assay collect"] / medians["zizmor --offline"]
    met = ratio <= TARGET
    print(
        f"assay collect / zizmor --offline: {ratio:.2f}x (target <= {TARGET}x): "
        + ("met" if met else "MISSED")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
