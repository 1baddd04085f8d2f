"""The report: a versioned JSON contract shared by every output format and the Python API.

Top level: ``schema_version``, ``tool_version``, ``policy``, ``verdict`` (``pass`` | ``fail``),
``datasets`` and ``findings``, plus ``fail_on``, ``waivers``, ``totals`` and ``policy_relaxes``.
``policy_relaxes`` lists, sorted, the fail-closed rules (``policy.FAIL_CLOSED``) the policy sets
below ``error``, as it declares them; it is empty under a policy that fails closed. Lists are
sorted so the same input always gives byte-identical output. Fields may be added in a minor
schema version; none is renamed or removed without a major one.

Schema 1.1 adds ``policy_relaxes`` and ``datasets[].claims``: every statement about the dataset's
license, each with its ``origin`` (the field, and for looked-up facts the document:
``hf://owner/name (README.md:3 license)``, ``registry (<source url>)``), ``value`` as written,
``location``, ``status`` and ``expression`` as resolved, and ``role``: ``applied`` (part of the
license the verdict uses; the most restrictive reading of all applied claims applies), ``hint``
(inferred, unaudited evidence, never applied on its own), ``superseded`` (an SPDX declared license
that the concluded one overrides) or ``silent`` (a placeholder, or a link or prose that names no
license). Claims are in the order they were found.

Schema 1.2 adds ``provenance``: what the report was made from, so a reviewer can tell what was
judged and :mod:`auditor.diff` can say why a verdict changed. ``as_of`` is the date the audit
judged as of (``--as-of``, else the day it ran: a date, never a time, so the same input gives the
same bytes); ``knowledge_base_sha256`` the version of ``rules/`` (see
:func:`auditor.knowledge.rules_digest`); ``manifests`` each manifest read, with its ``format`` and
the ``sha256`` of its bytes; ``cards`` each document a look-up read (a Hub card, from the Hub or
the cache, or a local card), with the ``reference`` that named it, the ``outcome``, its ``url``,
the ``revision`` the Hub named and its ``sha256``. With ``tool_version`` that is the provenance.
Each look-up (``datasets[].lookup``) has the same record as ``card``. Each dataset also has the
facts of the mix beside its license: ``source``, ``weight`` (its share of the mix, as written),
``derived_from``, ``generated_by``, ``creators``, ``attribution``, ``collected_from`` and
``pointer``.

Schema 1.3 adds ``kind``: ``check`` here, ``scan`` in the report of ``auditor scan``, so a file
says which report it is. ``auditor schema --report check`` prints this schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from auditor import document
from auditor.evidence import Claim
from auditor.knowledge import CommercialUse
from auditor.licensing import Status
from auditor.model import CardRef, Collection, Frozen, Location, Lookup
from auditor.policy import Severity
from auditor.rulebook import Rule

SCHEMA_VERSION = "1.3"


class ExitCode(IntEnum):
    """The gate's exit codes, the same for every command: 0 pass, 1 findings, 2 input error."""

    PASS = 0
    FAIL = 1
    INPUT = 2


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"


class DatasetVerdict(StrEnum):
    ALLOWED = "allowed"
    REVIEW = "review"
    BLOCKED = "blocked"


class Evidence(Frozen):
    """The source behind a finding: a URL, the version or date of the terms, a short quote."""

    source_url: str | None = None
    version: str | None = None
    quote: str | None = None
    trigger: str | None = Field(
        default=None, description="The manifest fact that triggered the finding"
    )


class WaiverRef(Frozen):
    reason: str
    approved_by: str
    expires: date
    location: Location


class Finding(Frozen):
    rule: Rule
    severity: Severity
    dataset: str
    message: str
    location: Location | None = None
    via: tuple[str, ...] = ()
    waived: bool = False
    waiver: WaiverRef | None = None
    evidence: Evidence | None = None


class LicenseReport(Frozen):
    raw: str | None
    expression: str | None
    status: Status
    evidence: str
    candidates: tuple[str, ...] = ()
    decisions: tuple[str, ...] = ()
    commercial_use: CommercialUse


class DatasetReport(Frozen):
    id: str
    name: str | None
    manifest: str
    location: Location
    license: LicenseReport
    verdict: DatasetVerdict
    lookup: Lookup | None = Field(
        default=None, description="How a dataset named by reference was looked up"
    )
    claims: tuple[Claim, ...] = Field(
        default=(),
        description=(
            "Every statement found about the dataset's license (manifest field, license link, "
            "card tag or prose, registry, audited or inferred record), where it stands, and how "
            "it was weighed: applied, hint, superseded or silent (schema 1.1)"
        ),
    )
    source: str | None = Field(default=None, description="Where the data lives, as written")
    weight: float | None = Field(default=None, description="Its weight in the mix, as written")
    derived_from: tuple[str, ...] = Field(default=(), description="Upstream datasets")
    generated_by: tuple[str, ...] = Field(default=(), description="Models that generated it")
    creators: tuple[str, ...] = Field(
        default=(), description="Who created and released it, as claimed"
    )
    attribution: tuple[str, ...] = Field(
        default=(), description="The credit its licensor asks for, as written"
    )
    collected_from: tuple[Collection, ...] = Field(
        default=(), description="Sites its content was collected from, and how"
    )
    pointer: bool = Field(
        default=False, description="The data is references to content hosted elsewhere"
    )


class WaiverStatus(StrEnum):
    APPLIED = "applied"
    EXPIRED = "expired"
    UNUSED = "unused"


class WaiverReport(Frozen):
    rule: Rule
    dataset: str
    upstream: str | None = Field(
        default=None,
        description="The upstream whose inherited findings it covers ('*': any); none: its own",
    )
    reason: str
    approved_by: str
    expires: date
    status: WaiverStatus
    location: Location


class Totals(Frozen):
    datasets: int
    allowed: int
    review: int
    blocked: int
    errors: int
    warnings: int
    infos: int
    waived: int


class ManifestRead(Frozen):
    """A manifest the audit read: its path as given, the format read, the sha256 of its bytes."""

    path: str
    format: str
    sha256: str


class CardRead(CardRef):
    """A document a look-up read, and the reference that named it."""

    reference: str
    outcome: str  # local | hub | cache


class Provenance(Frozen):
    """What a report was made from (schema 1.2); with ``Report.tool_version``, its provenance."""

    as_of: date = Field(description="The date the audit judged as of (waiver expiry)")
    knowledge_base_sha256: str = Field(description="The version of rules/: see rules_digest")
    manifests: tuple[ManifestRead, ...] = ()
    cards: tuple[CardRead, ...] = ()


class Report(Frozen):
    schema_version: str = SCHEMA_VERSION
    kind: Literal["check"] = Field(
        default="check", description="Which report this is (schema 1.3; `auditor scan`: scan)"
    )
    tool_version: str
    policy: str
    fail_on: Severity
    verdict: Verdict
    datasets: tuple[DatasetReport, ...]
    findings: tuple[Finding, ...]
    waivers: tuple[WaiverReport, ...] = ()
    totals: Totals
    policy_relaxes: tuple[Rule, ...] = Field(
        default=(), description="The fail-closed rules the policy sets below error, sorted"
    )
    provenance: Provenance | None = Field(
        default=None, description="What the report was made from (schema 1.2; none before)"
    )

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    def findings_for(self, dataset: str) -> tuple[Finding, ...]:
        """The findings on one dataset id (a scan of every finding: for many datasets, index
        them once with :func:`findings_by_dataset`)."""
        return tuple(f for f in self.findings if f.dataset == dataset)


def findings_by_dataset(findings: Iterable[Finding]) -> dict[str, tuple[Finding, ...]]:
    """The findings on each dataset id, in their order: one pass, so a renderer that shows each
    dataset's findings stays linear in the size of the report."""
    grouped: dict[str, list[Finding]] = {}
    for f in findings:
        grouped.setdefault(f.dataset, []).append(f)
    return {dataset: tuple(found) for dataset, found in grouped.items()}


def report_schema() -> dict[str, object]:
    """The JSON Schema of the report ``auditor check --format json`` writes."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"urn:auditor:schema:check-report:{SCHEMA_VERSION}"
    return schema


def load_report(path: Path) -> Report:
    """A JSON report written by auditor (this schema or an older one of the same major version).

    Anything else is an :class:`InputError` at its line: a file that cannot be parsed, one that is
    not a report, or a report of a schema this version cannot read (a newer minor version may
    carry fields it does not know).
    """
    doc = document.load(path)
    version = doc.data.get("schema_version") if isinstance(doc.data, dict) else None
    if not isinstance(version, str):
        raise doc.error((), "not an auditor JSON report (no schema_version)")
    if not _readable(version):
        message = f"report schema {version} cannot be read by this auditor (up to {SCHEMA_VERSION})"
        raise doc.error(("schema_version",), message)
    try:
        return Report.model_validate(doc.data)
    except ValidationError as exc:
        raise doc.validation_error(exc, "report") from exc


def _readable(version: str) -> bool:
    major, _, minor = version.partition(".")
    ours_major, _, ours_minor = SCHEMA_VERSION.partition(".")
    return major == ours_major and minor.isdigit() and int(minor) <= int(ours_minor)
