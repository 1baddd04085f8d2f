"""Renderers: pure functions from a report to text. Only this package (and the CLI) imports rich.

Every string that came from a user (dataset ids and names, licenses, paths, messages that quote
them, waiver reasons, a policy's name) passes through :func:`safe_text` before it reaches a
terminal, a log, Markdown, SARIF message text or a workflow annotation. Only the JSON report
keeps values exactly; JSON escaping makes them inert there.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum

import pydantic_core
from rich.console import Console

from auditor.report import Report


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"
    HTML = "html"
    CYCLONEDX = "cyclonedx"  # CycloneDX 1.6 ML-BOM
    SPDX3 = "spdx3"  # SPDX 3.0.1 JSON-LD, Dataset profile
    CONCISE = "concise"  # one line per finding: path:line: rule message
    GITHUB = "github"  # GitHub Actions workflow commands (annotations)


# Categories of characters that are never shown raw: controls (C0, DEL, C1), format characters
# (bidi embeddings, overrides and isolates, zero-width characters, the BOM, tag characters),
# line and paragraph separators, and lone surrogates (which no UTF-8 stream can carry).
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
_PLAIN = re.compile(r"[ -~]*")  # printable ASCII: the common case, left as is
_COLONS = re.compile(r"::+")


def safe_text(value: str) -> str:
    """``value`` as it may be printed to a terminal, a CI log or a document.

    Line breaks and tabs become spaces, so no value starts a line of its own; every other
    control or invisible format character is shown as an escape (``\\x1b``, ``\\u202e``), so an
    ESC sequence cannot drive a terminal and a bidi override cannot reorder what a reviewer
    reads. A run of colons is written as ``\\x3a`` escapes, so a value can never form a
    ``::command::`` that a CI runner executes, however a renderer wraps or folds it.
    """
    value = visible_text(value)
    if "::" in value:
        value = _COLONS.sub(lambda m: "\\x3a" * len(m[0]), value)
    return value


def visible_text(value: str) -> str:
    """``value`` with every character shown as :func:`safe_text` shows it, its colons kept: for
    a format that encodes colons itself (a workflow command's properties)."""
    if _PLAIN.fullmatch(value) or value.isprintable():
        # Printable text holds no control, format or separator character (nor a lone
        # surrogate): only the rest is looked at character by character.
        return value
    return "".join(_shown(c) for c in value)


def _shown(char: str) -> str:
    if char in _BREAKS:
        return " "
    if unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def table_text(draw: Callable[[Console], None]) -> str:
    """What ``draw`` prints on a console, as plain text for a file (no colour, 120 columns)."""
    buffer = io.StringIO()
    draw(Console(file=buffer, width=120, no_color=True, markup=False))
    return buffer.getvalue()


def relaxation_note(report: Report) -> str | None:
    """The sentence every format carries when the policy lowers fail-closed rules, else None."""
    if not report.policy_relaxes:
        return None
    rules = ", ".join(rule.value for rule in report.policy_relaxes)
    return f"policy '{safe_text(report.policy)}' relaxes fail-closed rules: {rules}"


def json_chunks(doc: object, items: Iterable[object], *, batch: int = 2000) -> Iterator[str]:
    """``doc`` as :func:`json_document` writes it, where the one list ``[STREAMED]`` in it holds
    ``items``, in pieces: the items are made and written a batch at a time, so a report of a
    hundred thousand results never holds all their dictionaries, nor its whole text, at once.
    Joined, the pieces are exactly the text the whole document would be."""
    head, mark, tail = json_document(doc).partition(json_document(STREAMED[0]).strip())
    assert mark, "the document has no [STREAMED] list"
    indent = head[head.rindex("\n") + 1 :]  # the items' indentation: the list's plus two
    head = head.rstrip()  # up to the list's opening bracket
    tail = tail.lstrip()[1:]  # after the list's closing bracket
    first = True
    chunk: list[str] = []
    for item in items:
        text = json_document(item).rstrip("\n").replace("\n", "\n" + indent)
        chunk.append(("\n" if first else ",\n") + indent + text)
        first = False
        if len(chunk) >= batch:
            yield head + "".join(chunk)
            head, chunk = "", []
    if first:  # no items: the empty list as written
        yield head + "]" + tail
        return
    yield head + "".join(chunk) + "\n" + indent[:-2] + "]" + tail


# The placeholder a document given to :func:`json_chunks` holds where its items go.
STREAMED: list[str] = ["\u0001auditor-streamed-items\u0001"]


def json_document(doc: object) -> str:
    """``doc`` as indented JSON text (two spaces, UTF-8 kept, a final newline).

    pydantic's serializer writes what ``json.dumps(doc, indent=2, ensure_ascii=False)`` writes,
    twenty times faster (the standard library drops to pure Python when it indents); only a
    float with a small exponent reads differently (``1e-6``, as in the JSON report). A string that
    is no valid Unicode (a lone surrogate) is left to the standard library, which keeps it.
    """
    try:
        return pydantic_core.to_json(doc, indent=2).decode("utf-8") + "\n"
    except pydantic_core.PydanticSerializationError:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
