"""Fixtures for collection tests: the store fixtures (SQLite and PostgreSQL) and helpers."""

from __future__ import annotations

from tests.store.conftest import pg_store_url, store_url

__all__ = ["pg_store_url", "store_url"]
