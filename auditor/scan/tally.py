"""Running counts of classified rows, kept small whatever the number of rows.

Each batch arrives already counted by (host class, license slot); the partial counts are merged
with a hash aggregation whenever they pile up, so memory follows the number of distinct hosts
and licenses, never the number of rows.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa  # type: ignore[import-untyped]

from auditor.scan.arrays import contiguous
from auditor.scan.classify import Classified, Classifier

_COMPACT_AT = 1 << 21


class Tally:
    def __init__(self) -> None:
        self._keys: list[pa.Array] = []
        self._counts: list[pa.Array] = []
        self._pending = 0
        self.rows = 0

    def add(self, found: Classified) -> None:
        self.rows += found.rows
        self._keys.append(found.keys)
        self._counts.append(found.counts)
        self._pending += len(found.keys)
        if self._pending > _COMPACT_AT:
            self._compact()

    def _compact(self) -> tuple[pa.Array, pa.Array]:
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
            self._pending = len(merged)
        return self._keys[0], self._counts[0]

    def counts(self, classifier: Classifier) -> pa.Table:
        """The row counts by domain, platform id and mask (see :meth:`Classifier.counts_table`)."""
        return classifier.counts_table(*self._compact())

    def license_rows(self, classifier: Classifier) -> Counter[str | None]:
        return classifier.license_rows(*self._compact())
