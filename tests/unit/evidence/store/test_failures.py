"""Stores that cannot be used: each gives exit 2 and one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.errors import StoreError
from assay.evidence.model import ArtefactDraft
from assay.evidence.store import open_store
from assay.evidence.store.migrate import VERSION_TABLE
from tests.support.privileges import unprivileged
from tests.unit.evidence.store.helpers import draft, execute


def run(runner: CliRunner, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stderr


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_a_file_that_is_not_a_database(runner: CliRunner, in_dir: Path) -> None:
    (in_dir / "assay.toml").write_text("")
    (in_dir / ".assay").mkdir()
    (in_dir / ".assay" / "assay.db").write_bytes(b"this is not sqlite\n" * 100)
    for command in (["verify", "--store"], ["store", "status"], ["evidence", "list"]):
        code, errors = run(runner, *command)
        assert code == 2
        assert errors.splitlines() == [
            "error: store file .assay/assay.db is not a database (corrupted?)",
            "hint: restore it from a backup, or move it away to start a new store",
        ]


def test_a_store_with_damaged_pages(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "assay.db"
    with open_store(sqlite_url(path)) as store:
        blobs = (ArtefactDraft("x.bin", bytes(range(256)) * 12),)
        store.record([draft(n, artefacts=blobs, actor=str(n)) for n in range(150)], context={})
    data = bytearray(path.read_bytes())
    data[4096 * 2 : 4096 * 10] = b"\xff" * (4096 * 8)
    path.write_bytes(bytes(data))
    code, errors = run(runner, "verify", "--store", "--store-url", sqlite_url(path))
    assert code == 2
    assert errors.splitlines()[0] == (
        f"error: store file {path} is damaged (database disk image is malformed)"
    )


def test_a_store_in_a_read_only_folder(
    runner: CliRunner, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shared_dir)
    existing = shared_dir / "existing"
    with open_store(sqlite_url(existing / "assay.db")) as store:
        store.record([draft(1)], context={})
    verify = ["verify", "--store", "--store-url", sqlite_url(existing / "assay.db")]
    assert run(runner, *verify)[0] == 0  # and everything it needs is imported now
    fresh = shared_dir / "fresh"
    fresh.mkdir()
    for folder in (existing, fresh):
        folder.chmod(0o555)
    upgrade = ["store", "upgrade", "--store-url", sqlite_url(fresh / ".assay" / "assay.db")]
    with unprivileged():
        first = run(runner, *verify)
        second = run(runner, *upgrade)
    assert first[0] == 2
    assert first[1].splitlines()[0] == "error: store folder existing is read-only"
    assert second[0] == 2
    assert second[1].splitlines()[0] == "error: store folder fresh is read-only"


def test_an_unreachable_postgresql_never_shows_its_password(runner: CliRunner) -> None:
    url = "postgresql+psycopg://assay:s3cret-pw@127.0.0.1:9/evidence?connect_timeout=3"
    code, errors = run(runner, "store", "status", "--store-url", url)
    assert code == 2
    assert errors.splitlines()[0] == (
        "error: store unreachable: postgresql+psycopg://assay:***@127.0.0.1:9/evidence"
        "?connect_timeout=3: connection refused"
    )
    assert "s3cret" not in errors


def test_an_unknown_postgresql_database(runner: CliRunner, postgres_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).set(database="assay_no_such_db")
    code, errors = run(runner, "verify", "--store", "--store-url", url.render_as_string(False))
    assert code == 2
    assert errors.splitlines()[0].endswith('database "assay_no_such_db" does not exist')


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://user:pw@host:notaport/db", "error: the store URL is not valid"),
        ("mysql://user:pw@host/db", "error: unsupported store URL scheme 'mysql'"),
        ("nonsense", "error: the store URL is not valid"),
        (
            "sqlite:///~assay-no-such-user/x.db",
            "error: the store URL names a home folder that does not exist",
        ),
        (
            f"sqlite:///{'a' * 300}/x.db",
            f"error: store error on {'a' * 300}/x.db: File name too long",
        ),
    ],
)
def test_bad_urls(runner: CliRunner, url: str, message: str) -> None:
    code, errors = run(runner, "store", "status", "--store-url", url)
    assert code == 2
    assert errors.splitlines()[0] == message
    assert "pw" not in errors.replace("postgresql", "")


def test_a_missing_store_is_not_created_by_readers(runner: CliRunner, in_dir: Path) -> None:
    (in_dir / "assay.toml").write_text("")
    code, errors = run(runner, "verify", "--store")
    assert code == 2
    assert errors.splitlines() == [
        "error: no store at .assay/assay.db",
        "hint: run `assay collect` to create it (or `assay store upgrade`)",
    ]
    assert not (in_dir / ".assay").exists()


def test_an_empty_postgresql_schema_is_not_created_by_readers(
    runner: CliRunner, pg_store_url: str
) -> None:
    code, errors = run(runner, "evidence", "list", "--store-url", pg_store_url)
    assert code == 2
    assert errors.splitlines()[0].endswith("has not been created yet")
    assert execute(
        pg_store_url,
        "SELECT count(*) FROM pg_tables WHERE tablename = 'ledger'"
        " AND schemaname = current_schema()",
    ) == [(0,)]


def test_a_store_from_a_newer_assay_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    execute(store_url, f"UPDATE {VERSION_TABLE} SET version_num = '9999'")  # noqa: S608
    with pytest.raises(StoreError, match="schema revision 9999, newer than this assay knows"):
        open_store(store_url)


def test_a_folder_where_the_store_file_should_be(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "assay.db").mkdir()
    code, errors = run(runner, "store", "status", "--store-url", sqlite_url(tmp_path / "assay.db"))
    assert code == 2
    assert "is a folder, not a database" in errors.splitlines()[0]


def test_outside_a_workspace_without_a_url(runner: CliRunner, in_dir: Path) -> None:
    code, errors = run(runner, "evidence", "list")
    assert code == 2
    assert errors.splitlines()[0] == "error: no store to use: not inside a workspace"


def test_a_postgresql_schema_that_does_not_exist(runner: CliRunner, postgres_url: str) -> None:
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).update_query_dict({"options": "-csearch_path=assay_missing"})
    code, errors = run(runner, "store", "upgrade", "--store-url", url.render_as_string(False))
    assert code == 2
    assert errors.splitlines()[0].endswith(": the schema its search_path names does not exist")
