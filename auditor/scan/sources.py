"""Record-level manifests, read in batches: Parquet, JSONL and CSV (optionally compressed), a
directory of yt-dlp ``.info.json`` files, or a yt-dlp ``--download-archive`` file.

Every reader yields :class:`Chunk` values: the rows as read (to be written out again unchanged),
the URL column, the license column when there is one, and the rows the reader could not use
(bad encoding, a broken record), marked with their ``invalid`` bit so that they are counted,
never dropped. No reader holds more than one batch in memory: line-based inputs are read in
blocks, and a line longer than ``AUDITOR_MAX_LINE_BYTES`` is an invalid row (``line-too-long``),
skipped to its end without being held, so not written out. A bad row never stops the scan; a bad
file (a FIFO or device, an unreadable header, a URL column named twice) is one input error.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
import pyarrow.json as pjson  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from auditor.document import file_status, limits, read_bytes
from auditor.errors import InputError
from auditor.scan.arrays import binary_as_text, contiguous, encodable
from auditor.scan.classify import Invalid, invalid_bit
from auditor.scan.formats import (
    AmbiguousFieldError,
    InputFormat,
    license_field,
    unique_pairs,
    url_field,
)

# Rows per batch. Measured with benchmarks/bench_scan.py: a million spent much of its time on
# fresh memory (every batch allocates its arrays again); 2**19 held about six batches' worth of
# columns in flight (read ahead, judged, queued for the split writers), 2**18 takes 10M-row
# Parquet splits from 706-757 to 589-630 MiB resident at the same speed, the 8M-hosts case from
# 1,575-1,656 to 1,363-1,382 MiB and faster; 2**17 repeats the per-batch work (looking the
# batch's distinct hosts up among those already judged) too often, 12 % slower.
BATCH_ROWS = 1 << 18
_JSONL_BLOCK = 1 << 24  # bytes of JSON lines parsed at once
# Bytes of CSV per Arrow block, gathered into batches of BATCH_ROWS rows. Measured with
# benchmarks/bench_scan.py: with 16 MiB blocks the streaming reader's memory grew with the rows
# (417 MiB of Arrow memory at 10M rows, 657 at 20M); with 4 MiB it stays at 164 MiB.
_CSV_BLOCK = 1 << 22
_INFO_FILES_PER_BATCH = 4096
_LF = 0x0A
_BLANK_LINE = r"^[ \t\n\r\x0b\x0c]*$"  # what bytes.strip() strips
# Codecs as Parquet metadata names them, and as pyarrow's writer does.
_PARQUET_CODECS = {
    **{name: name for name in ("snappy", "gzip", "brotli", "zstd", "lz4")},
    "lz4_raw": "lz4",
    "uncompressed": "none",
}

COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd", ".lz4": "lz4"}

# yt-dlp archive lines are "<extractor key, lowercase> <video id>": how to rebuild a URL from them.
# Only the host decides the platform; the path is a best guess for path-specific opt-outs.
ARCHIVE_URLS = {
    "youtube": "https://www.youtube.com/watch?v={id}",
    "vimeo": "https://vimeo.com/{id}",
    "dailymotion": "https://www.dailymotion.com/video/{id}",
    "twitter": "https://twitter.com/i/status/{id}",
    "tiktok": "https://www.tiktok.com/video/{id}",
    "instagram": "https://www.instagram.com/p/{id}/",
    "facebook": "https://www.facebook.com/watch/?v={id}",
    "reddit": "https://www.reddit.com/comments/{id}",
    "bilibili": "https://www.bilibili.com/video/{id}",
    "twitchvod": "https://www.twitch.tv/videos/{id}",
    "soundcloud": "https://api.soundcloud.com/tracks/{id}",
}
_ARCHIVE_LINE = re.compile(r"^(\S+) (\S+)$")


@dataclass(frozen=True)
class Chunk:
    """One batch of input rows and the columns the scan reads from them."""

    rows: pa.Table  # the rows as read; written out unchanged (except JSONL and archive lines)
    urls: pa.Array
    licenses: pa.Array | None
    invalid: pa.Array | None  # int64 invalid bits per row, 0 for a usable row
    lines: pa.Array | None = None  # binary: the raw lines with their line feeds (null: too long)


def gathered(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Arrow's streamed batches (a CSV reader's are small) gathered into tables of about
    ``rows`` rows each, the last one shorter."""
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        held.append(batch)
        count += batch.num_rows
        if count >= rows:
            yield pa.Table.from_batches(held)
            held, count = [], 0
    if held:
        yield pa.Table.from_batches(held)


def compression_of(path: Path) -> str | None:
    return COMPRESSION.get(path.suffix.lower())


def detect_format(path: Path) -> InputFormat:
    """The input format from the path: a folder of info files, or the file's extension."""
    if path.is_dir():
        return InputFormat.YTDLP_INFO
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION:
        suffixes.pop()
    last = suffixes[-1] if suffixes else ""
    match last:
        case ".parquet" | ".pq":
            return InputFormat.PARQUET
        case ".jsonl" | ".ndjson" | ".json":
            return InputFormat.JSONL
        case ".csv":
            return InputFormat.CSV
        case ".txt" | ".archive" | "":
            return InputFormat.YTDLP_ARCHIVE
    raise InputError(path, f"cannot tell the format from the name; use --input-format ({_names()})")


def _names() -> str:
    return ", ".join(f.value for f in InputFormat)


class Source:
    """A manifest to scan: its format, its columns and a reader of chunks."""

    def __init__(
        self,
        path: Path,
        fmt: InputFormat,
        *,
        url_column: str = "url",
        license_column: str | None = None,
        batch_rows: int = BATCH_ROWS,
    ) -> None:
        """``license_column`` None means ``license`` when the input has such a column."""
        if not path.exists():
            raise InputError(path, "no such file or directory")
        # Refused before pyarrow opens it: a FIFO would block and a device never end.
        file_status(path, directory=fmt is InputFormat.YTDLP_INFO)
        self.path = path
        self.line_bytes = limits().line_bytes
        self.format = fmt
        self.batch_rows = batch_rows
        self.default_method: str | None = None
        self.total_rows: int | None = None
        self.csv_bad_lines: list[str] = []
        columns: tuple[str, ...] | None = None
        match fmt:
            case InputFormat.PARQUET:
                try:
                    self._parquet = pq.ParquetFile(path)
                except (pa.ArrowException, OSError) as exc:
                    raise InputError(path, f"not a readable Parquet file: {exc}") from exc
                columns = tuple(self._parquet.schema_arrow.names)
                self.total_rows = self._parquet.metadata.num_rows
            case InputFormat.CSV:
                columns = self._csv_columns()
            case InputFormat.YTDLP_INFO | InputFormat.YTDLP_ARCHIVE:
                self.default_method = "yt-dlp"
                url_column, license_column = "url", "license"
                if fmt is InputFormat.YTDLP_INFO and not path.is_dir():
                    raise InputError(path, "yt-dlp info input must be a directory")
            case InputFormat.JSONL:
                columns = self._jsonl_columns()
        try:
            if columns is not None:
                url_column = url_field(columns, url_column) or url_column
            if license_column is None and columns is not None:
                license_column = license_field(columns, None)
            elif license_column is None:
                license_column = "license"
        except AmbiguousFieldError as exc:
            raise InputError(path, str(exc)) from exc
        if columns is not None and url_column not in columns:
            raise InputError(
                path,
                f"no URL column '{url_column}' (columns: {', '.join(columns)}); "
                "name it with --url-column",
            )
        if columns is not None and license_column is not None and license_column not in columns:
            raise InputError(path, f"no license column '{license_column}'")
        if fmt is InputFormat.YTDLP_ARCHIVE:
            license_column = None
        for name in (url_column, license_column):
            if columns is not None and columns.count(name) > 1:
                raise InputError(
                    path, f"the column '{name}' appears {columns.count(name)} times: which to read?"
                )
        self.url_column = url_column
        self.license_column = license_column

    def chunks(self, *, full: bool = True) -> Iterator[Chunk]:
        """The input in batches; ``full=False`` reads only the URL and license columns."""
        match self.format:
            case InputFormat.PARQUET:
                yield from self._parquet_chunks(full)
            case InputFormat.CSV:
                yield from self._csv_chunks(full)
            case InputFormat.JSONL:
                yield from self._jsonl_chunks()
            case InputFormat.YTDLP_INFO:
                yield from self._info_chunks()
            case InputFormat.YTDLP_ARCHIVE:
                yield from self._archive_chunks()

    def schema(self) -> pa.Schema | None:
        """The schema rows are written with, for formats written through Arrow."""
        match self.format:
            case InputFormat.PARQUET:
                return self._parquet.schema_arrow
            case InputFormat.CSV:
                with self._csv_reader(full=True) as reader:
                    return reader.schema
            case _:
                return None

    def parquet_compression(self) -> str:
        """The codec the split of a Parquet input is written with: the input's own (that of its
        first column chunk), or Snappy (pyarrow's default) when it has none to copy."""
        metadata = self._parquet.metadata
        if metadata.num_row_groups and metadata.num_columns:
            codec = str(metadata.row_group(0).column(0).compression).lower()
            return _PARQUET_CODECS.get(codec, "snappy")
        return "snappy"

    # --- Parquet --------------------------------------------------------------------------

    def _parquet_chunks(self, full: bool) -> Iterator[Chunk]:
        """Whole row groups (a few small ones together), or slices of a large one, so that no
        batch is stitched from pieces. Only the URL and license columns are read unless
        ``full``; the license column then stays dictionary-encoded, as it is stored."""
        reader = self._parquet if full else self._narrow_parquet()
        metadata = self._parquet.metadata
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        for groups in _row_group_batches(sizes, self.batch_rows):
            yield from self._group_chunks(reader, full, groups)

    def row_group_chunks(self, groups: list[int], *, full: bool) -> Iterator[Chunk]:
        """The batches of a run of row groups (one batch of the plan :meth:`chunks` follows),
        read as :meth:`chunks` reads them: what a Ray task reads."""
        reader = self._parquet if full else self._narrow_parquet()
        yield from self._group_chunks(reader, full, groups)

    def _group_chunks(
        self, reader: pq.ParquetFile, full: bool, groups: list[int]
    ) -> Iterator[Chunk]:
        columns = None if full else self._wanted()
        try:
            if len(groups) > 1 or reader.metadata.row_group(groups[0]).num_rows <= self.batch_rows:
                yield self._chunk(reader.read_row_groups(groups, columns=columns))
                return
            for batch in reader.iter_batches(
                batch_size=self.batch_rows, row_groups=groups, columns=columns
            ):
                yield self._chunk(pa.Table.from_batches([batch]))
        except pa.ArrowException as exc:
            raise InputError(self.path, f"cannot read the Parquet data: {exc}") from exc

    def __getstate__(self) -> dict[str, Any]:
        """What a Ray task receives: an open Parquet file is opened again where it runs."""
        state = dict(self.__dict__)
        state.pop("_parquet", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.format is InputFormat.PARQUET:
            try:
                self._parquet = pq.ParquetFile(self.path)
            except (pa.ArrowException, OSError) as exc:
                raise InputError(self.path, f"not a readable Parquet file: {exc}") from exc

    def _narrow_parquet(self) -> pq.ParquetFile:
        schema = self._parquet.schema_arrow
        name = self.license_column
        if name is None or not pa.types.is_string(schema.field(name).type):
            return self._parquet
        return pq.ParquetFile(self.path, read_dictionary=[name])

    def _wanted(self) -> list[str]:
        return [self.url_column, *([self.license_column] if self.license_column else [])]

    def _chunk(self, table: pa.Table, invalid: pa.Array | None = None) -> Chunk:
        table = _joined_columns(table, self._wanted())
        urls, bad = _text(table.column(self.url_column))
        licenses = None
        if self.license_column is not None:
            licenses, bad_license = _text(table.column(self.license_column))
            if bad_license is not None:
                bad = bad_license if bad is None else pc.or_(bad, bad_license)
        if bad is not None:
            bits = pc.if_else(bad, invalid_bit(Invalid.BAD_ENCODING), 0).cast(pa.int64())
            invalid = bits if invalid is None else pc.if_else(pc.equal(invalid, 0), bits, invalid)
        return Chunk(table, urls, licenses, invalid)

    # --- CSV ------------------------------------------------------------------------------

    def _csv_columns(self) -> tuple[str, ...]:
        try:
            with self._csv_reader(full=True, types=False) as reader:
                return tuple(reader.schema.names)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(self.path, f"not a readable CSV file: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(self.path, "the CSV header is not valid UTF-8", 1) from exc

    def _csv_reader(self, *, full: bool, types: bool = True) -> pcsv.CSVStreamingReader:
        def bad_line(row: Any) -> str:
            self.csv_bad_lines.append(row.text)
            return "skip"

        text_columns = self._wanted() if types else []
        convert = pcsv.ConvertOptions(
            column_types={name: pa.binary() for name in text_columns},
            include_columns=None if full else text_columns,
            check_utf8=False,
            strings_can_be_null=False,
        )
        stream = pa.input_stream(str(self.path), compression=compression_of(self.path))
        return pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(block_size=_CSV_BLOCK),
            parse_options=pcsv.ParseOptions(invalid_row_handler=bad_line),
            convert_options=convert,
        )

    def _csv_chunks(self, full: bool) -> Iterator[Chunk]:
        self.csv_bad_lines = []
        try:
            with self._csv_reader(full=full) as reader:
                for table in gathered(reader, self.batch_rows):
                    yield self._chunk(table)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(self.path, f"cannot read the CSV data: {exc}") from exc
        if self.csv_bad_lines:
            yield _bad_lines(self.csv_bad_lines)

    # --- JSON lines -----------------------------------------------------------------------

    def _jsonl_columns(self) -> tuple[str, ...] | None:
        """The keys of the first records (None if none could be read: judged later, per row)."""
        keys: dict[str, None] = {}
        try:
            with pa.input_stream(str(self.path), compression=compression_of(self.path)) as stream:
                head = stream.read(_JSONL_BLOCK)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(self.path, f"cannot read the JSON lines: {exc}") from exc
        for line in head.split(b"\n")[:1000]:
            record, _ = _json_record(line, [])
            keys.update(dict.fromkeys(record or {}))
        return tuple(keys) if keys else None

    def _jsonl_chunks(self) -> Iterator[Chunk]:
        schema = pa.schema([(name, pa.binary()) for name in self._wanted()])
        options = pjson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
        try:
            with pa.input_stream(str(self.path), compression=compression_of(self.path)) as stream:
                for lines in line_arrays(stream, self.line_bytes):
                    blank = pc.match_substring_regex(lines, _BLANK_LINE)
                    if lines.null_count:
                        blank = pc.fill_null(blank, False)
                    if pc.any(blank).as_py():
                        lines = lines.filter(pc.invert(blank))
                    if len(lines):
                        yield self._jsonl_chunk(lines, options)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(self.path, f"cannot read the JSON lines: {exc}") from exc

    def _jsonl_chunk(self, raw: pa.Array, options: pjson.ParseOptions) -> Chunk:
        """The records of non-blank lines (``binary``, each with its line feed; null: too long),
        parsed by Arrow in one go; line by line only when some line is not a good record."""
        table = None
        if not raw.null_count:
            try:
                table = pjson.read_json(pa.BufferReader(joined(raw)), parse_options=options)
            except pa.ArrowException:
                table = None
        if table is not None and table.num_rows == len(raw):
            # Read as bytes: Arrow does not check that JSON strings are UTF-8; _chunk does.
            return dataclasses.replace(self._chunk(table), lines=raw)
        lines: list[bytes | None] = raw.to_pylist()
        wanted = self._wanted()
        values: dict[str, list[str | None]] = {name: [] for name in wanted}
        invalid = []
        for line in lines:
            record, reason = _json_record(line, wanted)
            invalid.append(invalid_bit(reason) if reason else 0)
            for name, column in values.items():
                column.append(_field(record.get(name)) if record else None)
        table = pa.table({name: pa.array(column, pa.string()) for name, column in values.items()})
        urls, licenses = _columns(table, wanted)
        return Chunk(table, urls, licenses, pa.array(invalid, pa.int64()), raw)

    # --- yt-dlp ---------------------------------------------------------------------------

    def _info_chunks(self) -> Iterator[Chunk]:
        paths = sorted(self.path.rglob("*.info.json"))
        for start in range(0, len(paths), _INFO_FILES_PER_BATCH):
            records, invalid = [], []
            for path in paths[start : start + _INFO_FILES_PER_BATCH]:
                record, reason = _info_record(path, self.path)
                records.append(record)
                invalid.append(invalid_bit(reason) if reason else 0)
            table = pa.Table.from_pylist(records, schema=INFO_SCHEMA)
            yield Chunk(table, *_columns(table, ["url", "license"]), pa.array(invalid, pa.int64()))

    def _archive_chunks(self) -> Iterator[Chunk]:
        try:
            with self.path.open("rb") as handle:
                batch: list[bytes | None] = []
                for block in _lines(handle, self.line_bytes):
                    for line in block:
                        line = line.rstrip(b"\r") if line is not None else None
                        if line is None or line.strip():
                            batch.append(line)
                        if len(batch) >= self.batch_rows:
                            yield _archive_chunk(batch)
                            batch = []
                if batch:
                    yield _archive_chunk(batch)
        except OSError as exc:
            raise InputError(self.path, f"cannot read the archive: {exc}") from exc


INFO_SCHEMA = pa.schema(
    [
        ("info_json", pa.string()),
        ("id", pa.string()),
        ("extractor", pa.string()),
        ("url", pa.string()),
        ("license", pa.string()),
        ("uploader", pa.string()),
    ]
)


def _info_record(path: Path, root: Path) -> tuple[dict[str, str | None], Invalid | None]:
    """The row of one ``.info.json``: its page URL, extractor, id, license and uploader."""
    record: dict[str, str | None] = dict.fromkeys(INFO_SCHEMA.names)
    record["info_json"] = path.relative_to(root).as_posix()
    try:
        data = json.loads(read_bytes(path).decode("utf-8"), object_pairs_hook=unique_pairs)
    except UnicodeDecodeError:
        return record, Invalid.BAD_ENCODING
    except (ValueError, RecursionError, InputError):  # broken, too deep, too big, not a file
        return record, Invalid.BAD_RECORD
    if not isinstance(data, dict):
        return record, Invalid.BAD_RECORD
    for name in ("id", "extractor", "license", "uploader"):
        record[name] = _field(data.get(name))
    url = _field(data.get("webpage_url")) or _field(data.get("original_url"))
    key = _field(data.get("extractor_key")) or record["extractor"] or ""
    template = ARCHIVE_URLS.get(key.lower().split(":", 1)[0])
    if url is None and template is not None and record["id"]:
        url = template.format(id=record["id"])
    record["url"] = url
    return record, None


def _archive_chunk(lines: list[bytes | None]) -> Chunk:
    extractors, ids, urls, invalid = [], [], [], []
    for line in lines:
        try:
            match = _ARCHIVE_LINE.match(line.decode("utf-8")) if line is not None else None
        except UnicodeDecodeError:
            match, reason = None, Invalid.BAD_ENCODING
        else:
            reason = Invalid.BAD_RECORD if line is not None else Invalid.LINE_TOO_LONG
        template = ARCHIVE_URLS.get(match[1].lower()) if match else None
        if match and template is None:
            reason = Invalid.UNKNOWN_EXTRACTOR
        extractors.append(match[1] if match else None)
        ids.append(match[2] if match else None)
        urls.append(template.format(id=match[2]) if match and template else None)
        invalid.append(0 if template else invalid_bit(reason))
    table = pa.table(
        {
            "extractor": pa.array(extractors, pa.string()),
            "id": pa.array(ids, pa.string()),
            "url": pa.array(urls, pa.string()),
        }
    )
    return Chunk(
        table,
        contiguous(table.column("url")),
        None,
        pa.array(invalid, pa.int64()),
        pa.array([line + b"\n" if line is not None else None for line in lines], pa.binary()),
    )


def _row_group_batches(sizes: list[int], batch_rows: int) -> Iterator[list[int]]:
    """Consecutive row groups with at most ``batch_rows`` rows together (or one larger group)."""
    group: list[int] = []
    rows = 0
    for index, size in enumerate(sizes):
        if group and rows + size > batch_rows:
            yield group
            group, rows = [], 0
        group.append(index)
        rows += size
    if group:
        yield group


def _bad_lines(lines: list[str]) -> Chunk:
    """CSV records the parser could not split into the header's columns (kept as raw text)."""
    urls = pa.nulls(len(lines), pa.string())
    invalid = pa.array([invalid_bit(Invalid.BAD_RECORD)] * len(lines), pa.int64())
    raw = pa.array([line.encode("utf-8") + b"\n" for line in lines], pa.binary())
    return Chunk(pa.table({"_raw": raw}), urls, None, invalid, raw)


def _json_record(
    line: bytes | None, wanted: list[str]
) -> tuple[dict[str, Any] | None, Invalid | None]:
    """A JSON line as a record, or why it is not one: too long to hold, not UTF-8, not JSON (or
    nested deeper than Python parses), not an object, or naming a ``wanted`` column twice or with
    text that cannot be UTF-8 (a lone surrogate escape)."""
    if line is None:
        return None, Invalid.LINE_TOO_LONG
    try:
        data = json.loads(line.decode("utf-8"), object_pairs_hook=_pairs_hook(wanted))
    except UnicodeDecodeError:
        return None, Invalid.BAD_ENCODING
    except (ValueError, RecursionError, _RepeatedColumn):
        return None, Invalid.BAD_RECORD
    if not isinstance(data, dict):
        return None, Invalid.BAD_RECORD
    for name in wanted:
        value = _field(data.get(name))
        if value is not None and not encodable(value):
            return None, Invalid.BAD_ENCODING
    return data, None


class _RepeatedColumn(Exception):
    """A record names a wanted column twice: which of its values to judge is anyone's guess."""


def _pairs_hook(wanted: list[str]) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def build(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        record = dict(pairs)
        if len(record) < len(pairs) and any(
            sum(key == name for key, _ in pairs) > 1 for name in wanted
        ):
            raise _RepeatedColumn
        return record

    return build


def line_arrays(stream: Any, limit: int) -> Iterator[pa.Array]:
    """The lines of a binary stream, a block at a time, as ``binary`` arrays over the block's own
    bytes, each line with its line feed (one is added to a last line without). A line longer than
    ``limit`` bytes is null: skipped to its end, never held. Lines are found with numpy, so no
    Python object is made per line."""
    carry = b""  # the start of a line that runs past the blocks read so far
    skipping = False  # inside a line known to be too long
    while block := stream.read(_JSONL_BLOCK):
        ends = np.flatnonzero(np.frombuffer(block, np.uint8) == _LF) + 1
        if not len(ends):
            skipping = skipping or len(carry) + len(block) > limit
            carry = b"" if skipping else carry + block
            continue
        first = b"" if skipping else carry + block[: ends[0]]
        too_long = [skipping or len(first) > limit + 1]
        if too_long[0]:
            first = b""
        body_ends = ends[1:] - ends[0] + len(first)
        offsets = np.concatenate([[0, len(first)], body_ends]).astype(np.int32)
        lengths = np.diff(offsets)
        valid = np.concatenate([[not too_long[0]], lengths[1:] <= limit + 1])
        data = first + block[ends[0] : ends[-1]]
        yield pa.Array.from_buffers(
            pa.binary(),
            len(lengths),
            [_bitmap(valid), pa.py_buffer(offsets), pa.py_buffer(data)],
        )
        rest = block[ends[-1] :]
        skipping = len(rest) > limit
        carry = b"" if skipping else rest
    if skipping:
        yield pa.array([None], pa.binary())
    elif carry:
        yield pa.array([carry + b"\n"], pa.binary())


def _bitmap(valid: np.ndarray) -> pa.Buffer | None:
    """An Arrow validity bitmap (None when every value is valid)."""
    if valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())


def joined(lines: pa.Array) -> pa.Buffer:
    """The bytes of a ``binary`` array's values, one after another (without a copy)."""
    offsets = np.frombuffer(lines.buffers()[1], np.int32, len(lines) + 1, lines.offset * 4)
    data = lines.buffers()[2]
    if data is None:
        return pa.py_buffer(b"")
    return data.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))


def _lines(stream: Any, limit: int) -> Iterator[list[bytes | None]]:
    """The lines of a binary stream, a block at a time, without their line feeds. A line longer
    than ``limit`` bytes is None: it is skipped to its end, never held, and no line is ever
    copied more than once however many blocks it spans."""
    head: list[bytes] = []  # the start of the line that runs past the blocks read so far
    held = 0
    overlong = False
    while block := stream.read(_JSONL_BLOCK):
        parts: list[bytes | None] = list(block.split(b"\n"))
        tail = parts.pop()
        if parts:
            first = parts[0]
            assert first is not None
            if overlong or held + len(first) > limit:
                parts[0] = None
            elif head:
                parts[0] = b"".join([*head, first])
            if len(block) > limit:
                parts[1:] = [p if p is not None and len(p) <= limit else None for p in parts[1:]]
            head, held, overlong = [], 0, False
        assert tail is not None
        if not overlong and held + len(tail) > limit:
            head, held, overlong = [], 0, True
        elif not overlong:
            head.append(tail)
            held += len(tail)
        yield parts
    if overlong:
        yield [None]
    elif held:
        yield [b"".join(head)]


def _field(value: object) -> str | None:
    """A JSON value as text: strings as they are, other values as JSON, null as None."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _columns(table: pa.Table, names: list[str]) -> tuple[pa.Array, pa.Array | None]:
    urls = contiguous(table.column(names[0]))
    licenses = contiguous(table.column(names[1])) if len(names) > 1 else None
    return urls, licenses


def _joined_columns(table: pa.Table, names: list[str]) -> pa.Table:
    """``table`` with each of ``names`` in one piece. Classification needs the URL and license
    columns contiguous; putting the joined copy in the table too lets the pieces go, rather than
    holding both until the batch is written (a CSV batch is gathered from many small ones)."""
    for name in names:
        index = table.schema.get_field_index(name)
        column = table.column(index)
        if column.num_chunks > 1:
            table = table.set_column(index, table.field(index), column.combine_chunks())
    return table


def _text(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array | None]:
    """A column as UTF-8 strings, and which rows were not valid UTF-8 (None: all were).
    Dictionary-encoded strings stay encoded."""
    array = contiguous(column)
    if pa.types.is_dictionary(array.type) and pa.types.is_string(array.type.value_type):
        return array, None
    if pa.types.is_string(array.type):
        return array, None
    if pa.types.is_large_string(array.type):
        return array.cast(pa.string()), None
    if not (pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)):
        return array.cast(pa.string()), None
    return binary_as_text(array)
