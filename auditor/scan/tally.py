"""Running counts of classified rows, kept small whatever the number of rows or hosts.

Each batch arrives already counted by (host class, license slot). Its counts are named as they
come (domain, platform, rule mask: a ``take`` of each class's names, a cost that follows the
batch, not the classes held) and added to three tallies: rows by platform and mask (exact, few
keys), rows by license slot (exact, one cell per distinct license value) and the domain table
(:class:`~auditor.scan.domains.DomainCounts`, exact up to its bound). Nothing is kept per host
class past its batch, so the classifier's cache of hosts can be emptied between batches.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.scan.arrays import contiguous
from auditor.scan.classify import INVALID_BITS, Classified, Classifier, with_claim
from auditor.scan.domains import MAX_ENTRIES, DomainCounts

_COMPACT_AT = 1 << 21


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

    def add(self, found: Classified, claim: int = 0) -> None:
        """Add a batch's counts; ``claim``: the rule bits of a dataset-level license, added to
        every valid row's."""
        self.rows += found.rows
        if not len(found.keys):
            return
        named = self._classifier.named_counts(found.keys, found.counts)
        if claim:
            at = named.schema.get_field_index("mask")
            named = named.set_column(at, "mask", with_claim(named.column("mask"), claim))
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
