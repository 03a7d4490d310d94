"""``assay init``: a new workspace with commented, valid starting files.

Nothing existing is overwritten unless asked (``force``): the check covers every file
before the first one is written, so a refused init leaves the folder untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assay.errors import AssayError

ASSAY_TOML = """\
# Assay workspace settings. Every table is optional; commented values are the defaults.
# The folder holding this file is the workspace: assay commands run anywhere below it
# find it by walking up (or pass --workspace DIR). Reference: docs/workspace.md

[workspace]
# Shown on reports.
# name = "Example"
# organisation = "Example Organisation"

[store]
# Where evidence, the ledger and blobs are kept. Default: SQLite in .assay/assay.db
# beside this file. A store shared by many pipelines is a PostgreSQL URL, e.g.
# url = "postgresql+psycopg://assay@db.example.org/assay"
# The ASSAY_STORE_URL environment variable overrides this setting.

[library]
# Folders of extra controls, or overrides of built-in ones (same id), relative to here.
paths = ["controls"]
# Set to false to use only your own controls.
# builtin = true

[collect]
# How far back git history is read, as an ISO 8601 duration, ending at the commit.
since = "P90D"
# Release tags (a glob). A repo entry can set its own tag_pattern.
tag_pattern = "v*"
# Largest CI artefact file read, in bytes.
# max_artefact_bytes = 104857600
"""

EXAMPLE_SERVICE = """\
# A service constitution: what the service is, who owns it, and where its evidence
# comes from. The file name (without .yaml) must equal the id.
# Check it with: assay services validate      Reference: docs/workspace.md

id: example
name: Example service
# Accountable team or person.
owner: platform-team@example.org
# The outcome the service exists for, in a sentence.
outcome: Citizens can check their eligibility online.
# 1 (most critical) to 4. Tier and tags decide which controls apply.
tier: 2
# Some tags select controls: ai, public-sector, pii, internet-facing.
tags: [public-sector]

repos:
  - name: app
    # A local clone, relative to assay.toml (or absolute) ...
    path: repos/example-app
    # ... or a URL, cloned into .assay/repos/example/app on each collection:
    # url: https://git.example.org/team/example-app.git
    # Default: the repository's default branch.
    # branch: main
    # tag_pattern: "release-*"
    # Governance files in unusual places (see docs/collectors.md for the keys):
    # files:
    #   codeowners: config/CODEOWNERS
    #   runbooks: ops/runbooks
    # SSH allowed-signers file: signatures are then verified, not only counted.
    # allowed_signers: keys/allowed_signers

pipelines:
  - name: ci
    provider: github
    repo: app
    definition: .github/workflows/ci.yml
    # Where the pipeline leaves its reports (JUnit, coverage, SARIF, SBOM ...).
    artefacts: artefacts/example

slos:
  - name: availability
    objective: 0.995
    window: P28D
    sli: Share of successful requests at the load balancer.
    error_budget_policy: Feature work stops until the budget recovers.

# Controls that do not apply, with the reason auditors will read.
exclusions: []
#  - control: AI-01
#    justification: The service uses no machine learning model.
"""

READMES = {
    "controls": """\
# Controls

Your own controls, or overrides of built-in ones (a file with the same control id).
One YAML file per control; the format is in docs/file-formats.md. Check them with
`assay library validate`.
""",
    "waivers": """\
# Waivers

Time-limited exceptions: which service, which control, why, who approved it and
when it expires. An expired waiver no longer applies. Review changes here like code.
""",
    "attestations": """\
# Attestations

Manual evidence for controls no tool can check: a statement, who signed it, when, when
it expires, and optionally a file it refers to.
""",
}

STORE_GITIGNORE = "# Evidence store and clones: local state, never committed.\n*\n"


@dataclass(frozen=True)
class Scaffold:
    root: Path
    written: tuple[Path, ...]


def scaffold_files() -> dict[str, str]:
    """Relative path -> content of every file ``assay init`` writes."""
    files = {
        "assay.toml": ASSAY_TOML,
        "services/example.yaml": EXAMPLE_SERVICE,
        ".assay/.gitignore": STORE_GITIGNORE,
    }
    files.update({f"{folder}/README.md": text for folder, text in READMES.items()})
    return files


def init_workspace(root: Path, *, force: bool = False) -> Scaffold:
    """Write the starting files into ``root``; refuse to overwrite unless ``force``."""
    files = scaffold_files()
    if root.exists() and not root.is_dir():
        raise AssayError(f"{root}: not a folder")
    existing = [rel for rel in files if (root / rel).exists() or (root / rel).is_symlink()]
    if existing and not force:
        raise AssayError(
            f"{root}: refusing to overwrite {', '.join(existing)}",
            hint="pass --force to replace them",
        )
    written = []
    for rel, text in files.items():
        target = root / rel
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink():
                target.unlink()  # replace the link itself, never write through it
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            where = str(exc.filename) if exc.filename else str(target)
            if where != str(root):
                reason += f" ({where})"
            raise AssayError(f"cannot create a workspace in {root}: {reason}") from None
        written.append(target)
    return Scaffold(root, tuple(written))
