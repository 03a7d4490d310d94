"""The located YAML loader refuses hostile and malformed input with one clear line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import InvalidInput
from assay.yamlfile import load_yaml, parse_yaml


def _problems(raw: bytes | str, **kwargs: int) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        parse_yaml(raw, "f.yaml", **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in caught.value.problems]


def test_positions_are_recorded_for_values_and_keys() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x\n  - y: 2\n", "f.yaml")
    assert doc.data == {"a": 1, "b": ["x", {"y": 2}]}
    assert doc.locate(("b", 1, "y")) == (4, 8)
    assert doc.locate(("b", 1, "y"), key=True) == (4, 5)
    assert doc.locate(("missing", "deeper")) == (1, 1)


def test_yaml_1_2_scalars_keep_on_yes_and_dates_as_strings() -> None:
    doc = parse_yaml("on: push\nyes: no\nwhen: 2026-01-02\nflag: true\n", "f.yaml")
    assert doc.data == {"on": "push", "yes": "no", "when": "2026-01-02", "flag": True}


def test_syntax_error_is_located() -> None:
    assert _problems("a: [1, 2\nb: 3\n") == [
        "f.yaml:2:2: while parsing a flow sequence; did not find expected ',' or ']'"
    ]


def test_tab_indentation_is_refused_with_its_line() -> None:
    assert _problems("a:\n\tb: 1\n") == [
        "f.yaml:2:1: tab character where YAML expects spaces (indent with spaces)"
    ]


def test_duplicate_keys_name_both_lines() -> None:
    assert _problems("id: A\ntitle: x\nid: B\n") == [
        "f.yaml:3:1: duplicate key 'id' (first at line 1)"
    ]


def test_alias_bomb_is_refused_quickly() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for index in range(1, 10):
        prev = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    (line,) = _problems(bomb)
    assert "expands to more than 200,000 values" in line


def test_self_referencing_alias_is_refused() -> None:
    (line,) = _problems("a: &a\n  b: *a\n")
    assert "nested deeper than 64" in line or "expands" in line


def test_non_utf8_bytes_point_at_the_byte() -> None:
    assert _problems(b"a: 1\nb: caf\xe9\n") == ["f.yaml:2:7: not valid UTF-8 (byte 0xe9)"]


def test_empty_and_comment_only_files_are_refused() -> None:
    assert _problems(b"") == ["f.yaml:1:1: file is empty"]
    assert _problems("# nothing\n\n") == ["f.yaml:1:1: file is empty"]


def test_size_cap() -> None:
    assert _problems(b"a: " + b"x" * 2000, max_bytes=1000) == [
        "f.yaml: file is 2,003 bytes, over the 1,000 byte limit"
    ]


def test_five_megabyte_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"items:\n")
        handle.write(b"  - padding-padding-padding-padding\n" * 150_000)
    with pytest.raises(InvalidInput) as caught:
        load_yaml(big, display="big.yaml")
    size = big.stat().st_size
    assert [str(p) for p in caught.value.problems] == [
        f"big.yaml: file is {size:,} bytes, over the 1,048,576 byte limit"
    ]


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_yaml(tmp_path, display="controls")
    assert [str(p) for p in caught.value.problems] == [
        "controls: is a directory, expected a YAML file"
    ]
    with pytest.raises(InvalidInput) as caught:
        load_yaml(tmp_path / "nope.yaml", display="nope.yaml")
    assert [str(p) for p in caught.value.problems] == ["nope.yaml: no such file"]


def test_python_tags_are_refused() -> None:
    (line,) = _problems("a: !!python/object/apply:os.system ['true']\n")
    assert line.startswith("f.yaml:1:4: ")


def test_custom_tags_refused_unless_lenient() -> None:
    assert _problems("a: !reference [x, y]\nb: !secret s\n") == [
        "f.yaml:1:4: unsupported YAML tag !reference",
        "f.yaml:2:4: unsupported YAML tag !secret",
    ]
    doc = parse_yaml("b: !secret s\n", "f.yaml", lenient_tags=True)
    assert doc.data == {"b": "s"}


def test_merge_keys_merge_without_overriding() -> None:
    doc = parse_yaml("base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert doc.data["child"] == {"x": 1, "y": 3}


def test_multiple_documents_are_refused() -> None:
    (line,) = _problems("a: 1\n---\nb: 2\n")
    assert "expected a single document" in line
