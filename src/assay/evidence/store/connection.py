"""Store URLs, engines, and the boundary where database errors become :class:`StoreError`.

Only this package talks to a database, and every driver or SQLAlchemy exception is
translated here into one plain sentence naming the store (password masked), so a user
never sees a traceback: "store unreachable: ...", "store file ... is not a database
(corrupted?)", "store folder ... is read-only".
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from assay.errors import StoreError

#: How long a writer waits for SQLite's write lock before giving up.
BUSY_TIMEOUT_SECONDS = 30
#: Connection option asking for a write transaction (``BEGIN IMMEDIATE`` on SQLite).
WRITE = "assay_write"
SQLITE_MAGIC = b"SQLite format 3\x00"
DEFAULT_PG_CONNECT_TIMEOUT = "10"


@dataclass(frozen=True)
class StoreTarget:
    """A parsed store URL: which database, and how to name it in messages."""

    url: URL
    dialect: str  # "sqlite" or "postgresql"
    path: Path | None  # the SQLite file; None for PostgreSQL and in-memory SQLite

    @property
    def display(self) -> str:
        """The URL with any password masked, or the SQLite file's path."""
        if self.dialect == "sqlite":
            return display_path(self.path) if self.path is not None else "in-memory store"
        return self.url.render_as_string(hide_password=True)

    @property
    def memory(self) -> bool:
        return self.dialect == "sqlite" and self.path is None


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when inside it: what users typed."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def parse_url(text: str) -> StoreTarget:
    """Read a store URL: ``sqlite:///PATH``, ``sqlite://`` (in memory) or PostgreSQL.

    ``postgresql://`` and ``postgres://`` mean psycopg 3 (``postgresql+psycopg://``).
    The message for a bad URL never repeats the URL, which may hold a password.
    """
    try:
        url = make_url(text.strip())
    except (sa.exc.ArgumentError, ValueError):
        raise StoreError(
            "the store URL is not valid",
            hint="use sqlite:///PATH/assay.db or postgresql+psycopg://USER@HOST:PORT/DB",
        ) from None
    driver = url.drivername
    if driver in ("sqlite", "sqlite+pysqlite"):
        database = url.database
        if not database or database == ":memory:":
            return StoreTarget(url.set(drivername="sqlite", database=None), "sqlite", None)
        try:
            path = Path(database).expanduser()
        except RuntimeError:  # ~user that does not exist
            raise StoreError(
                "the store URL names a home folder that does not exist",
                hint="give the store's path in full",
            ) from None
        return StoreTarget(url.set(drivername="sqlite", database=str(path)), "sqlite", path)
    if driver in ("postgresql", "postgres", "postgresql+psycopg"):
        return StoreTarget(url.set(drivername="postgresql+psycopg"), "postgresql", None)
    raise StoreError(
        f"unsupported store URL scheme '{driver}'",
        hint="use sqlite:///PATH/assay.db or postgresql+psycopg://USER@HOST:PORT/DB",
    )


def prepare_sqlite_file(target: StoreTarget, *, create: bool) -> None:
    """Check (and make) the SQLite file's folder before SQLite gets to say it vaguely."""
    path = target.path
    if path is None:
        return
    folder = path.parent
    if not path.exists():
        if not create:
            raise StoreError(
                f"no store at {target.display}",
                hint="run `assay collect` to create it (or `assay store upgrade`)",
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _folder_error(folder, exc) from None
    elif path.is_dir():
        raise StoreError(f"store file {target.display} is a folder, not a database")
    else:
        _check_magic(target, path)
    if not _writable(folder):
        raise StoreError(
            f"store folder {display_path(folder)} is read-only",
            hint="SQLite needs to write beside the store file; use a writable folder",
        )


def _writable(folder: Path) -> bool:
    """Whether this process may create files in ``folder`` (judged by its effective ids)."""
    effective = os.access in os.supports_effective_ids
    return os.access(folder, os.W_OK, effective_ids=effective)


def _check_magic(target: StoreTarget, path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"cannot read store file {target.display}: {exc.strerror}") from None
    if header and header != SQLITE_MAGIC:
        raise StoreError(
            f"store file {target.display} is not a database (corrupted?)",
            hint="restore it from a backup, or move it away to start a new store",
        )


def _folder_error(folder: Path, exc: OSError) -> StoreError:
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
        return StoreError(
            f"store folder {display_path(existing)} is read-only",
            hint="use a writable folder, or set ASSAY_STORE_URL",
        )
    return StoreError(f"cannot create store folder {display_path(folder)}: {exc.strerror}")


def create_engine(target: StoreTarget) -> sa.Engine:
    """An engine set up for the store: WAL, busy timeout and explicit BEGINs on SQLite."""
    if target.dialect == "sqlite":
        return _sqlite_engine(target)
    query = dict(target.url.query)
    # No server-side prepared statements: PostgreSQL would soon switch them to a generic
    # plan, and a generic plan for latest() (no idea of the service, subject or as_of it
    # is for) can scan a whole table. Planning each query afresh costs a fraction of a ms.
    connect_args: dict[str, Any] = {"prepare_threshold": None}
    if "connect_timeout" not in query:
        connect_args["connect_timeout"] = DEFAULT_PG_CONNECT_TIMEOUT
    return sa.create_engine(target.url, connect_args=connect_args)


def _sqlite_engine(target: StoreTarget) -> sa.Engine:
    options: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_SECONDS}}
    if target.memory:
        options["poolclass"] = StaticPool
        options["connect_args"]["check_same_thread"] = False
    engine = sa.create_engine(target.url, **options)
    memory = target.memory

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver: we issue BEGIN (IMMEDIATE) ourselves,
        # so a writer holds SQLite's write lock from the moment it reads the ledger head.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")
        if not memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# ----------------------------------------------------------------------- error translation


def _driver_message(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0].strip() if text else type(orig).__name__


def _unreachable_reason(message: str) -> str:
    # psycopg: 'connection failed: connection to server at "h", port 1 failed: Connection
    # refused' -- the last clause is the reason; drop libpq's "FATAL:" prefix.
    reason = message.rsplit("failed: ", 1)[-1].strip()
    reason = reason.removeprefix("FATAL:").strip()
    return reason[:1].lower() + reason[1:] if reason else message


def is_busy(exc: BaseException) -> bool:
    """A transient conflict worth retrying: SQLite busy, PostgreSQL serialization/deadlock."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    sqlstate = getattr(orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01", "23505")


def translate(exc: BaseException, target: StoreTarget, *, connecting: bool = False) -> StoreError:
    """One clear :class:`StoreError` for any database failure (never a password)."""
    if isinstance(exc, StoreError):
        return exc
    message = _driver_message(exc)
    if target.dialect == "sqlite":
        return _translate_sqlite(message, target)
    lowered = message.lower()
    refused = connecting and isinstance(exc, sa.exc.OperationalError)
    if refused or "connection failed" in lowered or "server closed" in lowered:
        return StoreError(
            f"store unreachable: {target.display}: {_unreachable_reason(message)}",
            hint="check the server is running and the URL (ASSAY_STORE_URL or [store] url)",
        )
    if "no schema has been selected" in lowered:
        return StoreError(
            f"store {target.display}: the schema its search_path names does not exist",
            hint="create it (CREATE SCHEMA name) or fix options=-csearch_path=name in the URL",
        )
    return StoreError(f"store error on {target.display}: {message}")


def _translate_sqlite(message: str, target: StoreTarget) -> StoreError:
    lowered = message.lower()
    name = target.display
    if "file is not a database" in lowered:
        return StoreError(
            f"store file {name} is not a database (corrupted?)",
            hint="restore it from a backup, or move it away to start a new store",
        )
    if "malformed" in lowered or "disk i/o error" in lowered:
        return StoreError(
            f"store file {name} is damaged ({message})",
            hint="restore it from a backup; `assay verify --store` checks a restored copy",
        )
    if "readonly" in lowered or "read-only" in lowered or "unable to open" in lowered:
        folder = target.path.parent if target.path is not None else Path.cwd()
        return StoreError(
            f"store folder {display_path(folder)} is read-only"
            if "unable to open" in lowered or not _writable(folder)
            else f"store file {name} is read-only",
            hint="use a writable folder, or set ASSAY_STORE_URL",
        )
    if "locked" in lowered or "busy" in lowered:
        return StoreError(
            f"store file {name} stayed locked by another writer for {BUSY_TIMEOUT_SECONDS} s",
            hint="another assay process is writing; try again when it has finished",
        )
    return StoreError(f"store error on {name}: {message}")


@contextmanager
def guard(target: StoreTarget, *, connecting: bool = False) -> Iterator[None]:
    """Translate every database or file-system failure inside the block."""
    try:
        yield
    except StoreError:
        raise
    except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
        raise translate(exc, target, connecting=connecting) from None
    except OSError as exc:
        raise StoreError(f"store error on {target.display}: {exc.strerror or exc}") from None
