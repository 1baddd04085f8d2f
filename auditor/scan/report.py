"""The scan report (schema 1.0): rows by verdict and rule, aggregates by domain and platform, the
top domains by share in the form of the EU AI Act training-content summary, and the evidence
behind each judgement. The same counts give byte-identical JSON; lists are sorted.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from auditor.policy import Severity
from auditor.scan.classify import INVALID_BITS, Classifier, Invalid, Verdict, bit, rules_of
from auditor.scan.optout import Snapshots
from auditor.scan.tally import Counts
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


class ScanReport(Frozen):
    schema_version: Literal["1.0"] = "1.0"
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
    domains: tuple[DomainRows, ...]
    top_domains_fraction: float
    top_domains: tuple[TopDomain, ...]
    platforms: tuple[PlatformRows, ...]
    licenses: tuple[LicenseRows, ...]
    optout_snapshots: tuple[SnapshotEvidence, ...]

    @property
    def passed(self) -> bool:
        return self.gate == "pass"


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


def build_report(
    counts: Counts,
    license_rows: Mapping[str | None, int],
    classifier: Classifier,
    settings: Settings,
    snapshots: Snapshots | None = None,
) -> ScanReport:
    rows = sum(counts.values())
    excluded = classifier.excluded_bits(settings.fail_on)
    invalid: Counter[str] = Counter()
    verdicts: Counter[Verdict] = Counter()
    rules: Counter[str] = Counter()
    blocked = 0
    per_group: dict[tuple[str, str | None], Counter[int]] = {}
    for (domain, platform, mask), n in counts.items():
        verdicts[classifier.verdict(mask)] += n
        for rule in rules_of(mask):
            if rule.startswith("invalid-"):
                invalid[rule.removeprefix("invalid-")] += n
            else:
                rules[rule] += n
        if mask & excluded:
            blocked += n
        if not mask & INVALID_BITS:
            per_group.setdefault((domain, platform), Counter())[mask] += n
    share = _share(blocked, rows)
    notes = [
        "Opt-out signals were read from local snapshots only."
        if snapshots is not None
        else "No opt-out snapshot directory was given: robots.txt, ai.txt and TDMRep were not "
        "checked.",
    ]
    if settings.license_column is None:
        notes.append("No per-row license column: rows were judged on platform terms and opt-outs.")
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
        domains_total=len({domain for domain, _ in per_group}),
        domains=_domains(per_group, classifier, rows, settings.max_domains),
        top_domains_fraction=settings.top_fraction,
        top_domains=_top_domains(per_group, rows, settings.top_fraction),
        platforms=_platforms(per_group, classifier, rows),
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
    per_group: Mapping[tuple[str, str | None], Counter[int]],
    classifier: Classifier,
    rows: int,
    limit: int,
) -> tuple[DomainRows, ...]:
    """The ``limit`` largest (domain, platform) aggregates (all when 0), by rows then name."""
    sizes = sorted(
        ((sum(masks.values()), key) for key, masks in per_group.items()),
        key=lambda item: (-item[0], item[1][0], item[1][1] or ""),
    )
    out = []
    for total, (domain, platform) in sizes[: limit or None]:
        verdicts: Counter[Verdict] = Counter()
        reasons: Counter[str] = Counter()
        for mask, n in per_group[(domain, platform)].items():
            verdicts[classifier.verdict(mask)] += n
            for rule in rules_of(mask):
                reasons[rule] += n
        out.append(
            DomainRows(
                domain=domain,
                platform=platform,
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
    per_group: Mapping[tuple[str, str | None], Counter[int]], rows: int, fraction: float
) -> tuple[TopDomain, ...]:
    """The top ``fraction`` of registered domains by rows (at least one), as the EU template's
    "top 10% of all domain names by size of content scraped", with rows standing for size."""
    by_domain: Counter[str] = Counter()
    for (domain, _), masks in per_group.items():
        by_domain[domain] += sum(masks.values())
    ranked = sorted(by_domain.items(), key=lambda item: (-item[1], item[0]))
    keep = math.ceil(len(ranked) * fraction) if ranked else 0
    return tuple(
        TopDomain(rank=i + 1, domain=domain, rows=n, share=_share(n, rows))
        for i, (domain, n) in enumerate(ranked[:keep])
    )


def _platforms(
    per_group: Mapping[tuple[str, str | None], Counter[int]], classifier: Classifier, rows: int
) -> tuple[PlatformRows, ...]:
    by_platform: Counter[str] = Counter()
    for (_, platform), masks in per_group.items():
        if platform is not None:
            by_platform[platform] += sum(masks.values())
    known = {p.id: p for p in classifier.kb.platforms}
    out = []
    for platform_id, n in sorted(by_platform.items(), key=lambda item: (-item[1], item[0])):
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
