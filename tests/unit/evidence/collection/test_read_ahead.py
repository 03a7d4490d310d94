"""Reading git's output ahead of the parser: every byte in order, failures passed on, and a
reader that leaves early stops the thread."""

from __future__ import annotations

import io
import threading
import time

import pytest

from assay.evidence.git.walk import read_ahead


def test_every_block_arrives_in_order() -> None:
    data = bytes(range(256)) * 1000
    blocks = list(read_ahead(io.BytesIO(data), 4096, depth=2))
    assert b"".join(blocks) == data
    assert all(len(block) == 4096 for block in blocks[:-1])


class Broken(io.RawIOBase):
    def read(self, size: int = -1) -> bytes:
        raise OSError("the pipe broke")


def test_a_failed_read_reaches_the_reader() -> None:
    with pytest.raises(OSError, match="the pipe broke"):
        list(read_ahead(Broken(), 10))  # type: ignore[arg-type]


def test_leaving_early_stops_the_thread() -> None:
    before = {t.ident for t in threading.enumerate()}
    blocks = read_ahead(io.BytesIO(b"x" * 100_000), 10, depth=1)
    assert next(blocks) == b"x" * 10
    blocks.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
        if not [t for t in extra if t.name == "git-read-ahead"]:
            break
        time.sleep(0.01)
    assert not [
        t for t in threading.enumerate() if t.name == "git-read-ahead" and t.ident not in before
    ]
