"""Parsed documents keep the line of every key and item, and report errors with a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.document import load, parse_json, parse_yaml
from auditor.errors import InputError


def test_yaml_lines() -> None:
    doc = parse_yaml("a: 1\nb:\n  - x: 2\n    y: 3\n", "t.yaml")
    assert doc.data == {"a": 1, "b": [{"x": 2, "y": 3}]}
    assert doc.line(("b", 0, "y")) == 4
    assert doc.line(("b", 0, "missing")) == 3


def test_json_lines() -> None:
    doc = parse_json('{\n  "a": [\n    {"b": 1}\n  ]\n}', "t.json")
    assert doc.line(("a", 0, "b")) == 3


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("a: [1\nb: 2\n", 2, "invalid YAML"),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", 3, "merge keys"),
    ],
)
def test_yaml_errors(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "t.yaml")
    assert caught.value.line == line
    assert message in caught.value.message


def test_invalid_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(b"a: 1\nb: \xff\n")
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.line == 2
    assert "UTF-8" in str(caught.value)


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        load(tmp_path)
