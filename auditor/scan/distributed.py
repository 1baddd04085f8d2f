"""The scan beyond one machine: the same per-batch classifier on Ray Data (or Spark).

:class:`BatchAnnotator` is a picklable callable from an Arrow batch to the same batch with the
scan's columns added (see :meth:`Classifier.annotate`); each worker builds its classifier once.
On Ray Data::

    import ray
    from auditor.scan.distributed import annotate, summarize

    ds = ray.data.read_parquet("s3://bucket/laion/")
    annotated = annotate(ds, policy="commercial")          # lazy: map_batches over Arrow
    annotated.filter(expr="auditor_verdict == 'allowed'").write_parquet("s3://bucket/clean/")
    report = summarize(annotated, source="s3://bucket/laion/")   # small counts to the driver

On Spark, ``df.mapInArrow(lambda batches: map(BatchAnnotator(), batches), schema)`` runs the same
function (see docs/scan.md). Ray is an optional dependency: ``pip install 'auditor[ray]'``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from auditor.errors import InputError
from auditor.policy import Severity
from auditor.scan.arrays import contiguous
from auditor.scan.classify import Classifier, bit
from auditor.scan.engine import ScanOptions, classifier_for, nothing_read, settings_for
from auditor.scan.formats import InputFormat
from auditor.scan.report import ScanReport, Settings, build_report
from auditor.scan.sources import Chunk, Source, _row_group_batches

if TYPE_CHECKING:
    import ray.data

    from auditor.scan.splits import SplitParts

ANNOTATION_COLUMNS = ("auditor_verdict", "auditor_domain", "auditor_platform", "auditor_rules")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


@dataclass
class BatchAnnotator:
    """Arrow batch in, annotated Arrow table out; the classifier is built on first use."""

    policy: str = "commercial"
    method: str | None = None
    snapshots: str | None = None
    user_agents: tuple[str, ...] = ()
    url_column: str = "url"
    license_column: str | None = None
    _classifier: Classifier | None = field(default=None, init=False, repr=False)

    def __call__(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        if self._classifier is None:
            self._classifier = _worker_classifier(self)
        return self._classifier.annotate(
            batch, url_column=self.url_column, license_column=self.license_column
        )

    def options(self) -> ScanOptions:
        return ScanOptions(
            policy=self.policy,
            method=self.method,
            snapshots=Path(self.snapshots) if self.snapshots else None,
            user_agents=self.user_agents,
        )

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_classifier"] = None  # rebuilt on each worker
        return state


# A worker process builds the classifier of each setting once, however many tasks it runs: Ray
# sends ``map_batches`` a fresh copy of the annotator with every task.
_CLASSIFIERS: dict[tuple[object, ...], Classifier] = {}


def _worker_classifier(annotator: BatchAnnotator) -> Classifier:
    key = (annotator.policy, annotator.method, annotator.snapshots, annotator.user_agents)
    found = _CLASSIFIERS.get(key)
    if found is None:
        found = _CLASSIFIERS[key] = classifier_for(annotator.options(), annotator.method, "ray")
    return found


def annotate(ds: ray.data.Dataset, annotator: BatchAnnotator | None = None) -> ray.data.Dataset:
    """``ds`` with the scan's columns added, by ``map_batches`` over Arrow batches."""
    return ds.map_batches(annotator or BatchAnnotator(), batch_format="pyarrow")


_COUNTS_SCHEMA = pa.schema(
    [
        ("domain", pa.string()),
        ("platform", pa.string()),
        ("mask", pa.int64()),
        ("license", pa.string()),
        ("rows", pa.int64()),
        ("is_license", pa.bool_()),
    ]
)

_COUNT_COLUMNS = ["domain", "platform", "mask", "rows"]
_COUNTS = pa.schema([_COUNTS_SCHEMA.field(name) for name in _COUNT_COLUMNS])


def counts_of_annotated(
    table: pa.Table, license_column: str | None
) -> tuple[pa.Table, Counter[str | None]]:
    """Row counts of a table annotated by :meth:`Classifier.annotate` (e.g. on Ray workers): by
    ``domain``, ``platform``, ``mask`` (``rows``), and by license value."""
    keys = ["auditor_domain", "auditor_platform", "auditor_rules"]
    grouped = table.group_by(keys).aggregate([([], "count_all")])
    rules = pc.dictionary_encode(contiguous(grouped.column("auditor_rules")))
    masks = [sum(bit(n) for n in r.split(",")) if r else 0 for r in rules.dictionary.to_pylist()]
    counts = pa.table(
        [
            grouped.column("auditor_domain"),
            grouped.column("auditor_platform"),
            pc.take(pa.array(masks, pa.int64()), rules.indices),
            grouped.column("count_all"),
        ],
        names=_COUNT_COLUMNS,
    ).cast(_COUNTS)
    licenses: Counter[str | None] = Counter()
    if license_column is not None:
        by_license = table.group_by(license_column).aggregate([([], "count_all")])
        for row in by_license.to_pylist():
            licenses[row[license_column]] += row["count_all"]
    return counts, licenses


def _counts_table(counts: pa.Table, licenses: Counter[str | None]) -> pa.Table:
    """Counts as one small table: rows keyed by domain, platform and mask, then rows keyed by
    license."""
    keyed = [None] * len(licenses)
    return pa.concat_tables(
        [
            counts.append_column("license", pa.nulls(len(counts), pa.string()))
            .append_column("is_license", pa.nulls(len(counts), pa.bool_()).fill_null(False))
            .select(_COUNTS_SCHEMA.names)
            .cast(_COUNTS_SCHEMA),
            pa.table(
                {
                    "domain": pa.array(keyed, pa.string()),
                    "platform": pa.array(keyed, pa.string()),
                    "mask": pa.array(keyed, pa.int64()),
                    "license": pa.array(list(licenses), pa.string()),
                    "rows": pa.array(list(licenses.values()), pa.int64()),
                    "is_license": pa.array([True] * len(licenses), pa.bool_()),
                },
                schema=_COUNTS_SCHEMA,
            ),
        ]
    )


def counts_table_of(table: pa.Table, license_column: str | None) -> pa.Table:
    """The counts of an annotated table (see :func:`counts_of_annotated`) as one small table."""
    return _counts_table(*counts_of_annotated(table, license_column))


@dataclass(frozen=True)
class ReadRows:
    """Rows as the engine's own reader read them on a worker, the text it judged held apart from
    the rows (never as columns of theirs, which an input could name alike)."""

    rows: pa.Table  # the rows to write, as read (no column when only lines are written)
    urls: pa.Array  # string: each row's URL (null when not valid UTF-8 or not read)
    licenses: pa.Array | None  # string: each row's license; None: no license read
    invalid: pa.Array | None  # int64 bits, 0 for a usable row; None: all usable
    lines: pa.Array | None = None  # binary: the lines to write as read, instead of rows


def classify_batch(
    annotator: BatchAnnotator, table: pa.Table, fail_on: Severity
) -> tuple[pa.Table, pa.Array]:
    """Classify one batch on a worker: its counts as one small table (see
    :func:`counts_table_of`), and which of its rows are kept out of the allowed set. No column is
    added per row: the rows are counted by the classifier's own classes, and only the counts are
    turned into names."""
    if not table.num_rows:  # an empty block may have no columns (Ray Data hands out such)
        return _COUNTS_SCHEMA.empty_table(), pa.array([], pa.bool_())
    column = annotator.license_column
    urls = contiguous(table.column(annotator.url_column))
    licenses = contiguous(table.column(column)) if column else None
    return _classified(annotator, urls, licenses, None, fail_on)


def classify_read(
    annotator: BatchAnnotator, read: ReadRows, fail_on: Severity
) -> tuple[pa.Table, pa.Array]:
    """:func:`classify_batch` of rows read by the engine's own reader: judged by the text and
    invalid bits it read, as the local engine judges them."""
    if not len(read.urls):
        return _COUNTS_SCHEMA.empty_table(), pa.array([], pa.bool_())
    return _classified(annotator, read.urls, read.licenses, read.invalid, fail_on)


def _classified(
    annotator: BatchAnnotator,
    urls: pa.Array,
    licenses: pa.Array | None,
    invalid: pa.Array | None,
    fail_on: Severity,
) -> tuple[pa.Table, pa.Array]:
    classifier = _worker_classifier(annotator)
    found = classifier.classify(urls, licenses, invalid, rows=True)
    assert found.host is not None
    slot = pc.add(found.license, 1) if found.license is not None else None
    mask = classifier.masks(found.host, slot)
    blocked = pc.not_equal(pc.bit_wise_and(mask, classifier.excluded_bits(fail_on)), 0)
    counts = classifier.counts_table(found.keys, found.counts)
    named = pa.table(
        [counts.column(name).cast(_COUNTS.field(name).type) for name in _COUNT_COLUMNS],
        schema=_COUNTS,
    )
    by_license = (
        classifier.license_rows(found.keys, found.counts) if licenses is not None else Counter()
    )
    return _counts_table(named, by_license), blocked


def merge_tallies(tables: Iterable[pa.Table]) -> pa.Table:
    """Tables of counts (see :func:`counts_table_of`) added up into one, a row per key."""
    merged = pa.concat_tables([_COUNTS_SCHEMA.empty_table(), *tables])
    keys = [name for name in _COUNTS_SCHEMA.names if name != "rows"]
    summed = merged.group_by(keys, use_threads=False).aggregate([("rows", "sum")])
    return summed.rename_columns({"rows_sum": "rows"}).select(_COUNTS_SCHEMA.names)


def merge_counts(tables: Iterable[pa.Table]) -> tuple[pa.Table, Counter[str | None]]:
    merged = pa.concat_tables([_COUNTS_SCHEMA.empty_table(), *tables])
    is_license = merged.column("is_license")
    counts = merged.filter(pc.invert(is_license)).select(_COUNT_COLUMNS)
    licenses: Counter[str | None] = Counter()
    for row in merged.filter(is_license).to_pylist():
        licenses[row["license"]] += row["rows"]
    return counts, licenses


def summarize(
    annotated: ray.data.Dataset,
    annotator: BatchAnnotator | None = None,
    *,
    source: str = "ray dataset",
    fail_on: Severity = Severity.ERROR,
    max_blocked_share: float = 0.0,
    top_fraction: float = 0.1,
    max_domains: int = 1000,
) -> ScanReport:
    """The scan report of an annotated dataset; only per-batch counts reach the driver."""
    annotator = annotator or BatchAnnotator()
    license_column = annotator.license_column
    partial = annotated.map_batches(_BatchCounter(license_column), batch_format="pyarrow")
    counts, licenses = merge_counts(partial.iter_batches(batch_format="pyarrow"))
    classifier = classifier_for(annotator.options(), annotator.method, source)
    settings = Settings(
        input=source,
        input_format="ray",
        method=annotator.method or "not stated (assumed automated collection)",
        url_column=annotator.url_column,
        license_column=license_column,
        fail_on=fail_on,
        max_blocked_share=max_blocked_share,
        top_fraction=top_fraction,
        max_domains=max_domains,
    )
    return build_report(counts, licenses, classifier, settings, classifier.snapshots)


@dataclass(frozen=True)
class _ParquetRowGroups:
    """Reads a run of row groups of a Parquet input on a worker, in batches of at most
    ``batch_rows`` rows, as the local engine reads them."""

    source: Source
    row_groups: list[int]
    full: bool

    def __call__(self) -> Iterator[ReadRows]:
        yield from _read(self.source.row_group_chunks(self.row_groups, full=self.full))


@dataclass(frozen=True)
class _Chunks:
    """Reads a CSV or JSON-lines input on a worker exactly as the local engine reads it (a bad
    line, or a value that is not UTF-8, is an invalid row, never a failed task); ``full``: every
    column, to be written (else the URL and license only)."""

    source: Source
    full: bool

    def __call__(self) -> Iterator[ReadRows]:
        yield from _read(self.source.chunks(full=self.full))


def _read(chunks: Iterable[Chunk]) -> Iterator[ReadRows]:
    for chunk in chunks:
        rows = chunk.rows if chunk.lines is None else pa.table({})
        yield ReadRows(rows, chunk.urls, chunk.licenses, chunk.invalid, chunk.lines)


def _reads(source: Source, full: bool) -> list[Callable[[], Iterator[ReadRows]]]:
    """The input cut into the reads of the Ray tasks. Parquet: a task per run of row groups (the
    local engine's batches: ``batch_rows`` rows, or one larger group), planned from the footer
    on the driver. CSV and JSON lines: one task, reading the file from its start."""
    path = str(source.path)
    match source.format:
        case InputFormat.PARQUET:
            metadata = pq.ParquetFile(source.path).metadata
            sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
            return [
                _ParquetRowGroups(source, groups, full)
                for groups in _row_group_batches(sizes, source.batch_rows)
            ]
        case InputFormat.CSV | InputFormat.JSONL:  # read as the local engine reads them
            return [_Chunks(source, full)]
        case _:
            raise InputError(path, "--engine ray reads Parquet, CSV and JSON lines")


def _warm_worker(annotator: BatchAnnotator) -> None:
    """Load the split writer and build the worker's classifier, ahead of the split tasks. An
    error is left for the split task that meets it again to report."""
    with suppress(Exception):
        import auditor.scan.splits  # noqa: F401

        _worker_classifier(annotator)


def _split_task(sink: SplitParts, read: Callable[[], Iterator[ReadRows]], index: int) -> pa.Table:
    """One Ray task: read a part of the input, classify, split and write it with the sink, and
    return only its counts (a small table, see :func:`counts_table_of`)."""
    return sink.write(read(), index)


def _task_error(exc: BaseException) -> str:
    """A failed Ray task as one plain line: the error it raised (Ray's own message holds a
    traceback and terminal colours), with any escape sequence and control character removed."""
    cause = getattr(exc, "cause", None)
    error = cause if isinstance(cause, BaseException) else exc
    text = _ANSI.sub("", f"{type(error).__name__}: {error}")
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= 300 else text[:299] + "…"


@dataclass(frozen=True)
class _BatchCounter:
    license_column: str | None

    def __call__(self, table: pa.Table) -> pa.Table:
        return counts_table_of(table, self.license_column)


def scan_on_ray(
    source: Source, options: ScanOptions, progress: Callable[[int], None] | None = None
) -> ScanReport:
    """``auditor scan --engine ray``: read, classify, tally and write on the Ray workers.

    Each Ray task reads a part of the input (a run of Parquet row groups, or a whole CSV or
    JSON-lines file), classifies it, writes its allowed and blocked rows to a part file of each
    output and returns its counts (a small table); the driver only adds those up, as each task
    finishes. Outputs are folders of part files, staged beside their targets and renamed into
    place when every task has finished. Connects to the cluster named by ``RAY_ADDRESS``, or
    starts a local Ray instance.

    Plain tasks rather than a Ray Data pipeline: the job has one stage and no shuffle, and Ray
    Data's executor starts actors of its own (statistics, autoscaling) and imports its
    operators in every worker, seconds of start-up that a 2-CPU machine spent before the
    first row.
    """
    try:
        import ray
    except ImportError as exc:
        raise InputError("--engine", "Ray is not installed: pip install 'auditor[ray]'") from exc

    path = str(source.path)
    reads = _reads(source, full=bool(options.write_allowed or options.write_blocked))
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    method = options.method or source.default_method
    annotator = BatchAnnotator(
        policy=options.policy if isinstance(options.policy, str) else options.policy.name,
        method=method,
        snapshots=str(options.snapshots) if options.snapshots else None,
        user_agents=options.user_agents,
        url_column=source.url_column,
        license_column=source.license_column,
    )
    # The workers load the split writer and build their classifiers while the driver starts
    # the tasks.
    warm = ray.remote(_warm_worker).options(scheduling_strategy="SPREAD")
    free = ray.available_resources()  # type: ignore[no-untyped-call]
    for _ in range(min(int(free.get("CPU", 1)), len(reads))):
        warm.remote(annotator)
    from auditor.scan.splits import SplitParts

    sink = SplitParts(
        annotator=annotator,
        fail_on=options.fail_on,
        allowed=options.write_allowed,
        blocked=options.write_blocked,
        format=source.format,
        schema=source.schema(),
        compression=source.parquet_compression() if source.format is InputFormat.PARQUET else None,
    )
    task = ray.remote(_split_task).options(scheduling_strategy="SPREAD")
    try:
        shared = ray.put(sink)
        pending = [task.remote(shared, read, index) for index, read in enumerate(reads)]
        # The counts so far, added up whenever the tasks' since are as many rows: the driver
        # holds about twice the distinct keys, not a table per task (thousands on a cluster).
        merged, held = _COUNTS_SCHEMA.empty_table(), []
        try:
            while pending:
                done, pending = ray.wait(pending)
                tally = ray.get(done[0])
                held.append(tally)
                if sum(t.num_rows for t in held) >= merged.num_rows:
                    merged, held = merge_tallies([merged, *held]), []
                if progress is not None:
                    progress(_rows_of(tally))
        except ray.exceptions.RayError as exc:
            for ref in pending:
                ray.cancel(ref)
            ray.wait(pending, num_returns=len(pending))  # no task writes once the stages go
            raise InputError(path, f"a Ray task failed: {_task_error(exc)}") from exc
        counts, licenses = merge_counts([merged, *held])
        if not pc.sum(counts.column("rows")).as_py():
            raise nothing_read(path, source.format.value)
    except BaseException:
        sink.discard()
        raise
    sink.commit()
    classifier = classifier_for(options, method, path)
    settings = settings_for(options, source, method)
    return build_report(counts, licenses, classifier, settings, classifier.snapshots)


def _rows_of(tally: pa.Table) -> int:
    """The rows a task's counts stand for (those keyed by domain, platform and mask)."""
    rows: int = pc.sum(tally.filter(pc.invert(tally.column("is_license"))).column("rows")).as_py()
    return rows or 0
