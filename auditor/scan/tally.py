"""Running counts of classified rows, kept small whatever the number of rows.

Each batch arrives already counted by (host class, license slot). Both are small dense integers
(classes are numbered as hosts are first seen, slots as license values are), so the counts are
added into a table with a cell per (class, slot), grown as new ones appear: memory follows the
number of distinct hosts and license values, never the number of rows, and adding a batch is a
single pass over its keys. A table that would exceed ``_DENSE_CELLS`` (a license column with
very many distinct values) gives way to (key, count) pairs, merged with a hash aggregation
whenever they pile up.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.scan.arrays import contiguous
from auditor.scan.classify import INVALID_BITS, Classified, Classifier
from auditor.scan.domains import MAX_ENTRIES, DomainCounts

_DENSE_CELLS = 1 << 24  # a table of 128 MiB at most (briefly twice that while it grows)
_COMPACT_AT = 1 << 21


class Tally:
    def __init__(self) -> None:
        self.rows = 0
        self._table: np.ndarray | None = np.zeros((0, 0), np.int64)  # [class, slot]
        self._keys: list[pa.Array] = []
        self._counts: list[pa.Array] = []
        self._pending = 0  # pairs held, merged or not
        self._merged = 0  # pairs left by the last merge

    def add(self, found: Classified) -> None:
        self.rows += found.rows
        if not len(found.keys):
            return
        if self._table is not None:
            keys = found.keys.to_numpy()
            host, slot = keys >> 32, keys & 0xFFFFFFFF
            if self._fit(int(host.max()) + 1, int(slot.max()) + 1):
                np.add.at(self._table, (host, slot), found.counts.to_numpy())
                return
        self._keys.append(found.keys)
        self._counts.append(found.counts)
        self._pending += len(found.keys)
        # Merged when the pairs added since the last merge outnumber what it left (and at least
        # _COMPACT_AT): with millions of distinct keys, merging after every batch would cost
        # each batch a pass over all of them.
        if self._pending > max(_COMPACT_AT, 2 * self._merged):
            self._compact()

    def _fit(self, classes: int, slots: int) -> bool:
        """Grow the table to hold ``classes`` by ``slots`` cells (doubling, so that growth is
        rare); False, and the counts so far moved to pairs, if it would be too large."""
        assert self._table is not None
        rows, columns = self._table.shape
        if classes <= rows and slots <= columns:
            return True
        size = (max(rows, _grown(classes, 16)), max(columns, _grown(slots, 1)))
        if size[0] * size[1] > _DENSE_CELLS:
            keys, counts = self._dense_pairs()
            self._keys, self._counts = [keys], [counts]
            self._pending = self._merged = len(keys)
            self._table = None
            return False
        table = np.zeros(size, np.int64)
        table[:rows, :columns] = self._table
        self._table = table
        return True

    def _dense_pairs(self) -> tuple[pa.Array, pa.Array]:
        assert self._table is not None
        host, slot = np.nonzero(self._table)
        keys = (host.astype(np.int64) << 32) | slot.astype(np.int64)
        return pa.array(keys, pa.int64()), pa.array(self._table[host, slot], pa.int64())

    def _compact(self) -> tuple[pa.Array, pa.Array]:
        if self._table is not None:
            return self._dense_pairs()
        if len(self._keys) != 1:
            none = pa.array([], pa.int64())
            table = pa.table(
                {
                    "key": pa.concat_arrays([none, *self._keys]),
                    "n": pa.concat_arrays([none, *self._counts]),
                }
            )
            merged = table.group_by("key").aggregate([("n", "sum")])
            self._keys = [contiguous(merged.column("key"))]
            self._counts = [contiguous(merged.column("n_sum"))]
            self._pending = self._merged = len(merged)
        return self._keys[0], self._counts[0]

    def counts(self, classifier: Classifier) -> pa.Table:
        """The row counts by domain, platform id and mask (see :meth:`Classifier.counts_table`)."""
        return classifier.counts_table(*self._compact())

    def license_rows(self, classifier: Classifier) -> Counter[str | None]:
        return classifier.license_rows(*self._compact())


class ScanTally:
    """The counts of a streamed scan, in memory that does not follow the number of hosts: rows
    by platform and mask and by license slot, exact (few keys), and the valid rows by domain in
    a :class:`~auditor.scan.domains.DomainCounts` table, exact up to ``max_entries`` entries.

    Each batch's counts are named (domain, platform, mask) as they come, at a cost that follows
    the batch, so nothing is kept per host class."""

    def __init__(self, classifier: Classifier, max_entries: int = MAX_ENTRIES) -> None:
        self._classifier = classifier
        self.rows = 0
        self.domains = DomainCounts(max_entries)
        self._masks: list[pa.Table] = []  # rows by platform and mask, a table per batch
        self._ids = pa.array([], pa.string())  # the platform ids, by index
        self._held = 0
        self._slots = np.zeros(1, np.int64)  # rows by license slot

    def add(self, found: Classified) -> None:
        self.rows += found.rows
        if not len(found.keys):
            return
        named = self._classifier.named_counts(found.keys, found.counts)
        platform = contiguous(named.column("platform"))
        self._ids = platform.dictionary
        keyed = pa.table(
            [platform.indices, named.column("mask"), named.column("rows")], _MASK_COUNTS.names
        )
        by_mask = keyed.group_by(["platform", "mask"], use_threads=False).aggregate(
            [("rows", "sum")]
        )
        self._masks.append(by_mask.rename_columns({"rows_sum": "rows"}).cast(_MASK_COUNTS))
        self._held += len(by_mask)
        if self._held > _COMPACT_AT:
            self._masks = [self._summed()]
            self._held = len(self._masks[0])
        valid = pc.equal(pc.bit_wise_and(named.column("mask"), INVALID_BITS), 0)
        self.domains.add(named.filter(valid))
        slot = pc.bit_wise_and(found.keys, 0xFFFFFFFF).to_numpy()
        # Weights are float64, exact for a batch's counts (far below 2**53).
        rows = np.bincount(slot, weights=found.counts.to_numpy(), minlength=len(self._slots))
        if len(rows) > len(self._slots):
            self._slots = np.pad(self._slots, (0, len(rows) - len(self._slots)))
        self._slots[: len(rows)] += rows.astype(np.int64)

    def counts(self) -> pa.Table:
        """Rows by ``platform`` (id, null for none) and ``mask``: every row, exactly."""
        summed = self._summed()
        names = pc.take(self._ids, summed.column("platform"))
        return pa.table([names, summed["mask"], summed["rows"]], ["platform", "mask", "rows"])

    def _summed(self) -> pa.Table:
        table = pa.concat_tables([_MASK_COUNTS.empty_table(), *self._masks])
        keys = ["platform", "mask"]
        summed = table.group_by(keys, use_threads=False).aggregate([("rows", "sum")])
        return summed.rename_columns({"rows_sum": "rows"}).select(_MASK_COUNTS.names)

    def license_rows(self) -> Counter[str | None]:
        licenses = self._classifier.licenses
        return Counter(
            {licenses[s - 1].raw: int(n) for s, n in enumerate(self._slots) if s > 0 and n}
        )


_MASK_COUNTS = pa.schema([("platform", pa.int32()), ("mask", pa.int64()), ("rows", pa.int64())])


def _grown(size: int, least: int) -> int:
    """The next power of two at or above ``size``, and at least ``least``."""
    return max(least, 1 << (size - 1).bit_length())
