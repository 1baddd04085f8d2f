"""``auditor scan`` on hostile input: a bad row is counted invalid with its reason and the scan goes
on; a bad file is one input error; no line is held beyond its limit. Big inputs are generated."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import auditor.scan.engine
from auditor.scan import sources
from auditor.scan.command import scan as scan_command

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command()(scan_command)
runner = CliRunner()

OK = b'{"url": "https://a.example.com/x", "license": "MIT"}'
OTHER = b'{"url": "https://b.example.com/y", "license": "MIT"}'


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def scan_lines(
    tmp_path: Path, *lines: bytes, name: str = "rows.jsonl"
) -> tuple[dict[str, Any], list[bytes]]:
    """The JSON report of scanning these lines, and the lines written to --write-blocked."""
    path, blocked = tmp_path / name, tmp_path / "blocked.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run(path, "-f", "json", "--write-blocked", blocked)
    assert code in (0, 1), err
    return json.loads(out), blocked.read_bytes().splitlines()


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b'{"url": "https://b.example.com/\xff", "license": "MIT"}', "bad-encoding"),
        (b'{"url": "https://b.example.com/", "license": "\xff"}', "bad-encoding"),
        (b'{"url": "https://b.example.com/\\udcff", "license": "MIT"}', "bad-encoding"),
        (b'{"url": "https://b.example.com/", "url": "https://c.example.com/"}', "bad-record"),
        (b'{"url": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "bad-record"),
    ],
    ids=["url-not-utf8", "license-not-utf8", "lone-surrogate", "url-twice", "deep"],
)
def test_a_bad_jsonl_row_is_counted_and_the_scan_goes_on(
    tmp_path: Path, bad: bytes, reason: str
) -> None:
    # First, so that the columns are also guessed from it; then good rows.
    report, blocked = scan_lines(tmp_path, bad, OK, OTHER)
    assert report["rows"] == 3
    assert report["invalid"] == {reason: 1}
    assert report["verdicts"]["allowed"] == 2
    assert blocked == [bad]  # written verbatim


def test_invalid_utf8_outside_the_scanned_columns_is_not_a_bad_row(tmp_path: Path) -> None:
    report, _ = scan_lines(tmp_path, OK, b'{"url": "https://b.example.com/", "note": "\xff"}')
    assert (report["rows"], report["invalid"]) == (2, {})


def test_a_line_longer_than_the_limit_is_skipped_not_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A 4 GiB line from a 128 KB .zst, in small: a 2 MB line across many small blocks, with a
    # 16 KB limit. Before, the line buffer was concatenated again for every block.
    monkeypatch.setattr(sources, "_JSONL_BLOCK", 4096)
    monkeypatch.setenv("AUDITOR_MAX_LINE_BYTES", "16384")
    long = b'{"url": "https://c.example.com/' + b"x" * 2_000_000 + b'"}'
    path = tmp_path / "rows.jsonl.zst"
    with pa.output_stream(str(path), compression="zstd") as out:
        out.write(b"\n".join([OK, long, OTHER]) + b"\n")
    assert path.stat().st_size < 10_000
    blocked = tmp_path / "blocked.jsonl"
    code, out_text, _ = run(path, "-f", "json", "--write-blocked", blocked)
    assert code == 1
    report = json.loads(out_text)
    assert (report["rows"], report["invalid"]) == (3, {"line-too-long": 1})
    assert report["verdicts"]["allowed"] == 2
    assert blocked.read_bytes() == b""  # a line too long to hold is counted, not written


@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    block=st.integers(1, 50),
    limit=st.integers(0, 45),
    final_newline=st.booleans(),
)
def test_lines_are_split_across_blocks_exactly(
    lines: list[bytes], block: int, limit: int, final_newline: bool
) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    stream = pa.BufferReader(data)
    original = sources._JSONL_BLOCK
    sources._JSONL_BLOCK = block
    try:
        found = [line for part in sources._lines(stream, limit) for line in part]
    finally:
        sources._JSONL_BLOCK = original
    # Every line a line feed ends, and what follows the last line feed if anything does.
    split = data.split(b"\n")
    if split[-1] == b"":
        split.pop()
    assert found == [line if len(line) <= limit else None for line in split]


def test_archive_lines_are_bounded_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_MAX_LINE_BYTES", "64")
    path = tmp_path / "archive.txt"
    path.write_bytes(b"youtube abc\r\nyoutube " + b"x" * 200 + b"\nvimeo 123\n")
    code, out, _ = run(path, "-f", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["rows"], report["invalid"]) == (3, {"line-too-long": 1})


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("header.csv", b"url,lic\xff\nhttps://a.example.com/,MIT\n", ":1: the CSV header is not"),
        ("twice.csv", b"url,url\nhttps://a.example.com/,https://b.example.com/\n", "appears 2"),
        ("licenses.csv", b"url,license,license\nhttps://a.example.com/,MIT,GPL-3.0\n", "appears"),
    ],
)
def test_a_bad_file_is_one_input_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = run(path)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith(f"error: {path}")
    assert message in err


def test_special_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "rows.jsonl"
    os.mkfifo(fifo)
    code, _, err = run(fifo)
    assert (code, err) == (2, f"error: {fifo}: is not a regular file (it is a FIFO)\n")
    code, _, err = run("/dev/zero", "--input-format", "csv")
    assert (code, err) == (2, "error: /dev/zero: is not a regular file (it is a device)\n")


def test_a_fifo_among_info_files_is_a_bad_row(tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    info = {"id": "abc", "extractor_key": "Youtube", "webpage_url": "https://youtu.be/abc"}
    (folder / "a.info.json").write_text(json.dumps(info))
    os.mkfifo(folder / "b.info.json")
    code, out, _ = run(folder, "-f", "json")
    assert code == 1
    report = json.loads(out)
    assert (report["rows"], report["invalid"]) == (2, {"bad-record": 1})


def test_a_bug_exits_2_naming_the_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise MemoryError

    monkeypatch.setattr(auditor.scan.engine, "scan", broken)
    path = tmp_path / "rows.jsonl"
    path.write_bytes(OK + b"\n")
    code, out, err = run(path)
    assert (code, out) == (2, "")
    assert err == (
        f"error: {path}: unexpected error: MemoryError (run with --debug for the traceback)\n"
    )
