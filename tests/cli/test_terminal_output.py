"""What commands print is safe for a terminal: text someone else wrote cannot drive it.

A zip member's name, a service's name or an imported framework's title may hold escape
sequences (OSC 52 sets the clipboard, CSI 2J clears the screen) or bidi overrides; the
printed text shows them as ``\\uXXXX`` escapes. JSON output stays exact JSON. A credential
in a repository URL is masked wherever the URL is printed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.cli.output import table
from assay.display import mask_credentials, mask_url, terminal_safe
from tests.cli.test_collect import github_env, setup, zipped
from tests.support.paths import DATA
from tests.unit.evidence.collection.helpers import workspace

OSC52 = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CLEAR = "\x1b[2J"
RLO = "\u202e"
CSI = "\x9b"
#: Every character a terminal could take as a command: none may reach the output.
CONTROLS = ("\x1b", "\x07", "\x9b", "\r", "\u202e", "\u2066")


def assert_no_controls(text: str) -> None:
    for char in CONTROLS:
        assert char not in text, repr(char)


def test_zip_member_names_are_printed_escaped(tmp_path: Path, runner: CliRunner) -> None:
    root, head, reports = setup(tmp_path)
    names = [f"clip{OSC52}.txt", f"wipe{CLEAR}.txt"]
    (reports / "names.zip").write_bytes(zipped(dict.fromkeys(names, b"plain text\n")))
    result = runner.invoke(app, ["collect", "-w", str(root)], env=github_env(head))
    assert result.exit_code == 0, result.output
    assert_no_controls(result.stdout + result.stderr)
    assert "names.zip!clip\\u001b]52;c;ZWNobyBwd25lZA==\\u0007.txt" in result.stdout
    assert "names.zip!wipe\\u001b[2J.txt" in result.stdout

    data = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert data.exit_code == 0, data.output
    assert_no_controls(data.stdout)
    skipped = {item["path"] for item in json.loads(data.stdout)["skipped"]}
    assert {f"names.zip!{name}" for name in names} <= skipped, "JSON keeps the exact names"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    return workspace(
        tmp_path / "ws",
        {
            "api": {
                "name": f"Payments{CLEAR}{RLO}gpj.exe{CSI}31m",
                "description": f"line one\nline two{OSC52}",
                "repos": [
                    {"name": "api", "url": "https://deploy:s3cr3t-TOKEN@git.example.com/x.git"},
                    {"name": "web", "url": "https://ghp_tokenonly@git.example.com/web.git"},
                    {"name": "ops", "url": "ssh://git@git.example.com/ops.git"},
                ],
            }
        },
    )


def test_service_names_are_printed_escaped(hostile: Path, runner: CliRunner) -> None:
    listed = runner.invoke(app, ["services", "list", "-w", str(hostile)])
    assert listed.exit_code == 0, listed.output
    assert_no_controls(listed.stdout)
    assert "Payments\\u001b[2J\\u202egpj.exe\\u009b31m" in listed.stdout
    shown = runner.invoke(app, ["services", "show", "api", "-w", str(hostile)])
    assert shown.exit_code == 0, shown.output
    assert_no_controls(shown.stdout)
    assert "about:    line one\nline two\\u001b]52;c;" in shown.stdout, "line breaks are kept"


def test_json_output_stays_exact_json(hostile: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["services", "show", "api", "-f", "json", "-w", str(hostile)])
    assert result.exit_code == 0, result.output
    assert_no_controls(result.stdout)
    data = json.loads(result.stdout)
    assert data["name"] == f"Payments{CLEAR}{RLO}gpj.exe{CSI}31m"
    assert data["description"] == f"line one\nline two{OSC52}"


def test_repository_credentials_are_masked(hostile: Path, runner: CliRunner) -> None:
    shown = runner.invoke(app, ["services", "show", "api", "-w", str(hostile)])
    assert "  api: https://deploy:***@git.example.com/x.git (" in shown.stdout
    assert "  web: https://***@git.example.com/web.git (" in shown.stdout
    assert "  ops: ssh://git@git.example.com/ops.git (" in shown.stdout, "a login name stays"
    as_json = runner.invoke(app, ["services", "show", "api", "-f", "json", "-w", str(hostile)])
    urls = [repo["url"] for repo in json.loads(as_json.stdout)["repos"]]
    assert urls == [
        "https://deploy:***@git.example.com/x.git",
        "https://***@git.example.com/web.git",
        "ssh://git@git.example.com/ops.git",
    ]
    for result in (shown, as_json):
        assert "s3cr3t" not in result.output
        assert "ghp_tokenonly" not in result.output


def test_a_refused_url_is_reported_without_its_credential(
    tmp_path: Path, runner: CliRunner
) -> None:
    url = "-https://deploy:hunter2@git.example.com/x.git"  # an option to git: refused
    root = workspace(tmp_path / "ws", {"api": {"repos": [{"name": "api", "url": url}]}})
    result = runner.invoke(app, ["services", "show", "api", "-w", str(root)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].endswith(
        "url '-https://deploy:***@git.example.com/x.git' is refused: it could be read by git "
        "as an option or a remote helper"
    )
    assert "hunter2" not in result.output


def test_a_failed_clone_does_not_print_the_credential(tmp_path: Path, runner: CliRunner) -> None:
    url = "https://deploy:s3cr3t-TOKEN@127.0.0.1:9/x.git"  # nothing listens on port 9
    root = workspace(tmp_path / "ws", {"api": {"repos": [{"name": "api", "url": url}]}})
    result = runner.invoke(app, ["collect", "-w", str(root)], env={"ASSAY_STORE_URL": ""})
    assert result.exit_code == 2
    assert "https://deploy:***@127.0.0.1:9/x.git" in result.stderr
    assert "s3cr3t" not in result.output


def test_imported_framework_titles_are_printed_escaped(tmp_path: Path, runner: CliRunner) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "assay.toml").write_text("", encoding="utf-8")
    document = json.loads((DATA / "oscal" / "sp800-53-moderate-trimmed.json").read_text("utf-8"))
    document["catalog"]["metadata"]["title"] = f"Hostile{CLEAR}{OSC52} catalog"
    source = tmp_path / "catalog.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    imported = runner.invoke(
        app, ["frameworks", "import", str(source), "--id", "hostile", "-w", str(root)]
    )
    assert imported.exit_code == 0, imported.output
    for args in (["list"], ["show", "hostile"]):
        result = runner.invoke(app, ["frameworks", *args, "-w", str(root)])
        assert result.exit_code == 0, result.output
        assert_no_controls(result.stdout)
        assert "Hostile\\u001b[2J\\u001b]52;c;" in result.stdout


def test_a_table_cell_cannot_forge_a_row() -> None:
    text = table([["a\nb\tc", "x"]], ["ONE", "TWO"])
    assert text.splitlines()[2] == "a\\u000ab\\u0009c  x"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://deploy:TOKEN@host/x.git", "https://deploy:***@host/x.git"),
        ("https://TOKEN@host/x.git", "https://***@host/x.git"),
        ("HTTP://u:p@ss@host:8080/x", "HTTP://u:***@host:8080/x"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("ssh://git:pw@host/x.git", "ssh://git:***@host/x.git"),
        ("git@host:org/x.git", "git@host:org/x.git"),
        ("https://host/x.git?ref=a@b", "https://host/x.git?ref=a@b"),
        ("file:///srv/git/x.git", "file:///srv/git/x.git"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
    assert mask_url(masked) == masked, "masking twice changes nothing"


def test_masking_in_free_text_and_terminal_safe_together() -> None:
    text = "fatal: unable to access 'https://a:b@h/x/': refused; also https://t@h/y"
    assert mask_credentials(text) == (
        "fatal: unable to access 'https://a:***@h/x/': refused; also https://***@h/y"
    )
    assert terminal_safe("ok\tline\n\x1b[31mred\x7f") == "ok\tline\n\\u001b[31mred\\u007f"
    assert terminal_safe("a\tb\nc", keep_breaks=False) == "a\\u0009b\\u000ac"


def test_the_progress_bar_shows_escapes_not_controls(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from assay.cli import collect
    from assay.evidence.collect import ProgressEvent

    monkeypatch.setattr(collect, "is_tty", lambda: True)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich draws as on a terminal
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setattr("assay.evidence.collect.in_ci", lambda environ: False)
    with collect._progress("text") as update:
        assert update is not None
        update(ProgressEvent(f"api{CLEAR}", f"cloning https://u:pw@h/x.git [b]{OSC52}", 1, 2))
    err = capsys.readouterr().err
    assert "api\\u001b[2J" in err
    drawn = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", err)  # rich's own drawing codes
    assert_no_controls(drawn)
    assert "u:***@h" in drawn
