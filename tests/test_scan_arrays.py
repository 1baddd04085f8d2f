"""The scan's string index: lookups whose cost follows the batch, and never a wrong match."""

from __future__ import annotations

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pytest

from auditor.scan import arrays
from auditor.scan.arrays import GrowingInts, GrowingStrings, StringIndex, string_hashes


def test_held_strings_are_found_and_others_are_not() -> None:
    """Across several growths of the table (it starts at 1,024 slots)."""
    words = [f"h{i}.example.com" for i in range(5000)] + ["", "a", "\u00fc.de"]
    index = StringIndex()
    for start in (0, 10, 1000, 4000):
        end = {0: 10, 10: 1000, 1000: 4000}.get(start, len(words))
        index.add(pa.array(words[start:end]), pa.array(range(start, end), pa.int32()))
    probe = pa.array([*reversed(words), "absent.org", None])
    assert index.get(probe).to_pylist() == [*reversed(range(len(words))), None, None]
    assert index.get(pa.array(words).slice(5, 3)).to_pylist() == [5, 6, 7]  # a sliced array
    assert len(index) == len(words) and index.keys().to_pylist() == words


def test_hashes_depend_on_every_byte_and_the_length() -> None:
    values = pa.array(["ab", "ba", "a", "a\x00", "", "abc"])
    assert len(set(string_hashes(values).tolist())) == len(values)


def test_strings_that_share_a_hash_are_never_mistaken(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile input could make two hosts share a hash: the strings are compared, so the later
    one is not found (it is judged again), never given the other's value."""
    monkeypatch.setattr(arrays, "string_hashes", lambda v: np.zeros(len(v), np.uint64))
    index = StringIndex()
    index.add(pa.array(["youtube.com", "example.com"]), pa.array([7, 8], pa.int32()))
    assert index.get(pa.array(["youtube.com", "example.com"])).to_pylist() == [7, None]
    index.add(pa.array(["example.com"]), pa.array([9], pa.int32()))
    assert index.get(pa.array(["example.com", "youtube.com"])).to_pylist() == [None, 7]


def test_short_long_and_non_ascii_strings_hash_apart() -> None:
    values = pa.array(["x" * 16, "x" * 17, "x" * 64, "x" * 65, "x" * 300, "\u00fc" * 8, "y"])
    hashes = string_hashes(values).tolist()
    assert len(set(hashes)) == len(values)
    # The same string hashes alike wherever it sits in an array.
    assert string_hashes(values.slice(3, 2)).tolist() == hashes[3:5]


@pytest.mark.parametrize("block", [1, 3, 7, 64, 1 << 20])
def test_lines_are_cut_alike_whatever_the_blocks(
    block: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines spanning blocks, lines over the limit (null, skipped to their end), CRLF, a last
    line without a line feed: the same lines whatever the block size."""
    from auditor.scan import sources

    monkeypatch.setattr(sources, "_JSONL_BLOCK", block)
    text = b'{"a": 1}\n' + b"x" * 20 + b"\n\n  \r\nshort\r\n" + b"y" * 11 + b"\nlast"
    limit = 10
    expected = [b'{"a": 1}\n', None, b"\n", b"  \r\n", b"short\r\n", None, b"last\n"]
    got = [
        line
        for array in sources.line_arrays(pa.BufferReader(text), limit)
        for line in array.to_pylist()
    ]
    assert got == expected
    arrays_ = list(sources.line_arrays(pa.BufferReader(text), limit))
    kept = b"".join(sources.joined(a.drop_null()).to_pybytes() for a in arrays_)
    assert kept == b'{"a": 1}\n\n  \r\nshort\r\nlast\n'


def test_growing_strings_hold_what_was_appended_across_growths() -> None:
    from auditor.scan.arrays import GrowingInts, GrowingStrings

    held = GrowingStrings()
    numbers = GrowingInts(np.int64)
    expected: list[str] = []
    first = held.array()
    for batch in range(40):
        words = [f"{batch}-{i}" * (1 + i % 5) for i in range(batch * 37)] + ["", "\u00fc"]
        whole = pa.array(["before", *words, "after"])
        held.append(whole.slice(1, len(words)))  # a sliced array: its offsets do not start at 0
        numbers.append(np.arange(len(words)))
        expected += words
    held.append(pa.array([], pa.string()))
    assert held.array().to_pylist() == expected and len(held) == len(expected)
    assert numbers.view().tolist() == [i for b in range(40) for i in range(b * 37 + 2)]
    assert first.to_pylist() == []  # an earlier view is left as it was


def test_a_cleared_index_holds_nothing_and_fills_again_in_its_own_room() -> None:
    index = StringIndex()
    words = [f"w{i}.example" for i in range(3000)]
    index.add(pa.array(words), pa.array(range(3000), pa.int32()))
    slots = index._slots
    index.clear()
    assert len(index) == 0 and index.get(pa.array(words[:3])).to_pylist() == [None] * 3
    index.add(pa.array(words[::-1]), pa.array(range(3000), pa.int32()))
    assert index.get(pa.array(words[:2])).to_pylist() == [2999, 2998]
    assert index.get(pa.array(["w0.example", "x"])).to_pylist() == [2999, None]
    assert index._slots is slots  # not grown again: the room was kept
    assert index.keys().to_pylist() == words[::-1]


def test_cleared_growing_arrays_fill_again_from_the_start() -> None:
    held, numbers = GrowingStrings(4, 8), GrowingInts(np.int64, 4)
    held.append(pa.array(["abc", "defgh", "ij"]))
    numbers.append(np.arange(5))
    held.clear()
    numbers.clear()
    assert len(held) == 0 and held.array().to_pylist() == [] and numbers.view().tolist() == []
    held.append(pa.array(["z", ""]))
    numbers.append(np.array([7]))
    assert held.array().to_pylist() == ["z", ""] and numbers.view().tolist() == [7]


def test_a_batch_s_url_and_license_columns_are_joined_in_the_table_itself() -> None:
    """A CSV batch is gathered from many small ones: the URL and license columns are joined once
    and put back in the table, so the pieces are not held beside the copy until it is written."""
    from auditor.scan.sources import _joined_columns

    pieces = [
        pa.table({"url": [f"u{i}", f"v{i}"], "license": ["MIT", None], "n": [i, i]})
        for i in range(3)
    ]
    table = pa.concat_tables(pieces)
    joined = _joined_columns(table, ["url", "license"])
    assert [joined.column(n).num_chunks for n in ("url", "license", "n")] == [1, 1, 3]
    assert joined.equals(table) and joined.schema == table.schema
    single = pieces[0]
    assert _joined_columns(single, ["url"]).column(0).chunk(0).buffers()[2].address == (
        single.column(0).chunk(0).buffers()[2].address
    )  # one piece already: not copied


def test_csv_rows_of_other_columns_than_the_header_are_refused_not_written() -> None:
    """Arrow's CSV writer crashes the process on a table whose columns are not its header's."""
    from pathlib import Path

    from auditor.errors import InputError
    from auditor.scan.sinks import csv_rows

    header = pa.schema([("url", pa.string()), ("n", pa.int64())])
    rows = pa.table({"url": pa.array([b"https://a/\xff"], pa.binary()), "n": [1]})
    assert csv_rows(rows, header, Path("out.csv")).column(0).chunk(0).buffers()[2].to_pybytes() == (
        b"https://a/\xff"
    )
    with pytest.raises(InputError, match="do not have the header's columns"):
        csv_rows(rows.drop_columns(["n"]), header, Path("out.csv"))
