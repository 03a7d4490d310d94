"""Column types and field declarations the store's SQLModel classes are built from.

Two column types keep what a hash covers exactly what is stored, on SQLite and
PostgreSQL alike, while the classes' fields are plain Python values:

- :class:`UTCStamp`: a UTC ``datetime`` in Python, fixed-width text in the column
  (``2026-01-31T12:00:00.000000Z``, see :func:`stamp`): no driver or time-zone conversion
  in between, and text order is time order;
- :class:`CanonicalJSON`: JSON data in Python, canonical JSON text in the column.

Each ``*_field`` helper declares a field once: its column type and its validation (a hash is
64 lower-case hex characters, a name 1 to 200 characters, a time a UTC instant). Fields of
both kinds also accept their stored text, so a record is validated straight from a row.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import PlainValidator
from pydantic_core import CoreSchema, core_schema
from sqlmodel import Field

from assay.evidence.model import Artefact, canonical_json

HASH = sa.String(64)
STAMP = sa.String(27)
NAME = sa.String(200)
# SQLite only treats INTEGER PRIMARY KEY as the row id; PostgreSQL gets 64-bit numbers.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

HASH_PATTERN = r"^[0-9a-f]{64}$"
#: A stored time; the seconds-only form is what evidence ids spell ``observed_at`` with.
_STAMP_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z")


def stamp(moment: datetime) -> str:
    """A UTC instant as fixed-width text to the microsecond: ``2026-01-31T12:00:00.000000Z``.

    A naive time is taken as UTC (the store's own clock readings are UTC).
    """
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def parse_stamp(text: str) -> datetime:
    """The inverse of :func:`stamp`; also reads the seconds-only form evidence ids use.

    Anything else (another offset, another shape) is a :class:`ValueError`.
    """
    if not isinstance(text, str) or not _STAMP_TEXT.fullmatch(text):
        raise ValueError(f"not a UTC stamp: {str(text)[:40]!r}")
    return datetime.fromisoformat(text[:-1] + "+00:00")


def to_utc(value: Any) -> datetime:
    """A UTC instant from a ``datetime`` in UTC or its stored text; anything else is refused."""
    if isinstance(value, str):
        return parse_stamp(value)
    if not isinstance(value, datetime):
        raise ValueError("a time is a datetime or a UTC stamp")
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("a time without a time zone is not a UTC instant")
    if offset:
        raise ValueError(f"time {value.isoformat()} is not in UTC")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


def from_json_text(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def to_json_object(value: Any) -> dict[str, Any]:
    """A JSON object from a ``dict`` or its stored text (the ``dict`` is kept, not copied)."""
    data = from_json_text(value)
    if not isinstance(data, dict):
        raise ValueError("must be a JSON object")
    return data


_ARTEFACT_KEYS = {"name", "sha256", "size", "media_type"}
_HASH_TEXT = re.compile(HASH_PATTERN)


def to_artefacts(value: Any) -> Any:
    """Artefacts from their stored JSON text or a list of their dictionaries.

    Each must have exactly a name, a sha256 (64 hex characters), a size (a whole number
    from 0) and a media type; :class:`Artefact` values are taken as they are.
    """
    items = from_json_text(value)
    if not isinstance(items, list | tuple):
        raise ValueError("artefacts must be a list")
    out = []
    for item in items:
        if isinstance(item, Artefact):
            out.append(item)
            continue
        if not isinstance(item, dict) or set(item) != _ARTEFACT_KEYS:
            raise ValueError(f"an artefact has the fields {sorted(_ARTEFACT_KEYS)}")
        size, sha = item["size"], item["sha256"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError("an artefact's size is a whole number from 0")
        if not isinstance(sha, str) or not _HASH_TEXT.fullmatch(sha):
            raise ValueError("an artefact's sha256 is 64 lower-case hex characters")
        if not all(isinstance(item[key], str) for key in ("name", "media_type")):
            raise ValueError("an artefact's name and media type are text")
        out.append(Artefact(**item))
    return tuple(out)


# Each field type is checked by one function (a record is built per row read, so each check
# is one call, not a chain of pydantic steps).

#: A UTC instant; its stored text is accepted too, any other offset is refused.
UTCDateTime = Annotated[datetime, PlainValidator(to_utc, json_schema_input_type=datetime)]
#: A JSON object; its stored (canonical JSON) text is accepted too.
JSONObject = Annotated[
    dict[str, Any], PlainValidator(to_json_object, json_schema_input_type=dict[str, Any])
]


class _ArtefactsSchema:
    """Validates with :func:`to_artefacts` alone: no schema is built for the dataclass."""

    @classmethod
    def __get_pydantic_core_schema__(cls, _source: Any, _handler: Any) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            to_artefacts,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda artefacts: [artefact.to_dict() for artefact in artefacts]
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, _schema: CoreSchema, _handler: Any) -> dict[str, Any]:
        text = {"type": "string"}
        fields = {"name": text, "sha256": {**text, "pattern": HASH_PATTERN}, "media_type": text}
        return {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {**fields, "size": {"type": "integer", "minimum": 0}},
                "required": sorted(_ARTEFACT_KEYS),
                "additionalProperties": False,
            },
        }


#: Artefact references, checked by :func:`to_artefacts`.
Artefacts = Annotated[tuple[Artefact, ...], _ArtefactsSchema]


class JSONText(str):
    """Text already in canonical JSON form: written to a :class:`CanonicalJSON` column as is.

    The store serialises a payload once, hashes that text, and stores the same text.
    """

    __slots__ = ()


class UTCStamp(sa.TypeDecorator[datetime]):
    """A UTC instant stored as :func:`stamp` text."""

    impl = STAMP
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else stamp(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else parse_stamp(value)


class CanonicalJSON(sa.TypeDecorator[Any]):
    """JSON data stored as canonical JSON text (sorted keys, no white space, UTF-8)."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None or isinstance(value, JSONText):
            return value
        if isinstance(value, tuple | list):  # artefact lists
            value = [item.to_dict() if isinstance(item, Artefact) else item for item in value]
        return canonical_json(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> Any:
        return None if value is None else json.loads(value)


def stored(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """``column`` as stored (a stamp or JSON as its text), under its own name."""
    if isinstance(column.type, sa.TypeDecorator):
        name = getattr(column, "name", None)
        coerced = sa.type_coerce(column, column.type.impl_instance)
        return coerced.label(name) if name else coerced
    return column


def raw(table: sa.FromClause) -> list[sa.ColumnElement[Any]]:
    """``table``'s columns as stored, in table order, under their own names.

    Reads that must see exactly what is stored (verification, and records that report an
    unreadable row by its id instead of failing mid-fetch) select these instead of the
    decoded columns, then validate the text into a record.
    """
    return [stored(column) for column in table.columns]


def hash_field(**options: Any) -> Any:
    """A sha256 in hex: 64 lower-case hex characters."""
    return Field(sa_type=HASH, schema_extra={"pattern": HASH_PATTERN}, **options)


def name_field(length: int = 200) -> Any:
    """A required name of 1 to ``length`` characters."""
    return Field(sa_type=sa.String(length), min_length=1, max_length=length)


def stamp_field() -> Any:
    """A UTC instant (:data:`UTCDateTime`) in a :class:`UTCStamp` column."""
    return Field(sa_type=UTCStamp)


def json_field() -> Any:
    """JSON data in a :class:`CanonicalJSON` column."""
    return Field(sa_type=CanonicalJSON)
