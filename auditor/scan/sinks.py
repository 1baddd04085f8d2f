"""Writers of the allowed and blocked rows, in the input's own format, written atomically.

Each sink writes to a temporary file beside its target and renames it into place on ``publish``,
once every sink has written all its rows (``settle``): a training job never reads a half-written
file, and a failure in either sink leaves neither file renamed. The file has the usual mode
(``0666`` less the umask), so that job can read it. Line-based inputs (JSONL, download
archives) are written as read, the kept lines' bytes one after another (no Python object per
line); Parquet and CSV through Arrow with the input's schema; a directory of yt-dlp info files
as JSON lines, one record (file, id, URL, license...) per video.

Each sink writes on a thread of its own, fed by a queue of at most ``_QUEUED`` batches: the scan
hands a batch and its mask over and goes on reading, while Arrow filters, encodes and compresses
(it releases the GIL while it does), so two outputs and the scan use the cores side by side, and
memory stays bounded by the batches queued. Parquet is written with the input's compression codec
(the codec of its first column; Snappy when the input has none or no row groups), so the split
costs what the input cost to store and reads back as fast; filtered batches are gathered into row
groups of at least ``_ROW_GROUP_ROWS`` rows, never one small group per batch.
"""

from __future__ import annotations

import json
import os
import queue
import threading
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from auditor.errors import InputError
from auditor.output import create_beside
from auditor.scan.arrays import text_view
from auditor.scan.formats import InputFormat
from auditor.scan.sources import Chunk, Source, compression_of, joined

_QUEUED = 1  # batches waiting for a sink's thread; the scan waits when they are written slower
_ROW_GROUP_ROWS = 1 << 17  # smaller filtered batches are gathered up to this before writing


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
        self._held: list[pa.Table] = []  # filtered Parquet rows not yet written
        self._held_rows = 0
        schema = source.schema()
        match self.format:
            case InputFormat.PARQUET:
                assert schema is not None
                self._parquet = pq.ParquetWriter(
                    str(self._tmp), schema, compression=source.parquet_compression()
                )
            case InputFormat.CSV:
                assert schema is not None
                self._stream = self._open()
                self._header = text_view(schema.empty_table()).schema
                self._csv = pcsv.CSVWriter(self._stream, self._header)
            case _:
                self._stream = self._open()
        self._queue: queue.Queue[tuple[Chunk, pa.Array] | None] = queue.Queue(_QUEUED)
        self._failed: BaseException | None = None
        self._finishing = False
        self._thread = threading.Thread(target=self._drain, name=f"sink {path.name}", daemon=True)
        self._thread.start()

    def _open(self) -> pa.NativeFile:
        return pa.output_stream(str(self._tmp), compression=compression_of(self.path))

    def write(self, chunk: Chunk, keep: pa.Array) -> None:
        """Write the rows of ``chunk`` where ``keep`` is true (on the sink's thread: a failure
        is raised by a later call, or by :meth:`settle`)."""
        self._raise_failure()
        self._queue.put((chunk, keep))

    def finish(self) -> None:
        """No more rows: the sink's thread writes what it holds and closes the file while the
        caller goes on (building the report); :meth:`settle` waits for it."""
        if not self._finishing:
            self._finishing = True
            self._queue.put(None)

    def _drain(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._failed is None:
                try:
                    self._write(*item)
                except BaseException as exc:  # handed to the scan's thread
                    self._failed = exc
        if self._finishing and self._failed is None:
            try:
                self._finished()
            except BaseException as exc:
                self._failed = exc

    def _raise_failure(self) -> None:
        if self._failed is not None:
            raise self._failed

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _write(self, chunk: Chunk, keep: pa.Array) -> None:
        count = pc.sum(keep).as_py() or 0
        if not count:
            return
        self.rows += count
        if chunk.lines is not None and self.format is not InputFormat.YTDLP_INFO:
            assert self._stream is not None
            # A line too long to hold (null) is counted, not written.
            picked = pc.filter(chunk.lines, keep)
            if picked.null_count:
                picked = picked.drop_null()
            self._stream.write(joined(picked))
            return
        rows = chunk.rows.filter(keep)
        if self._parquet is not None:
            self._held.append(rows)
            self._held_rows += rows.num_rows
            if self._held_rows >= _ROW_GROUP_ROWS:
                self._flush()
        elif self._csv is not None:
            self._csv.write_table(csv_rows(rows, self._header, self.path))
        else:
            assert self._stream is not None
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.to_pylist())
            self._stream.write(text.encode("utf-8"))

    def _flush(self) -> None:
        assert self._parquet is not None
        if self._held:
            self._parquet.write_table(pa.concat_tables(self._held), row_group_size=1 << 30)
            self._held, self._held_rows = [], 0

    def _finished(self) -> None:
        if self._parquet is not None:
            self._flush()
        self._close()

    def settle(self) -> None:
        """Wait until the sink's thread has written every row and closed the file; raise what
        failed there, if anything did."""
        self.finish()
        self._stop()
        self._raise_failure()

    def publish(self) -> None:
        """Rename the written file into place (once :meth:`settle` has returned)."""
        self._tmp.replace(self.path)

    def abort(self) -> None:
        """Stop the sink's thread and remove the file it was writing. A close that fails here
        (a full disk fails again) is not raised: the caller reports what failed first, and the
        other sinks are aborted as well."""
        try:
            self._stop()
            self._close(quiet=True)
        finally:
            self._tmp.unlink(missing_ok=True)

    def _close(self, *, quiet: bool = False) -> None:
        """Close every writer and stream held (each one, whatever the others do); raise the
        first failure unless ``quiet``."""
        handles = (self._parquet, self._csv, self._stream)
        self._parquet = self._csv = self._stream = None
        failed: Exception | None = None
        for handle in handles:
            if handle is not None:
                try:
                    handle.close()
                except Exception as exc:
                    failed = failed or exc
        if failed is not None and not quiet:
            raise failed


def csv_rows(rows: pa.Table, header: pa.Schema, path: Path) -> pa.Table:
    """``rows`` to write under a CSV ``header`` (the schema its writer was opened with): text as
    read, and refused unless their columns are the header's (Arrow's CSV writer crashes the
    process on a table of other columns, it does not raise)."""
    table = text_view(rows)
    if table.schema != header:
        raise InputError(path, "the CSV rows to write do not have the header's columns")
    return table
