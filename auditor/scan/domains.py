"""The domain table of a scan: rows by (registered domain, platform, rule mask), in bounded memory.

Counts are exact while the table holds at most ``max_entries`` entries (one per distinct domain,
platform and mask). Beyond that it is a Misra-Gries summary (Agarwal et al., "Mergeable summaries",
2012): whenever it outgrows the bound, the (``max_entries`` + 1)-th largest count ``c`` is taken
off every entry and those left at zero or less are dropped. Each entry then holds a lower bound of
its true rows, short by at most the sum of those ``c`` (``error``), itself at most the rows no
longer counted in any entry divided by ``max_entries + 1``; an entry with more true rows than
``error`` is never dropped, and only entries counted above ``error`` are listed. Once the table is
bounded, the number of distinct domains is estimated with a HyperLogLog sketch (2**14 registers, a
typical error of 0.8 %).

Nothing here decides a verdict: the verdict, rule, platform and license counts of a scan are
tallied apart, exactly, whatever the number of domains (:mod:`auditor.scan.tally`).

Batches of counts are gathered and merged with an Arrow hash aggregation when the counts held
since the last merge outnumber what it left and the table's bound (up to ``_MERGE_AT``), so that
with millions of distinct domains each batch does not pay a pass over all of them, and the
counts waiting are never many more than the bound allows: a lower ``max_entries`` takes less
memory. The merge runs on a thread of its own while the scan goes on, one merge at a time.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.scan.arrays import contiguous, string_hashes

MAX_ENTRIES = 1_000_000
# Counts waiting to be merged: at least the table's bound (and _LEAST_MERGE), at most _MERGE_AT,
# or what the last merge left if more. Measured with benchmarks/bench_scan.py (8M hosts in 10M
# rows): waiting for 2**21 whatever the bound took the peak to 1,366-1,384 MiB, waiting for the
# bound (a million) 1,036 MiB, at the same speed.
_MERGE_AT = 1 << 21
_LEAST_MERGE = 1 << 16
_KEYS = ["domain", "platform", "mask"]
SCHEMA = pa.schema(
    [
        ("domain", pa.string()),
        ("platform", pa.string()),
        ("mask", pa.int64()),
        ("rows", pa.int64()),
    ]
)
# Held with each platform as a small integer (an index into the platforms met, null for none):
# a hash aggregation keyed by a string column of nulls and a few names is several times slower.
_HELD = pa.schema(
    [
        ("domain", pa.string()),
        ("platform", pa.int32()),
        ("mask", pa.int64()),
        ("rows", pa.int64()),
    ]
)


@dataclass(frozen=True)
class Bound:
    """How a bounded table's counts may fall short of the truth."""

    max_entries: int
    error: int  # each entry's rows are at most this many below its true rows
    untracked_rows: int  # rows counted in no entry


class DomainCounts:
    """Rows by (domain, platform, mask), exact up to ``max_entries`` entries, a Misra-Gries
    summary of that many entries beyond (see the module's documentation)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.rows = 0  # every row added, counted or not in an entry
        self._held: pa.Table | None = None  # what the last merge left
        self._merging: Future[pa.Table] | None = None  # a merge under way, on its own thread
        self._parts: list[pa.Table] = []  # added since the last merge began
        self._pending = 0  # entries in them
        self._merged = 0  # entries left by the last merge
        self._error = 0
        self._distinct: Distinct | None = None  # from the first time the table is bounded
        self._platforms: list[str] = []  # the platforms met, by their index in the table
        self._merge_at = min(_MERGE_AT, max(max_entries, _LEAST_MERGE))

    def add(self, counts: pa.Table) -> None:
        """Add counts with the columns of ``SCHEMA``; the platform column may be
        dictionary-encoded (a key may come more than once)."""
        if not len(counts):
            return
        platform = contiguous(counts.column("platform"))
        if not pa.types.is_dictionary(platform.type):
            platform = pc.dictionary_encode(platform.cast(pa.string()))
        held = self._platform_indices(platform.dictionary.cast(pa.string()))
        counts = pa.table(
            [
                contiguous(counts.column("domain")).cast(pa.string()),
                pc.take(held, platform.indices),
                contiguous(counts.column("mask")).cast(pa.int64()),
                contiguous(counts.column("rows")).cast(pa.int64()),
            ],
            schema=_HELD,
        )
        self.rows += pc.sum(counts.column("rows")).as_py() or 0
        self._parts.append(counts)
        self._pending += len(counts)
        if self._pending > max(self._merge_at, self._merged):
            # On a thread of its own (Arrow's aggregation releases the GIL), while the scan goes
            # on; the next one waits for it.
            held, parts = self._taken()
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="auditor-domains")
            self._merging = pool.submit(self._merged_of, held, parts)
            pool.shutdown(wait=False)

    def _platform_indices(self, names: pa.Array) -> pa.Array:
        """The index of each of ``names`` (distinct) among the platforms held, new ones added."""
        for name in names.drop_null().to_pylist():
            if name not in self._platforms:
                self._platforms.append(name)
        return pc.index_in(names, pa.array(self._platforms, pa.string())).cast(pa.int32())

    def _settled(self) -> pa.Table | None:
        """What the last merge left, once it is done."""
        if self._merging is not None:
            self._held = self._merging.result()
            self._merging = None
            self._merged = len(self._held)
        return self._held

    def _taken(self) -> tuple[pa.Table | None, list[pa.Table]]:
        """What the last merge left, and the counts added since: now to be merged."""
        held = self._settled()
        parts, self._parts, self._pending = self._parts, [], 0
        return held, parts

    def _merge(self) -> pa.Table:
        """Every count added, merged (and pruned if the table outgrew its bound)."""
        held = self._settled()
        if held is None or self._parts:
            held = self._held = self._merged_of(*self._taken())
            self._merged = len(held)
        return held

    def _merged_of(self, held: pa.Table | None, parts: list[pa.Table]) -> pa.Table:
        """What the last merge left and ``parts``, merged."""
        table = pa.concat_tables(
            [_HELD.empty_table(), *([held] if held is not None else []), *parts]
        )
        merged = table.group_by(_KEYS, use_threads=False).aggregate([("rows", "sum")])
        merged = merged.rename_columns({"rows_sum": "rows"}).select(_HELD.names)
        # Every domain goes into the sketch from the first time the table is bounded: then all
        # those merged; afterwards those added since, the sketch holding what the last merge
        # left already (adding a domain twice changes nothing, but hashing it costs).
        if self._distinct is not None:
            for part in parts:
                self._distinct.add(contiguous(part.column("domain")))
        elif len(merged) > self.max_entries:
            self._distinct = Distinct()
            self._distinct.add(contiguous(merged.column("domain")))
        if len(merged) > self.max_entries:
            merged = self._pruned(merged)
        return pa.table([contiguous(c) for c in merged.columns], schema=_HELD)

    def _pruned(self, table: pa.Table) -> pa.Table:
        """A Misra-Gries step: take the (max_entries + 1)-th largest count off every entry and
        keep those left above zero (at most ``max_entries``)."""
        rows = contiguous(table.column("rows")).to_numpy()
        # numpy's selection is linear; Arrow's select_k keeps a heap of max_entries + 1 values.
        cut = int(np.partition(rows, len(rows) - self.max_entries - 1)[-self.max_entries - 1])
        self._error += cut
        less = rows - cut
        return table.set_column(3, "rows", pa.array(less)).filter(pa.array(less > 0))

    def table(self) -> pa.Table:
        """The entries: ``domain``, ``platform`` (null for none), ``mask``, ``rows``. Of a bounded
        table, only those whose rows exceed the error: each has more true rows than any entry
        dropped (whose true rows are at most the error), so their ranking is not the summary's
        noise."""
        merged = self._merge()
        if self._distinct is not None:
            merged = merged.filter(pc.greater(merged.column("rows"), self._error))
        names = pc.take(pa.array(self._platforms, pa.string()), merged.column("platform"))
        return merged.set_column(1, "platform", names)

    def bound(self) -> Bound | None:
        """How the counts fall short of the truth; None while they are exact."""
        merged = self._merge()
        if self._distinct is None:
            return None
        listed = merged.filter(pc.greater(merged.column("rows"), self._error))
        held = pc.sum(listed.column("rows")).as_py() or 0
        return Bound(self.max_entries, self._error, self.rows - held)

    def domains_total(self, held: int | None = None) -> tuple[int, bool]:
        """The number of distinct domains, and whether it is an estimate. ``held``: the distinct
        domains of :meth:`table`, if the caller counted them already (while the table is exact
        it holds them all)."""
        merged = self._merge()
        if self._distinct is None:
            if held is None:
                held = pc.count_distinct(merged.column("domain")).as_py()
            return held, False
        # The estimate, never below the domains held; those are at most the entries held, so
        # they are only counted when the estimate is lower than that.
        estimate = self._distinct.estimate()
        if estimate >= len(merged):
            return estimate, True
        return max(estimate, pc.count_distinct(merged.column("domain")).as_py()), True


_P = 14  # HyperLogLog: 2**14 registers
_M = 1 << _P


class Distinct:
    """A HyperLogLog sketch of distinct strings (Flajolet et al. 2007, with linear counting for
    small numbers), over :func:`auditor.scan.arrays.string_hashes`."""

    def __init__(self) -> None:
        self._registers = np.zeros(_M, np.uint8)

    def add(self, values: pa.Array) -> None:
        values = pc.drop_null(values)
        if not len(values):
            return
        hashes = string_hashes(values)
        index = (hashes >> np.uint64(64 - _P)).astype(np.int64)
        # The rest of the bits, with a guard bit so that no value is 0: its leading zeros + 1.
        rest = (hashes << np.uint64(_P)) | np.uint64(1 << (_P - 1))
        _, exponent = np.frexp(rest.astype(np.float64))
        rank = (65 - exponent).clip(1, 64 - _P + 1).astype(np.uint8)
        np.maximum.at(self._registers, index, rank)

    def estimate(self) -> int:
        alpha = 0.7213 / (1 + 1.079 / _M)
        raw = alpha * _M * _M / float(np.sum(np.ldexp(1.0, -self._registers.astype(np.int64))))
        zeros = int(np.count_nonzero(self._registers == 0))
        if raw <= 2.5 * _M and zeros:
            return round(_M * float(np.log(_M / zeros)))
        return round(raw)
