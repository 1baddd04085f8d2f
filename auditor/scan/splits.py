"""The Ray engine's writer: each write task classifies its blocks, splits them into an allowed
and a blocked part file and hands back only their counts.

:class:`SplitParts` is shared by the Ray tasks. Its ``write`` runs on the workers, in the task
that read the rows: for every table it classifies the rows with the worker's classifier
(:func:`auditor.scan.distributed.classify_batch`), counts them by domain, platform, rule mask and
license, and writes the rows of each output, as read, to ``part-<task>.<format>`` in a staging
folder beside the target. Its return value, the task's counts, is all that reaches the driver.
``commit`` then renames each staging folder into place, so a training job never reads a
half-written split. It is a plain class, not a Ray Data ``Datasink``: importing Ray Data cost
every worker process 0.6 s before its first row.

Parquet parts use the input's compression codec and row groups of at least ``_ROW_GROUP_ROWS``
rows (small blocks are gathered); CSV parts are written by Arrow, the values as read, and
JSON-lines parts (and CSV lines the parser could not split) line by line, the bytes as read: what
the local engine writes, cut into parts. The targets must be on a file system every worker and the
driver share (one machine, or a shared mount); for object stores use the Python API
(``annotate``, then ``write_parquet`` and ``summarize``; see docs/scan.md).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from auditor.errors import InputError
from auditor.policy import Severity
from auditor.scan.arrays import text_view
from auditor.scan.distributed import BatchAnnotator, ReadRows, classify_read, merge_tallies
from auditor.scan.formats import InputFormat
from auditor.scan.sinks import csv_rows
from auditor.scan.sources import joined

_ROW_GROUP_ROWS = 1 << 17
_SUFFIX = {InputFormat.PARQUET: "parquet", InputFormat.CSV: "csv", InputFormat.JSONL: "jsonl"}


class SplitParts:
    def __init__(
        self,
        *,
        annotator: BatchAnnotator,
        fail_on: Severity,
        allowed: Path | None,
        blocked: Path | None,
        format: InputFormat,
        schema: pa.Schema | None,
        compression: str | None,
    ) -> None:
        self.annotator = annotator
        self.fail_on = fail_on
        self.format = format
        self.schema = schema
        self.compression = compression or "snappy"
        self.targets = {True: allowed, False: blocked}
        for target in self.targets.values():
            if target is not None:
                _check_target(target)
        self.staged = {
            keep: _staging(target) for keep, target in self.targets.items() if target is not None
        }

    def write(self, reads: Iterable[ReadRows], task: int) -> pa.Table:
        """Split and count the rows one task read (on a worker), into part files numbered
        ``task``; return the counts."""
        tallies = []
        parts = {keep: _Part(self, folder, task) for keep, folder in self.staged.items()}
        try:
            for read in reads:
                tally, blocked = classify_read(self.annotator, read, self.fail_on)
                tallies.append(tally)
                for keep, part in parts.items():
                    kept = pc.invert(blocked) if keep else blocked
                    if read.lines is not None:  # lines as read (too long: not kept)
                        part.add_lines(pc.filter(read.lines, kept))
                    else:
                        part.add(read.rows.filter(kept))
        finally:
            for part in parts.values():
                part.close()
        return merge_tallies(tallies)

    def commit(self) -> None:
        """Move each staged folder to its target (an empty split gets one empty part file)."""
        for keep, folder in self.staged.items():
            target = self.targets[keep]
            assert target is not None
            if not any(folder.iterdir()):
                _Part(self, folder, 0).close(empty=True)
            _check_target(target)
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            folder.replace(target)

    def discard(self) -> None:
        for folder in self.staged.values():
            shutil.rmtree(folder, ignore_errors=True)


def _staging(target: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))


def _check_target(target: Path) -> None:
    """A target may be new, a file, or a folder of part files (an earlier split, replaced)."""
    if target.is_dir() and any(not p.name.startswith("part-") for p in target.iterdir()):
        raise InputError(target, "is a folder that does not hold an earlier split; not replaced")


class _Part:
    """One write task's part file of one output, opened on its first rows. Parquet and CSV rows
    are written through Arrow (CSV with its header first); lines kept as read (JSON lines, and
    CSV lines the parser could not split) are written as they were, after the rows before them."""

    def __init__(self, sink: SplitParts, folder: Path, task: int) -> None:
        self.sink = sink
        self.path = folder / f"part-{task:06d}.{_SUFFIX[sink.format]}"
        self.held: list[pa.Table] = []
        self.held_rows = 0
        self.parquet: pq.ParquetWriter | None = None
        self.csv: pcsv.CSVWriter | None = None
        self.stream: pa.NativeFile | None = None
        self.header = pa.schema([])  # a CSV part's columns, once opened

    def add(self, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        self.held.append(rows)
        self.held_rows += rows.num_rows
        if self.held_rows >= _ROW_GROUP_ROWS:
            self.flush()

    def add_lines(self, lines: pa.Array) -> None:
        """Lines written as read (a null, a line too long to hold, is not), after the rows
        before them."""
        lines = lines.drop_null()
        if len(lines):
            self.flush()
            self._opened().write(joined(lines))

    def _opened(self) -> pa.NativeFile:
        """The part file's stream (a CSV part's header written first)."""
        if self.stream is None:
            self.stream = pa.output_stream(str(self.path))
            if self.sink.format is InputFormat.CSV and self.sink.schema is not None:
                self.header = text_view(self.sink.schema.empty_table()).schema
                self.csv = pcsv.CSVWriter(self.stream, self.header)
        return self.stream

    def flush(self) -> None:
        if not self.held:
            return
        rows = pa.concat_tables(self.held)
        self.held, self.held_rows = [], 0
        if self.sink.format is InputFormat.PARQUET:
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(
                    str(self.path), rows.schema, compression=self.sink.compression
                )
            self.parquet.write_table(rows, row_group_size=1 << 30)
            return
        self._opened()
        assert self.csv is not None, "only Parquet and CSV rows are written as rows"
        self.csv.write_table(csv_rows(rows, self.header, self.path))

    def close(self, *, empty: bool = False) -> None:
        self.flush()
        if empty:
            if self.sink.format is InputFormat.PARQUET and self.sink.schema is not None:
                pq.write_table(self.sink.schema.empty_table(), self.path)
            else:
                self._opened()  # a CSV part's header, or an empty file of lines
        for writer in (self.parquet, self.csv, self.stream):
            if writer is not None:
                writer.close()
