"""The scan report (schema 1.3): rows by verdict and rule, aggregates by domain and platform, the
top domains by share in the form of the EU AI Act training-content summary, and the evidence
behind each judgement. The same counts give byte-identical JSON; lists are sorted.

Verdict, rule, platform and license counts are always exact. The domain table is exact up to a
bound on its entries and a Misra-Gries summary beyond (:mod:`auditor.scan.domains`); the report
then says so (``domains_bounded``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field

from auditor.policy import Severity
from auditor.scan.arrays import contiguous
from auditor.scan.classify import (
    INVALID_BITS,
    Classifier,
    Invalid,
    Verdict,
    bit,
    rules_of,
)
from auditor.scan.domains import MAX_ENTRIES, DomainCounts
from auditor.scan.optout import Snapshots
from auditor.version import __version__

_SHARE_DIGITS = 6


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RuleRows(Frozen):
    rule: str
    severity: Severity | None = Field(description="Under the policy; opt-outs are always errors")
    rows: int


class DomainRows(Frozen):
    """The rows of one registered domain collected from one platform (or from none)."""

    domain: str
    platform: str | None
    rows: int
    share: float
    verdict: Verdict = Field(description="The worst verdict among the rows")
    verdicts: dict[Verdict, int]
    reasons: tuple[RuleRows, ...]


class TopDomain(Frozen):
    rank: int
    domain: str
    rows: int
    share: float


class PlatformFinding(Frozen):
    rule: str
    severity: Severity
    message: str
    source_url: str | None
    version: str | None
    quote: str | None


class PlatformRows(Frozen):
    platform: str
    name: str
    rows: int
    share: float
    findings: tuple[PlatformFinding, ...]


class LicenseRows(Frozen):
    raw: str | None
    expression: str | None
    status: str
    evidence: str
    rows: int
    verdict: Verdict
    rules: tuple[str, ...]


class SnapshotEvidence(Frozen):
    host: str
    file: str
    sha256: str
    error: str | None


class Split(Frozen):
    allowed: int = Field(description="Rows below the fail threshold: the set to train on")
    blocked: int = Field(description="Every other row, invalid rows included")


class SampleRef(Frozen):
    """A sample kept out: its shard (or split) and key, verdict and rules."""

    shard: str
    key: str
    verdict: Verdict
    rules: tuple[str, ...]


class DatasetLicense(Frozen):
    """The license a whole dataset declares (``dataset_info.json``), as resolved."""

    raw: str
    status: str
    rules: tuple[str, ...]


class Samples(Frozen):
    """What a scan of keyed samples (WebDataset shards, saved datasets, MDS) adds."""

    shards: int = Field(description="Shards (or splits, or Arrow files) read")
    dataset_license: DatasetLicense | None
    blocked_total: int = Field(description="Samples kept out: blocked, invalid (and review)")
    blocked: tuple[SampleRef, ...] = Field(
        description="The first samples kept out (1,000 at most), in input order"
    )
    blocked_keys_file: str | None = Field(description="Where every one of them is listed")


class DomainBound(Frozen):
    """Present when the domain table outgrew its bound and was kept as a Misra-Gries summary."""

    max_entries: int = Field(description="Entries (domain, platform, rule mask) held at most")
    error: int = Field(
        description="Each entry's rows are at most this many below the truth (a domain's rows "
        "and verdict counts add up its entries, one per rule mask)"
    )
    untracked_rows: int = Field(description="Valid rows counted in no listed entry")
    domains_total_estimated: bool = Field(
        description="domains_total is a HyperLogLog estimate (typical error 0.8 %)"
    )


class ScanReport(Frozen):
    # 1.1 adds ``kind``, 1.2 ``samples``, 1.3 ``domains_bounded``; older reports are still read.
    schema_version: Literal["1.0", "1.1", "1.2", "1.3"] = "1.3"
    kind: Literal["scan"] = Field(default="scan", description="Which report this is")
    tool_version: str = __version__
    input: str
    input_format: str
    policy: str
    fail_on: Severity
    method: str
    url_column: str
    license_column: str | None
    notes: tuple[str, ...]
    rows: int
    invalid: dict[str, int] = Field(description="Invalid rows by reason")
    verdicts: dict[Verdict, int]
    rules: tuple[RuleRows, ...]
    split: Split
    blocked_share: float
    max_blocked_share: float
    gate: Literal["pass", "fail"]
    domains_total: int
    domains_bounded: DomainBound | None = Field(
        default=None,
        description="Set when the domain table was bounded: its domain and top-domain counts "
        "are then lower bounds (verdict, rule, platform and license counts stay exact)",
    )
    domains: tuple[DomainRows, ...]
    top_domains_fraction: float
    top_domains: tuple[TopDomain, ...]
    platforms: tuple[PlatformRows, ...]
    licenses: tuple[LicenseRows, ...]
    optout_snapshots: tuple[SnapshotEvidence, ...]
    samples: Samples | None = Field(
        default=None, description="Keyed-sample inputs only: the samples kept out, by shard and key"
    )

    @property
    def passed(self) -> bool:
        return self.gate == "pass"

    @property
    def domains_counted(self) -> str:
        """``domains_total`` as text: "about 1,234" when it is an estimate."""
        bound = self.domains_bounded
        about = "about " if bound is not None and bound.domains_total_estimated else ""
        return f"{about}{self.domains_total:,}"


def scan_report_schema() -> dict[str, object]:
    """The JSON Schema of the report ``auditor scan --format json`` writes."""
    schema = ScanReport.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    version = ScanReport.model_fields["schema_version"].default
    schema["$id"] = f"urn:auditor:schema:scan-report:{version}"
    return schema


class Settings(Frozen):
    """What the report says about how the scan was run."""

    input: str
    input_format: str
    method: str
    url_column: str
    license_column: str | None
    fail_on: Severity = Severity.ERROR
    max_blocked_share: Annotated[float, Field(ge=0, le=1)] = 0.0
    top_fraction: Annotated[float, Field(gt=0, le=1)] = 0.1
    max_domains: Annotated[int, Field(ge=0)] = 1000  # 0: all
    max_domain_entries: Annotated[int, Field(ge=1)] = MAX_ENTRIES  # before the table is bounded


def build_report(
    counts: pa.Table,
    license_rows: Mapping[str | None, int],
    classifier: Classifier,
    settings: Settings,
    snapshots: Snapshots | None = None,
    domains: DomainCounts | None = None,
) -> ScanReport:
    """The report of row counts by ``platform`` (id or null), ``mask`` and ``rows``, and by
    ``domain`` too unless ``domains`` holds the valid rows' counts by domain already (tallied as
    the scan went); a key may come more than once: its rows add up. The domain and platform
    columns may be dictionary-encoded, with each value once in the dictionary.

    The counts are aggregated with Arrow; only the distinct masks, the listed domains and the
    platforms are turned into Python values.
    """
    rows = pc.sum(counts.column("rows")).as_py() or 0
    excluded = classifier.excluded_bits(settings.fail_on)
    invalid: Counter[str] = Counter()
    verdicts: Counter[Verdict] = Counter()
    rules: Counter[str] = Counter()
    blocked = 0
    for mask, n in _pairs(counts.group_by("mask").aggregate([("rows", "sum")]), "mask"):
        verdicts[classifier.verdict(mask)] += n
        for rule in rules_of(mask):
            if rule.startswith("invalid-"):
                invalid[rule.removeprefix("invalid-")] += n
            else:
                rules[rule] += n
        if mask & excluded:
            blocked += n
    valid = counts.filter(pc.equal(pc.bit_wise_and(counts.column("mask"), INVALID_BITS), 0))
    if domains is None:
        domains = DomainCounts(settings.max_domain_entries)
        domains.add(
            pa.table(
                {
                    "domain": _decoded(valid.column("domain")),
                    "platform": _decoded(valid.column("platform")),
                    "mask": valid.column("mask"),
                    "rows": valid.column("rows"),
                }
            )
        )
    keyed = _Keyed(domains.table())
    domains_total, estimated = domains.domains_total(len(keyed.domains))
    bound = domains.bound()
    share = _share(blocked, rows)
    notes = [
        "Opt-out signals were read from local snapshots only."
        if snapshots is not None
        else "No opt-out snapshot directory was given: robots.txt, ai.txt and TDMRep were not "
        "checked.",
    ]
    if settings.license_column is None:
        notes.append(
            "No per-row license column: every row's license is unknown (license-unknown), "
            "unless the dataset declares one."
        )
    if bound is not None:
        notes.append(
            f"The domain table outgrew {bound.max_entries:,} entries: domain and top-domain "
            f"counts are lower bounds (each entry at most {rows_of(bound.error)} short, "
            f"{rows_of(bound.untracked_rows)} in no entry listed) and domains_total is an "
            "estimate; verdict, rule, platform and license counts are exact."
        )
    return ScanReport(
        input=settings.input,
        input_format=settings.input_format,
        policy=classifier.policy.name,
        fail_on=settings.fail_on,
        method=settings.method,
        url_column=settings.url_column,
        license_column=settings.license_column,
        notes=tuple(notes),
        rows=rows,
        invalid={reason.value: invalid[reason.value] for reason in Invalid if invalid[reason]},
        verdicts={v: verdicts[v] for v in Verdict},
        rules=tuple(
            RuleRows(rule=rule, severity=_severity(classifier, rule), rows=n)
            for rule, n in sorted(rules.items(), key=lambda item: (-item[1], item[0]))
        ),
        split=Split(allowed=rows - blocked, blocked=blocked),
        blocked_share=share,
        max_blocked_share=settings.max_blocked_share,
        gate="fail" if blocked and share > settings.max_blocked_share else "pass",
        domains_total=domains_total,
        domains_bounded=DomainBound(
            max_entries=bound.max_entries,
            error=bound.error,
            untracked_rows=bound.untracked_rows,
            domains_total_estimated=estimated,
        )
        if bound is not None
        else None,
        domains=_domains(keyed, classifier, rows, settings.max_domains),
        top_domains_fraction=settings.top_fraction,
        top_domains=_top_domains(keyed.by_domain(), rows, settings.top_fraction, domains_total),
        platforms=_platforms(_by_platform(valid), classifier, rows),
        licenses=_licenses(license_rows, classifier),
        optout_snapshots=tuple(
            SnapshotEvidence(
                host=host.host,
                file=file.signal.value,
                sha256=file.sha256,
                error=file.error,
            )
            for host in (snapshots.seen() if snapshots else ())
            for file in host.files
        ),
    )


def rows_of(count: int) -> str:
    """``count`` rows, in words: "1 row", "2,000 rows"."""
    return f"{count:,} row" + ("" if count == 1 else "s")


def _decoded(column: pa.ChunkedArray) -> pa.Array:
    """A string column, decoded if it is dictionary-encoded."""
    array = contiguous(column)
    return array.cast(pa.string()) if pa.types.is_dictionary(array.type) else array


def _by_platform(valid: pa.Table) -> pa.Table:
    """Rows by platform (``platform``: the id; none left out), in no particular order."""
    table = pa.table({"platform": _decoded(valid.column("platform")), "rows": valid["rows"]})
    seen = table.filter(pc.is_valid(table.column("platform")))
    return seen.group_by("platform").aggregate([("rows", "sum")])


def _pairs(table: pa.Table, key: str) -> list[tuple[Any, int]]:
    """The (key, rows) pairs of a table aggregated by ``key``."""
    keys = table.column(key).to_pylist()
    return list(zip(keys, table.column("rows_sum").to_pylist(), strict=True))


class _Keyed:
    """Counts with the domain and platform of each row as an index into their distinct values,
    and a ``group`` key for the pair, so that they are aggregated by integer keys; names are
    taken for ranking only."""

    def __init__(self, counts: pa.Table) -> None:
        domain, self.domains = _codes(counts.column("domain"))
        platform, self.platforms = _codes(counts.column("platform"))
        self._width = len(self.platforms) + 1
        group = pc.add(
            pc.multiply(domain.cast(pa.int64()), self._width),
            pc.fill_null(pc.add(platform.cast(pa.int64()), 1), 0),
        )
        self.table = pa.table(
            {
                "domain": domain,
                "platform": platform,  # null for none
                "group": group,
                "mask": counts.column("mask"),
                "rows": counts.column("rows"),
            }
        )

    def by_domain(self) -> pa.Table:
        """Rows by domain (``domain``: the name), in no particular order."""
        summed = self.table.group_by("domain").aggregate([("rows", "sum")])
        return _named(summed, "domain", self.domains)

    def by_group(self) -> pa.Table:
        """Rows by (domain, platform): the ``group`` key and the names, in no particular order."""
        summed = self.table.group_by("group").aggregate([("rows", "sum")])
        group = summed.column("group")
        domain = pc.divide(group, self._width)
        platform = pc.subtract(pc.subtract(group, pc.multiply(domain, self._width)), 1)
        platform = pc.if_else(pc.less(platform, 0), None, platform)
        return summed.append_column("domain", pc.take(self.domains, domain)).append_column(
            "platform", pc.take(self.platforms, platform)
        )

    def masks_of(self, groups: pa.Array) -> dict[int, list[tuple[int, int]]]:
        """The (mask, rows) pairs of each of ``groups``."""
        picked = self.table.filter(pc.is_in(self.table.column("group"), groups))
        out: dict[int, list[tuple[int, int]]] = {}
        for group, mask, n in zip(
            picked.column("group").to_pylist(),
            picked.column("mask").to_pylist(),
            picked.column("rows").to_pylist(),
            strict=True,
        ):
            out.setdefault(group, []).append((mask, n))
        return out


def _named(table: pa.Table, column: str, names: pa.Array) -> pa.Table:
    """``table`` with the indices in ``column`` replaced by the names they stand for."""
    at = table.schema.get_field_index(column)
    return table.set_column(at, column, pc.take(names, table.column(column)))


def _codes(column: pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Each value's index (int32; null for null) into the distinct values (a dictionary-encoded
    column is taken as it is: its dictionary must hold each value once)."""
    array = contiguous(column)
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    return array.indices.cast(pa.int32()), array.dictionary


def _ranked(table: pa.Table, names: list[str], limit: int | None) -> pa.Table:
    """The ``limit`` largest rows (all when None) by ``rows_sum``, then by ``names`` (a null name
    as an empty one), for a deterministic order.

    Only the rows kept are sorted: those above the ``limit``-th largest count, and of those tied
    with it (with millions of one-row domains, nearly all), the first by name, picked with a
    partial selection rather than a sort of every name."""
    if limit is not None and limit < len(table):
        sizes = table.column("rows_sum")
        top = pc.take(sizes, pc.select_k_unstable(sizes, limit, [("rows_sum", "descending")]))
        floor = pc.min(top)
        above = table.filter(pc.greater(sizes, floor))
        tied = table.filter(pc.equal(sizes, floor))
        wanted = limit - len(above)
        if wanted < len(tied):
            by_name = pa.table(_name_keys(tied, names), names=names)
            order = [(n, "ascending") for n in names]
            # A heap of a few is quicker than a sort; for a large share of the ties, a sort is.
            picked = (
                pc.select_k_unstable(by_name, wanted, order)
                if wanted * 16 < len(tied)
                else pc.sort_indices(by_name, order).slice(0, wanted)
            )
            tied = tied.take(picked)
        table = pa.concat_tables([above, tied])
    order = pa.table([table.column("rows_sum"), *_name_keys(table, names)], ["rows_sum", *names])
    sort_keys = [("rows_sum", "descending"), *((name, "ascending") for name in names)]
    return table.take(pc.sort_indices(order, sort_keys))


def _name_keys(table: pa.Table, names: list[str]) -> list[pa.ChunkedArray]:
    """The name columns to order by, a null name as an empty one."""
    return [pc.fill_null(table.column(name), "") for name in names]


def _share(part: int, whole: int) -> float:
    return round(part / whole, _SHARE_DIGITS) if whole else 0.0


def _severity(classifier: Classifier, rule: str) -> Severity | None:
    if classifier.error_bits & bit(rule):
        return Severity.ERROR
    if classifier.warning_bits & bit(rule):
        return Severity.WARNING
    return Severity.INFO


_VERDICT_RANK = {Verdict.ALLOWED: 0, Verdict.REVIEW: 1, Verdict.BLOCKED: 2, Verdict.INVALID: 3}


def _domains(
    valid: _Keyed, classifier: Classifier, rows: int, limit: int
) -> tuple[DomainRows, ...]:
    """The ``limit`` largest (domain, platform) aggregates (all when 0), by rows then name."""
    ranked = _ranked(valid.by_group(), ["domain", "platform"], limit or None)
    masks = valid.masks_of(ranked.column("group"))
    out = []
    for group in ranked.to_pylist():
        verdicts: Counter[Verdict] = Counter()
        reasons: Counter[str] = Counter()
        for mask, n in masks[group["group"]]:
            verdicts[classifier.verdict(mask)] += n
            for rule in rules_of(mask):
                reasons[rule] += n
        total = group["rows_sum"]
        out.append(
            DomainRows(
                domain=group["domain"],
                platform=group["platform"],
                rows=total,
                share=_share(total, rows),
                verdict=max(verdicts, key=_VERDICT_RANK.__getitem__),
                verdicts={v: verdicts[v] for v in Verdict if verdicts[v]},
                reasons=tuple(
                    RuleRows(rule=rule, severity=_severity(classifier, rule), rows=n)
                    for rule, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
                ),
            )
        )
    return tuple(out)


def _top_domains(
    by_domain: pa.Table, rows: int, fraction: float, total: int
) -> tuple[TopDomain, ...]:
    """The top ``fraction`` of the ``total`` registered domains by rows (at least one), as the EU
    template's "top 10% of all domain names by size of content scraped", with rows standing for
    size; of a bounded table, only those it holds."""
    keep = math.ceil(total * fraction) if total else 0
    ranked = _pairs(_ranked(by_domain, ["domain"], keep), "domain")
    # Built unvalidated: the EU template's top tenth can be hundreds of thousands of domains,
    # and these values are typed by construction (a name, a count, a rounded share).
    return tuple(
        TopDomain.model_construct(rank=i + 1, domain=domain, rows=n, share=_share(n, rows))
        for i, (domain, n) in enumerate(ranked)
    )


def _platforms(
    by_platform: pa.Table, classifier: Classifier, rows: int
) -> tuple[PlatformRows, ...]:
    known = {p.id: p for p in classifier.kb.platforms}
    out = []
    for platform_id, n in _pairs(_ranked(by_platform, ["platform"], None), "platform"):
        terms = known[platform_id]
        findings = classifier.platform_terms(terms)
        out.append(
            PlatformRows(
                platform=platform_id,
                name=terms.name,
                rows=n,
                share=_share(n, rows),
                findings=tuple(
                    PlatformFinding(
                        rule=f.rule.value,
                        severity=f.severity,
                        message=f.message,
                        source_url=f.evidence.source_url if f.evidence else None,
                        version=f.evidence.version if f.evidence else None,
                        quote=f.evidence.quote if f.evidence else None,
                    )
                    for f in findings
                ),
            )
        )
    return tuple(out)


def _licenses(
    license_rows: Mapping[str | None, int], classifier: Classifier
) -> tuple[LicenseRows, ...]:
    out = []
    for raw, n in license_rows.items():
        found = classifier.license_class(raw)
        out.append(
            LicenseRows(
                raw=raw,
                expression=found.resolution.expression,
                status=found.resolution.status.value,
                evidence=found.resolution.evidence,
                rows=n,
                verdict=classifier.verdict(found.mask),
                rules=rules_of(found.mask),
            )
        )
    out.sort(key=lambda item: (-item.rows, item.raw is None, item.raw or ""))
    return tuple(out)
