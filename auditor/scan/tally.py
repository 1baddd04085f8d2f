"""Running counts of classified rows, kept small whatever the number of rows.

Rows are counted by (group, mask) with Arrow's ``value_counts`` per batch; the partial counts are
merged with a hash aggregation whenever they pile up, so memory follows the number of distinct
(domain, platform, rules) combinations, never the number of rows.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.scan.classify import BITS, Classified, Classifier, bit

assert len(BITS) < 32, "a row key packs the group index above a 32-bit mask"
_COMPACT_AT = 1 << 21

# (registered domain, platform id or None, mask) -> rows
Counts = Counter[tuple[str, str | None, int]]


class Tally:
    def __init__(self) -> None:
        self._keys: list[pa.Array] = []
        self._counts: list[pa.Array] = []
        self._pending = 0
        self._licenses: Counter[int] = Counter()
        self.rows = 0

    def add(self, found: Classified) -> None:
        self.rows += len(found.mask)
        key = pc.add(pc.shift_left(found.group.cast(pa.int64()), 32), found.mask)
        counted = pc.value_counts(key)
        self._keys.append(counted.field("values"))
        self._counts.append(counted.field("counts"))
        self._pending += len(counted)
        if self._pending > _COMPACT_AT:
            self._compact()
        if found.license is not None:
            for item in pc.value_counts(found.license).to_pylist():
                self._licenses[item["values"]] += item["counts"]

    def _compact(self) -> None:
        if len(self._keys) <= 1:
            return
        table = pa.table({"key": pa.concat_arrays(self._keys), "n": pa.concat_arrays(self._counts)})
        merged = table.group_by("key").aggregate([("n", "sum")])
        self._keys = [merged.column("key").combine_chunks()]
        self._counts = [merged.column("n_sum").combine_chunks()]
        self._pending = len(merged)

    def counts(self, classifier: Classifier) -> Counts:
        """The row counts keyed by domain, platform and mask (group indices resolved)."""
        self._compact()
        out: Counts = Counter()
        low = (1 << 32) - 1
        for key, n in zip(
            (k for a in self._keys for k in a.to_pylist()),
            (c for a in self._counts for c in a.to_pylist()),
            strict=True,
        ):
            group = classifier.groups[key >> 32]
            out[(group.domain, group.platform.id if group.platform else None, key & low)] += n
        return out

    def license_rows(self, classifier: Classifier) -> Counter[str | None]:
        return Counter({classifier.licenses[i].raw: n for i, n in self._licenses.items()})


def counts_of_annotated(
    table: pa.Table, license_column: str | None
) -> tuple[Counts, Counter[str | None]]:
    """Row counts of a table annotated by :meth:`Classifier.annotate` (e.g. on Ray workers)."""
    keys = ["auditor_domain", "auditor_platform", "auditor_rules"]
    counts: Counts = Counter()
    for row in table.group_by(keys).aggregate([([], "count_all")]).to_pylist():
        rules = row["auditor_rules"]
        mask = sum(bit(name) for name in rules.split(",")) if rules else 0
        counts[(row["auditor_domain"], row["auditor_platform"], mask)] += row["count_all"]
    licenses: Counter[str | None] = Counter()
    if license_column is not None:
        grouped = table.group_by(license_column).aggregate([([], "count_all")])
        for row in grouped.to_pylist():
            licenses[row[license_column]] += row["count_all"]
    return counts, licenses
