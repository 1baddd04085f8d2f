"""Writers of the allowed and blocked rows, in the input's own format, written atomically.

Each sink writes to a temporary file beside its target and renames it into place on ``commit``,
so a training job never reads a half-written file; the file has the usual mode (``0666`` less the
umask), so that job can read it. Line-based inputs (JSONL, download archives)
are written line for line as read; Parquet and CSV through Arrow with the input's schema; a
directory of yt-dlp info files as JSON lines, one record (file, id, URL, license...) per video.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from auditor.output import create_beside
from auditor.scan.arrays import contiguous
from auditor.scan.formats import InputFormat
from auditor.scan.sources import Chunk, Source, compression_of


class Sink:
    def __init__(self, path: Path, source: Source) -> None:
        self.path = path
        self.format = source.format
        self.rows = 0
        handle, self._tmp = create_beside(path)
        os.close(handle)
        self._parquet: pq.ParquetWriter | None = None
        self._csv: pcsv.CSVWriter | None = None
        self._stream: pa.NativeFile | None = None
        schema = source.schema()
        match self.format:
            case InputFormat.PARQUET:
                assert schema is not None
                self._parquet = pq.ParquetWriter(str(self._tmp), schema)
            case InputFormat.CSV:
                assert schema is not None
                self._stream = self._open()
                self._csv = pcsv.CSVWriter(self._stream, _as_text(schema.empty_table()).schema)
            case _:
                self._stream = self._open()

    def _open(self) -> pa.NativeFile:
        return pa.output_stream(str(self._tmp), compression=compression_of(self.path))

    def write(self, chunk: Chunk, keep: pa.Array) -> None:
        """Write the rows of ``chunk`` where ``keep`` is true."""
        count = pc.sum(keep).as_py() or 0
        if not count:
            return
        self.rows += count
        if chunk.lines is not None and self.format is not InputFormat.YTDLP_INFO:
            assert self._stream is not None
            # A line too long to hold (None) is counted, not written.
            picked = [line for line in pc.filter(chunk.lines, keep).to_pylist() if line is not None]
            if picked:
                self._stream.write(b"\n".join(picked) + b"\n")
            return
        rows = chunk.rows.filter(keep)
        if self._parquet is not None:
            self._parquet.write_table(rows)
        elif self._csv is not None:
            self._csv.write_table(_as_text(rows))
        else:
            assert self._stream is not None
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.to_pylist())
            self._stream.write(text.encode("utf-8"))

    def commit(self) -> None:
        self._close()
        self._tmp.replace(self.path)

    def abort(self) -> None:
        try:
            self._close()
        finally:
            self._tmp.unlink(missing_ok=True)

    def _close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._csv is not None:
            self._csv.close()
            self._csv = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None


def _as_text(table: pa.Table) -> pa.Table:
    """Binary columns (read so that bad UTF-8 is caught) viewed as strings, bytes unchanged."""
    columns = [
        contiguous(c).view(pa.string()) if pa.types.is_binary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)
