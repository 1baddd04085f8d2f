"""Parsed documents keep the line of every key and item, and report errors with a line; hostile
files (too big, too deep, aliases that multiply, special files) fail within limits."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor import document
from auditor.document import Document, load, parse_json, parse_yaml
from auditor.errors import InputError
from tests.conftest import fixture_path


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


# --- hostile input: every limit fails as path:line, before time or memory run out ----------


def test_alias_expansion_is_counted_not_expanded() -> None:
    # 342 bytes that stand for 387 million values when expanded.
    path = fixture_path("hostile/yaml.billion-laughs.yaml")
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.line == 6
    assert "aliases stand for more than 100,000 values" in caught.value.message
    assert "AUDITOR_MAX_ALIAS_VALUES" in caught.value.message


def test_the_alias_limit_can_be_raised_or_lowered(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
    assert parse_yaml(text, "t.yaml").data == {"a": [1, 2, 3], "b": [[1, 2, 3], [1, 2, 3]]}
    monkeypatch.setenv("AUDITOR_MAX_ALIAS_VALUES", "7")
    with pytest.raises(InputError, match="more than 7 values") as caught:
        parse_yaml(text, "t.yaml")
    assert caught.value.line == 2


def test_a_limit_set_to_nonsense_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_MAX_INPUT_BYTES", "lots")
    with pytest.raises(InputError) as caught:
        load(fixture_path("manifest.clean.json"))
    assert (
        str(caught.value) == "AUDITOR_MAX_INPUT_BYTES: must be a positive whole number, not 'lots'"
    )


def test_recursive_alias() -> None:
    with pytest.raises(InputError) as caught:
        load(fixture_path("hostile/yaml.recursive-alias.yaml"))
    assert caught.value.line == 3
    assert "recursive alias '*r'" in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 1000 + "]" * 1000 + "\n",  # libyaml's own limit is 1000
        "a: " + "[" * 990 + "]" * 990 + "\n",
        "".join("  " * i + f"k{i}:\n" for i in range(150)) + "  " * 150 + "x\n",
        # Shallow as written, deep once the alias is expanded.
        "a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 60 + "*a" + "]" * 60 + "\n",
    ],
    ids=["flow-1000", "flow-990", "block-150", "alias-deepens"],
)
def test_deep_yaml(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_yaml(text, "t.yaml")
    assert "nested more than 100 levels deep" in caught.value.message or (
        "maximum nesting depth" in caught.value.message
    )
    assert caught.value.line is not None


def test_deep_json_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(InputError) as caught:
        parse_json("{\n" + '"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "t.json")
    assert (caught.value.line, caught.value.message) == (2, "nested more than 100 levels deep")


def test_json_nesting_within_the_limit_reads() -> None:
    data = parse_json("[" * 100 + "]" * 100, "t.json").data
    for _ in range(99):
        (data,) = data
    assert data == []


def test_json_duplicate_key_names_its_line() -> None:
    with pytest.raises(InputError) as caught:
        load(fixture_path("hostile/json.duplicate-key.json"))
    assert (caught.value.line, caught.value.message) == (5, "duplicate key 'license'")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{"a": {"b": 1,\n "\\u0062": 2}}', 2),  # the same key, spelt with an escape
        ('{"a": [{"b": 1}, {"b": 2}],\n "a": 3}', 2),
    ],
)
def test_json_duplicate_keys_anywhere(text: str, line: int) -> None:
    with pytest.raises(InputError, match="duplicate key") as caught:
        parse_json(text, "t.json")
    assert caught.value.line == line


def test_same_key_in_sibling_objects_is_fine() -> None:
    doc = parse_json('{"a": [{"b": "x:{"}, {"b": "]"}], "b": {"a": 1}}', "t.json")
    assert doc.data == {"a": [{"b": "x:{"}, {"b": "]"}], "b": {"a": 1}}


def test_invalid_json_is_reported_as_such_before_a_duplicate() -> None:
    with pytest.raises(InputError, match="invalid JSON"):
        parse_json('{"a": 1, "a": 2', "t.json")


@pytest.mark.parametrize(
    ("text", "parse"),
    [
        ("a: 1\nb: " + "9" * 5000 + "\n", parse_yaml),
        ('{"a": 1,\n "b": -' + "9" * 5000 + "}", parse_json),
    ],
    ids=["yaml", "json"],
)
def test_integer_of_thousands_of_digits(text: str, parse: Callable[[str, str], Document]) -> None:
    with pytest.raises(InputError) as caught:
        parse(text, "t")
    assert caught.value.line == 2
    assert "an integer of more than 100 digits" in caught.value.message


def test_impossible_timestamp() -> None:
    with pytest.raises(InputError) as caught:
        load(fixture_path("hostile/yaml.timestamp.yaml"))
    assert caught.value.line == 6
    assert "invalid YAML value '2020-13-45'" in caught.value.message


@pytest.mark.parametrize(
    ("text", "parse"),
    [
        ('a: 1\nb: "x\\0y"\n', parse_yaml),
        ('a: 1\nb: "x\\u0000y"\n', parse_yaml),
        ('{"a": 1,\n "b": "x\\u0000y"}', parse_json),
    ],
)
def test_nul_character_in_a_string(text: str, parse: Callable[[str, str], Document]) -> None:
    with pytest.raises(InputError) as caught:
        parse(text, "t")
    assert (caught.value.line, caught.value.message) == (2, "a string holds a NUL character (\\0)")


def test_an_escaped_backslash_before_u0000_is_text() -> None:
    assert parse_json('{"a": "\\\\u0000"}', "t.json").data == {"a": "\\u0000"}


def test_yaml_and_json_agree_on_multiple_documents() -> None:
    with pytest.raises(InputError, match="expected a single document") as caught:
        parse_yaml("a: 1\n---\nb: 2\n", "t.yaml")
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: _fifo(tmp), "is not a regular file (it is a FIFO)"),
        (lambda tmp: Path("/dev/zero"), "is not a regular file (it is a device)"),
        (lambda tmp: _symlink_loop(tmp), "cannot read file: Too many levels of symbolic links"),
        (lambda tmp: tmp / ("x" * 300 + ".yaml"), "cannot read file: File name too long"),
        (lambda tmp: tmp / "a\x00b.yaml", "not a usable file name (it contains a NUL byte)"),
    ],
    ids=["fifo", "device", "symlink-loop", "name-too-long", "nul-in-name"],
)
def test_special_files_are_refused_before_they_are_opened(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    # A FIFO would block the read forever and /dev/zero never end: neither is opened.
    with pytest.raises(InputError) as caught:
        load(make(tmp_path))
    assert caught.value.message == message


def _fifo(folder: Path) -> Path:
    path = folder / "mix.yaml"
    os.mkfifo(path)
    return path


def _symlink_loop(folder: Path) -> Path:
    path = folder / "mix.yaml"
    path.symlink_to(path)
    return path


def test_input_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 200 + "\n")
    monkeypatch.setenv("AUDITOR_MAX_INPUT_BYTES", "100")
    with pytest.raises(InputError) as caught:
        load(path)
    assert caught.value.message == (
        "the file is larger than 100 bytes (raise the limit with AUDITOR_MAX_INPUT_BYTES)"
    )
    monkeypatch.setenv("AUDITOR_MAX_INPUT_BYTES", "1000")
    assert load(path).data == {"a": "x" * 200}


def test_wrongly_typed_fields_name_their_place() -> None:
    doc = parse_json('{"a": {\n "licenses": "MIT",\n "b": [1]}}', "t.json")
    with pytest.raises(InputError) as caught:
        doc.items(("a", "licenses"), doc.data["a"]["licenses"])
    assert str(caught.value) == "t.json:2: 'a.licenses' must be a list, not a string"
    assert doc.items(("a", "missing"), None) == []
    assert doc.mapping(("a",), doc.data["a"]) is doc.data["a"]
    with pytest.raises(InputError, match=r"'a\.b' must be an object, not a list"):
        doc.mapping(("a", "b"), doc.data["a"]["b"])
    with pytest.raises(InputError, match=r"'a\.b\.0' must be a string, not a number \(1\)"):
        doc.text(("a", "b", 0), 1)


@pytest.mark.parametrize(
    "text",
    ['{"a": 1,\n "b": "MIT\\udcff"}', '{"a": 1,\n "b": "\\ud83c license"}'],
    ids=["low-half", "high-half"],
)
def test_half_a_surrogate_pair_is_not_text(text: str) -> None:
    # "MIT\udcff" would otherwise resolve as MIT, then fail to print in JSON or SARIF.
    with pytest.raises(InputError) as caught:
        parse_json(text, "t.json")
    assert caught.value.line == 2
    assert "half of a UTF-16 surrogate pair" in caught.value.message


def test_a_whole_surrogate_pair_is_text() -> None:
    assert parse_json('{"a": "\\ud83c\\udfc6", "b": "\\\\udcff"}', "t.json").data == {
        "a": "\N{TROPHY}",
        "b": "\\udcff",
    }


# --- the one-pass builder and the composer agree --------------------------------------------


def _composed(text: str) -> tuple[object, dict[tuple[str | int, ...], int]]:
    """What the composer and the node-tree constructor make of ``text`` (the slow path, which
    documents with anchors take)."""
    node = document._compose(text, "t.yaml")
    lines: dict[tuple[str | int, ...], int] = {}
    data = None if node is None else document._construct(node, (), lines, "t.yaml")
    return data, lines


def _built(text: str) -> tuple[object, dict[tuple[str | int, ...], int]]:
    doc = parse_yaml(text, "t.yaml")
    return doc.data, dict(doc.lines)


def _outcome(parse: Callable[[], object]) -> object:
    try:
        return parse()
    except InputError as exc:
        return ("error", exc.line, exc.message)


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.sampled_from(["yes", "no", "on", "~", "1e3", "0x1f", "2020-01-02", "<<", "-", "'a'"]),
)
_KEYS = st.one_of(st.text(max_size=6), st.integers(), st.booleans())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(value=_VALUES, flow=st.sampled_from([None, True, False]))
def test_builder_agrees_with_the_composer(value: object, flow: bool | None) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    fast = _outcome(lambda: _built(text))
    assert fast == _outcome(lambda: _composed(text))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "plain\n",
        "a: 1\na: 2\n",
        "a: 1\n1: 2\n'1': 3\n",
        "? [a]\n: 1\n",
        "<<: {a: 1}\n",
        "a: !!timestamp 2020-13-45\n",
        "a: !!int 1" + "0" * 5000 + "\n",
        "a: !!binary aGk=\n",
        "a: !!python/name:os.system\n",
        "a: 'x\\0'\n",
        'a: "x\\0y"\n',
        "a: !!set {x, y}\n",
        "- a\n- - b\n  - c: d\n    e: [1, {f: g}]\n",
        "a: 1\n---\nb: 2\n",
        "a: [1\n",
    ],
)
def test_builder_agrees_with_the_composer_on_edge_cases(text: str) -> None:
    fast = _outcome(lambda: _built(text))
    assert fast == _outcome(lambda: _composed(text))


def test_every_yaml_file_of_the_project_reads_the_same_both_ways() -> None:
    root = Path(__file__).resolve().parent.parent
    paths = sorted(
        [*(root / "rules").rglob("*.yaml"), *(root / "tests" / "fixtures").rglob("*.yaml")]
    )
    assert len(paths) > 100
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert _outcome(partial(_built, text)) == _outcome(partial(_composed, text)), path
