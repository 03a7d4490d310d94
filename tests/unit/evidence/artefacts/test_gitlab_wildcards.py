"""GitLab include wildcards: glob rules on the tree's paths, and the cap on how many run."""

from __future__ import annotations

from assay.evidence.ci.gitlab import MAX_WILDCARDS, GitlabPipeline
from assay.evidence.ci.gitlab_config import LoadedFile
from assay.evidence.ci.tables import builtin_tables
from assay.yamlfile import parse_yaml

TREE = [
    ".gitlab-ci.yml",
    "ci/lint.yml",
    "ci/deep/test.yml",
    "ci/notes.txt",
    "cia/other.yml",
]


def _pipeline(files: dict[str, str], tree: list[str]) -> GitlabPipeline:
    def load(path: str) -> LoadedFile | None:
        if path not in files:
            return None
        text = files[path]
        return LoadedFile(path, parse_yaml(text.encode(), path), text)

    return GitlabPipeline(".gitlab-ci.yml", load, lambda: tree, builtin_tables())


def _read(include: str) -> list[str]:
    files = {path: "job: {script: [echo]}\n" for path in TREE if path.endswith(".yml")}
    files[".gitlab-ci.yml"] = f'include: [{{local: "{include}"}}]\n'
    pipeline = _pipeline(files, TREE)
    pipeline.read_files()
    return [loaded.path for loaded in pipeline.files[1:]]


def test_a_star_stays_in_its_folder() -> None:
    assert _read("/ci/*.yml") == ["ci/lint.yml"]


def test_a_double_star_folder_matches_zero_or_more_folders() -> None:
    assert _read("ci/**/*.yml") == ["ci/deep/test.yml", "ci/lint.yml"]


def test_a_double_star_inside_a_name_crosses_folders() -> None:
    assert _read("ci/**.yml") == ["ci/deep/test.yml", "ci/lint.yml"]


def test_wildcard_includes_past_the_cap_become_one_finding() -> None:
    count = MAX_WILDCARDS + 5
    tree = [".gitlab-ci.yml", *(f"ci/{n}.yml" for n in range(count))]
    files = dict.fromkeys(tree, "job: {script: [echo]}\n")
    files[".gitlab-ci.yml"] = "include:\n" + "".join(
        f'  - local: "ci/{n}*.yml"\n' for n in range(count)
    )
    pipeline = _pipeline(files, tree)
    pipeline.read_files()
    capped = [e for e in pipeline.errors if "wildcard includes" in e.message]
    assert len(capped) == 1
    assert capped[0].line == MAX_WILDCARDS + 2  # the first include not followed
