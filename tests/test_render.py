"""User strings are made safe before any renderer prints them; the JSON report keeps them exactly.

A manifest anyone can edit in a pull request names datasets, licenses and (through a card) a
``pretty_name`` with ESC sequences, BEL, a C1 CSI, bidi overrides, zero-width characters and line
breaks followed by workflow commands. No output may carry those characters raw, and no printed
line may start (after leading blanks, as GitHub's runner reads it) with ``::``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from auditor.cli import app
from auditor.render import STREAMED, json_chunks, json_document, safe_text
from tests.conftest import fixture_path

HOSTILE = "hostile/mix.yaml"
# Every character class safe_text hides: C0 but the line break, DEL, C1, bidi controls,
# zero-width characters and joiners, the BOM, tag characters, line and paragraph separators.
RAW = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\U000e0000-\U000e007f]"
)


def assert_inert(text: str) -> None:
    """No raw control or invisible character, and no ``::`` a runner could read as a command."""
    assert not RAW.search(text), RAW.search(text)
    assert "::" not in text


def check(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["check", str(fixture_path(HOSTILE)), *args])
    return result.exit_code, result.stdout, result.stderr


def test_safe_text_escapes_what_a_terminal_or_runner_would_act_on() -> None:
    assert safe_text("plain ASCII: kept [as is]") == "plain ASCII: kept [as is]"
    assert safe_text("Café — naïve 数据") == "Café — naïve 数据"
    assert safe_text("a\nb\r\nc\td\u2028e") == "a b  c d e"
    assert safe_text("\x1b[2J\x07\x9b\x7f\x00") == "\\x1b[2J\\x07\\x9b\\x7f\\x00"
    assert safe_text("abc\u202egnp.exe\u200b\ufeff\U000e0041") == (
        "abc\\u202egnp.exe\\u200b\\ufeff\\U000e0041"
    )
    assert safe_text("x\n::add-mask::secret") == "x \\x3a\\x3aadd-mask\\x3a\\x3asecret"
    assert safe_text("https://host:8080/a:b") == "https://host:8080/a:b"  # lone colons stay


@given(st.text())
def test_safe_text_output_is_always_inert(value: str) -> None:
    shown = safe_text(value)
    assert_inert(shown)
    assert "\n" not in shown
    assert safe_text(shown) == shown  # made safe once, it stays as it is


def test_the_table_prints_hostile_names_inert() -> None:
    code, out, err = check("--offline")
    assert code == 1
    assert_inert(out)
    assert_inert(err)
    # Shown, escaped, so a reviewer sees what the manifest holds.
    assert "evil\\x1b[31m\\u202e\\x3a\\x3aadd-mask" in out.replace("\n", "")
    assert "Card \\x3a\\x3anotice\\x3a\\x3ahello\\u2066x\\u2069" in out


def test_markdown_prints_hostile_names_inert() -> None:
    code, out, _ = check("--format", "markdown", "--offline")
    assert code == 1
    assert_inert(out)
    assert "`evil\\x1b[31m\\u202e\\x3a\\x3aadd-mask\\x3a\\x3asecret`" in out


def test_sarif_message_text_is_inert_and_identifiers_exact() -> None:
    code, out, _ = check("--format", "sarif", "--offline")
    assert code == 1
    for line in out.splitlines():
        assert not line.lstrip().startswith("::"), line
    results = json.loads(out)["runs"][0]["results"]
    assert results
    for result in results:
        assert_inert(result["message"]["text"].replace("\n", " "))
    datasets = {r["properties"]["dataset"] for r in results}
    assert "evil\x1b[31m\u202e::add-mask::secret" in datasets


def test_json_keeps_the_exact_values() -> None:
    code, out, _ = check("--format", "json", "--offline")
    assert code == 1
    report = json.loads(out)
    ids = {d["id"] for d in report["datasets"]}
    assert ids == {"evil\x1b[31m\u202e::add-mask::secret", "::stop-commands::tok", "card"}
    raws = {d["license"]["raw"] for d in report["datasets"]}
    assert "MIT\r\n::warning::x\x9b31m\u200b\ufeff\x7f" in raws
    names = {d["name"] for d in report["datasets"]}
    assert "Card\n::notice::hello\u2066x\u2069\U000e0041" in names


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_a_report_file_is_as_inert_as_stdout(fmt: str, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    code, out, _ = check("--format", fmt, "--offline", "-o", str(target))
    assert code == 1
    assert out == ""
    assert_inert(target.read_text(encoding="utf-8"))


# --- documents written in pieces ---------------------------------------------------------------

_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    before=st.dictionaries(st.text(max_size=4), _JSON_VALUES, max_size=3),
    items=st.lists(_JSON_VALUES, max_size=7),
    depth=st.integers(0, 3),
    batch=st.integers(1, 4),
)
def test_json_in_pieces_is_the_whole_document(
    before: dict[str, object], items: list[object], depth: int, batch: int
) -> None:
    def nest(value: object) -> object:
        doc: object = {**before, "\x00items": value, "after": [1, {"x": None}]}
        for _ in range(depth):
            doc = {"runs": [doc]}
        return doc

    pieces = list(json_chunks(nest(STREAMED), iter(items), batch=batch))
    assert "".join(pieces) == json_document(nest(items))
    assert len(pieces) >= len(items) // batch


def test_streamed_and_byte_formats_write_what_the_renderers_make(tmp_path: Path) -> None:
    from auditor import audit
    from auditor.mix import report_weights
    from auditor.render.html import render_html
    from auditor.render.json import render_json
    from auditor.render.sarif import render_sarif
    from auditor.render.spdx3 import render_spdx3

    manifest = fixture_path("manifest.lineage.yaml")
    report = audit(manifest, offline=True)
    for fmt, expected in (
        ("sarif", render_sarif(report, root=tmp_path)),
        ("html", render_html(report, weights=report_weights(report))),
        ("spdx3", render_spdx3(report)),
        ("json", render_json(report)),
    ):
        out = tmp_path / f"report.{fmt}"
        result = CliRunner().invoke(
            app,
            ["check", str(manifest), "--format", fmt, "--output", str(out), "--offline"]
            + (["--sarif-root", str(tmp_path)] if fmt == "sarif" else []),
        )
        assert result.exit_code in (0, 1), result.output
        assert out.read_text(encoding="utf-8") == expected
        assert expected.count("inherited from") > 1
