"""Classification of record batches: the per-batch function of every engine.

Each row gets a bit mask of the rules it triggers. The URL column is cut to its authority in one
vectorized pass and dictionary-encoded, so each distinct authority is judged once in Python
(host, registered domain, platform terms, opt-out signals) and the results are mapped back to the
rows with ``take``; the license column is dictionary-encoded and each distinct value resolved once
the same way. Platform and license judgements reuse the clause and license logic of
:mod:`auditor.checks`, so a row is judged exactly as a dataset collected from that platform, under
that license, would be by ``auditor check``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.checks import _license_findings, _platform_findings, judge
from auditor.knowledge import KnowledgeBase, Platform
from auditor.licensing import Resolution
from auditor.model import Collection, Dataset, Fact, Location
from auditor.policy import Policy, Severity
from auditor.report import Finding
from auditor.resolver import resolver_for
from auditor.rulebook import Rule
from auditor.scan.hosts import PlatformIndex, authorities, parse_authority
from auditor.scan.optout import HostSignals, Signal, Snapshots


class ScanRule(StrEnum):
    """Rules of the scan beyond the finding rules of ``check``: machine-readable opt-outs."""

    OPTOUT_ROBOTS_TXT = "optout-robots-txt"
    OPTOUT_AI_TXT = "optout-ai-txt"
    OPTOUT_TDMREP = "optout-tdmrep"


class Invalid(StrEnum):
    """Why a row could not be judged."""

    NO_URL = "no-url"
    UNPARSABLE_URL = "unparsable-url"
    BAD_ENCODING = "bad-encoding"
    BAD_RECORD = "bad-record"
    UNKNOWN_EXTRACTOR = "unknown-extractor"


class Verdict(StrEnum):
    ALLOWED = "allowed"
    REVIEW = "review"
    BLOCKED = "blocked"
    INVALID = "invalid"


_OPTOUT_RULES = {
    Signal.ROBOTS_TXT: ScanRule.OPTOUT_ROBOTS_TXT,
    Signal.AI_TXT: ScanRule.OPTOUT_AI_TXT,
    Signal.TDMREP: ScanRule.OPTOUT_TDMREP,
}

# The meaning of each bit of a row's mask: finding rules, opt-out rules, then invalid reasons.
BITS: tuple[str, ...] = (
    *(rule.value for rule in Rule),
    *(rule.value for rule in ScanRule),
    *(f"invalid-{reason.value}" for reason in Invalid),
)
_BIT = {name: 1 << index for index, name in enumerate(BITS)}


def bit(name: str) -> int:
    return _BIT[name]


def invalid_bit(reason: Invalid) -> int:
    return _BIT[f"invalid-{reason.value}"]


INVALID_BITS = sum(invalid_bit(reason) for reason in Invalid)


@cache
def rules_of(mask: int) -> tuple[str, ...]:
    """The rule ids (and ``invalid-*`` reasons) set in ``mask``, in bit order."""
    return tuple(name for name, value in _BIT.items() if mask & value)


class Group(NamedTuple):
    """Rows are aggregated by registered domain and platform."""

    domain: str
    platform: Platform | None


INVALID_GROUP = 0  # group 0 holds the rows that have no usable host


@dataclass(frozen=True)
class LicenseClass:
    raw: str | None
    resolution: Resolution
    mask: int
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Classified:
    """One batch, classified: per row, its group index, rule mask and license class index."""

    group: pa.Array  # int32, an index into Classifier.groups
    mask: pa.Array  # int64, bits as in BITS
    license: pa.Array | None  # int32, an index into Classifier.licenses; None without a column


class _HostClass(NamedTuple):
    group: int
    mask: int
    signals: HostSignals | None  # set when the host's opt-out files depend on the URL's path


@dataclass(frozen=True)
class Prepared:
    """The vectorized half of classifying a batch: no Python per row, safe to run in threads."""

    urls: pa.Array
    authorities: pa.DictionaryArray  # nulls encoded: every row has an index
    licenses: pa.DictionaryArray | None
    empty: pa.Array  # rows with no URL at all


def prepare(urls: pa.Array, licenses: pa.Array | None = None) -> Prepared:
    urls = _string(urls)
    return Prepared(
        urls,
        pc.dictionary_encode(authorities(urls), null_encoding="encode"),
        pc.dictionary_encode(_string(licenses), null_encoding="encode")
        if licenses is not None
        else None,
        pc.fill_null(pc.equal(pc.utf8_length(urls), 0), True),
    )


class _HostArrays(NamedTuple):
    """The judged authorities and their host classes, as arrays for ``index_in`` and ``take``."""

    authorities: pa.Array
    group: pa.Array
    mask: pa.Array
    path: pa.Array  # whether the host's opt-out files depend on the URL's path
    any_path: bool


class Classifier:
    """Classifies batches of URLs (and licenses) under one policy; caches every distinct value.

    Not thread-safe: use one per thread or worker. ``classify`` is the per-batch function the
    local engine runs; ``annotate`` adds readable columns for Ray Data, Spark or any Arrow stream.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        policy: Policy,
        *,
        method: str | None = None,
        snapshots: Snapshots | None = None,
        source: str = "scan",
    ) -> None:
        self.kb = kb
        self.policy = policy
        self.method = method
        self.snapshots = snapshots
        self._location = Location(path=source)
        self._platforms = PlatformIndex(kb)
        self._resolver = resolver_for(kb)
        self.groups: list[Group] = [Group("(invalid)", None)]
        self._group_index: dict[tuple[str, str | None], int] = {}
        self._host_classes: list[_HostClass] = []
        self._host_arrays = _HostArrays(
            pa.array([], pa.string()),
            pa.array([], pa.int32()),
            pa.array([], pa.int64()),
            pa.array([], pa.bool_()),
            False,
        )
        self.platform_findings: dict[str, tuple[Finding, ...]] = {}
        self.licenses: list[LicenseClass] = []
        self._license_index: dict[str | None, int] = {}
        self.error_bits, self.warning_bits = self._severity_bits()
        self._verdicts: dict[int, Verdict] = {}

    # --- severities -----------------------------------------------------------------------

    def _severity_bits(self) -> tuple[int, int]:
        errors = sum(bit(rule.value) for rule in ScanRule)
        warnings = 0
        for rule in Rule:
            match self.policy.severity(rule):
                case Severity.ERROR:
                    errors |= bit(rule.value)
                case Severity.WARNING:
                    warnings |= bit(rule.value)
                case Severity.INFO | None:
                    pass
        return errors, warnings

    def verdict(self, mask: int) -> Verdict:
        found = self._verdicts.get(mask)
        if found is None:
            found = self._verdicts[mask] = self._verdict(mask)
        return found

    def _verdict(self, mask: int) -> Verdict:
        if mask & INVALID_BITS:
            return Verdict.INVALID
        if mask & self.error_bits:
            return Verdict.BLOCKED
        if mask & self.warning_bits:
            return Verdict.REVIEW
        return Verdict.ALLOWED

    def excluded_bits(self, fail_on: Severity) -> int:
        """Rows with any of these bits are kept out of the allowed set (and fail the gate)."""
        bits = INVALID_BITS | self.error_bits
        return bits | self.warning_bits if fail_on is Severity.WARNING else bits

    # --- per batch ------------------------------------------------------------------------

    def classify(
        self, urls: pa.Array, licenses: pa.Array | None = None, invalid: pa.Array | None = None
    ) -> Classified:
        """Classify one batch. ``invalid`` (int64 bits, 0 for a good row) comes from the reader."""
        return self.finish(prepare(urls, licenses), invalid)

    def finish(self, batch: Prepared, invalid: pa.Array | None = None) -> Classified:
        """Judge the distinct values of a prepared batch (cached) and map them back to rows."""
        found = batch.authorities
        host = pc.take(self._host_indices(found.dictionary), found.indices)
        group = pc.take(self._host_arrays.group, host)
        mask = pc.take(self._host_arrays.mask, host)
        if self._host_arrays.any_path:
            mask = self._path_signals(batch.urls, host, mask)
        license_class = None
        if batch.licenses is not None:
            encoded = batch.licenses
            ids = [self._license_index_of(raw) for raw in encoded.dictionary.to_pylist()]
            license_class = pc.take(pa.array(ids, pa.int32()), encoded.indices)
            masks = pa.array([self.licenses[i].mask for i in ids], pa.int64())
            mask = pc.bit_wise_or(mask, pc.take(masks, encoded.indices))
        bad = pc.if_else(batch.empty, invalid_bit(Invalid.NO_URL), 0)
        if invalid is not None:
            bad = pc.if_else(pc.not_equal(invalid, 0), invalid, bad)
        is_bad = pc.not_equal(bad, 0)
        mask = pc.if_else(is_bad, bad, mask)
        group = pc.if_else(is_bad, INVALID_GROUP, group)
        return Classified(group.cast(pa.int32()), mask.cast(pa.int64()), license_class)

    def _host_indices(self, distinct: pa.Array) -> pa.Array:
        """The host-class index of each distinct authority; new ones are judged (once) here."""
        known = self._host_arrays.authorities
        at = pc.index_in(distinct, known)
        new = pc.filter(distinct, pc.is_null(at)).to_pylist()
        if new:
            for authority in new:
                self._host_classes.append(self._judge_host(authority))
            classes = self._host_classes
            self._host_arrays = _HostArrays(
                pa.concat_arrays([known, pa.array(new, pa.string())]),
                pa.array([c.group for c in classes], pa.int32()),
                pa.array([c.mask for c in classes], pa.int64()),
                pa.array([c.signals is not None for c in classes], pa.bool_()),
                any(c.signals is not None for c in classes),
            )
            at = pc.index_in(distinct, self._host_arrays.authorities)
        return at

    def _path_signals(self, urls: pa.Array, host: pa.Array, mask: pa.Array) -> pa.Array:
        """Add the opt-outs of hosts whose files judge each URL path on its own."""
        rows = pc.take(self._host_arrays.path, host)
        picked = zip(
            pc.filter(urls, rows).to_pylist(), pc.filter(host, rows).to_pylist(), strict=True
        )
        extra = []
        for url, index in picked:
            signals = self._host_classes[index].signals
            assert signals is not None
            extra.append(_optout_mask(signals.reservations(url)))
        added = pc.replace_with_mask(
            pa.nulls(len(urls), pa.int64()).fill_null(0), rows, pa.array(extra, pa.int64())
        )
        return pc.bit_wise_or(mask, added)

    # --- per distinct value ---------------------------------------------------------------

    def _judge_host(self, authority: str | None) -> _HostClass:
        host = parse_authority(authority) if authority is not None else None
        if host is None:
            return _HostClass(INVALID_GROUP, invalid_bit(Invalid.UNPARSABLE_URL), None)
        platform = self._platforms.platform_for(host.name)
        mask = 0
        if platform is not None:
            mask = sum(bit(f.rule.value) for f in self.platform_terms(platform))
        signals = self.snapshots.for_host(host.name) if self.snapshots else None
        if signals is not None and signals.uniform:
            mask |= _optout_mask(signals.host_reservations())
            signals = None
        return _HostClass(self._group(host.domain, platform), mask, signals)

    def _group(self, domain: str, platform: Platform | None) -> int:
        key = (domain, platform.id if platform else None)
        index = self._group_index.get(key)
        if index is None:
            index = self._group_index[key] = len(self.groups)
            self.groups.append(Group(domain, platform))
        return index

    def platform_terms(self, platform: Platform) -> tuple[Finding, ...]:
        found = self.platform_findings.get(platform.id)
        if found is None:
            collection = Collection(
                domain=platform.domains[0], method=self.method, location=self._location
            )
            dataset = Dataset(id="rows", location=self._location, collected_from=(collection,))
            found = tuple(_platform_findings(dataset, self.kb, self.policy))
            self.platform_findings[platform.id] = found
        return found

    def license_class(self, raw: str | None) -> LicenseClass:
        """How one distinct license value resolves, and the rules it triggers."""
        return self.licenses[self._license_index_of(raw)]

    def _license_index_of(self, raw: str | None) -> int:
        index = self._license_index.get(raw)
        if index is None:
            index = self._license_index[raw] = len(self.licenses)
            facts = (Fact(value=raw, location=self._location),) if raw is not None else ()
            dataset = Dataset(id="rows", location=self._location, licenses=facts)
            resolution = self._resolver.resolve(raw)
            findings = tuple(
                _license_findings(judge(dataset, resolution, self.policy), self.policy)
            )
            mask = sum({bit(f.rule.value) for f in findings})
            self.licenses.append(LicenseClass(raw, resolution, mask, findings))
        return index

    # --- readable columns -----------------------------------------------------------------

    def annotate(
        self,
        batch: pa.RecordBatch | pa.Table,
        *,
        url_column: str = "url",
        license_column: str | None = None,
    ) -> pa.Table:
        """``batch`` with the scan's columns added: ``auditor_verdict``, ``auditor_domain``,
        ``auditor_platform`` (null when none) and ``auditor_rules`` (comma-separated rule ids).

        The columns are plain strings, so batches annotated by different workers can be merged.
        """
        table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
        lic = table.column(license_column) if license_column else None
        found = self.classify(table.column(url_column).combine_chunks(), _combined(lic))
        domains = pa.array([g.domain for g in self.groups], pa.string())
        platforms = pa.array([g.platform.id if g.platform else None for g in self.groups])
        distinct = pc.unique(found.mask)
        masks = distinct.to_pylist()
        at = pc.index_in(found.mask, distinct)
        verdicts = pa.array([self.verdict(m).value for m in masks], pa.string())
        rules = pa.array([",".join(rules_of(m)) for m in masks], pa.string())
        return (
            table.append_column("auditor_verdict", pc.take(verdicts, at))
            .append_column("auditor_domain", pc.take(domains, found.group))
            .append_column("auditor_platform", pc.take(platforms, found.group).cast(pa.string()))
            .append_column("auditor_rules", pc.take(rules, at))
        )


def _optout_mask(signals: Iterable[Signal]) -> int:
    return sum(bit(_OPTOUT_RULES[s].value) for s in signals)


def _string(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any string-like column as a plain ``string`` array (readers have checked the encoding)."""
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return array if pa.types.is_string(array.type) else array.cast(pa.string())


def _combined(values: pa.ChunkedArray | None) -> pa.Array | None:
    return values.combine_chunks() if values is not None else None


def snapshots_for(root: Path | None, tokens: tuple[str, ...]) -> Snapshots | None:
    return Snapshots(root, tokens) if root is not None else None
