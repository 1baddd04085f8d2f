"""The core: read -> resolve -> evaluate -> waive -> report. No I/O beyond reading inputs."""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from auditor import document, readers
from auditor.checks import Judged, evaluate, judge_dataset
from auditor.errors import AuditorError, UnexpectedError
from auditor.hub import Hub, default_cache_dir
from auditor.knowledge import KnowledgeBase, load_knowledge, rules_digest
from auditor.lookup import Lookups
from auditor.model import shared_fields_set
from auditor.policy import Policy, Severity, as_policy
from auditor.readers import dpi
from auditor.report import (
    CardRead,
    DatasetReport,
    DatasetVerdict,
    Finding,
    LicenseReport,
    ManifestRead,
    Provenance,
    Report,
    Totals,
    Verdict,
    WaiverReport,
)
from auditor.resolver import Resolver, resolver_for
from auditor.rulebook import load_rulebook
from auditor.version import __version__
from auditor.waivers import apply_waivers, load_waivers

PathLike = str | Path


@dataclass(frozen=True)
class Inline:
    """A manifest given as text rather than a file (standard input; the Python API's dicts,
    models and Hub references, as JSON), under a display ``name``. Local references in it are
    relative to the working folder."""

    name: str
    text: str


Source = PathLike | Inline


def _sources(paths: Source | Sequence[Source]) -> list[Path | Inline]:
    if isinstance(paths, str | Path | Inline):
        paths = [paths]
    return [p if isinstance(p, Inline) else Path(p) for p in paths]


def _read(source: Path | Inline, fmt: str | None) -> readers.Manifest:
    if isinstance(source, Path):
        return readers.read(source, fmt=fmt)
    return readers.read_text(source.text, source.name, fmt=fmt)


@contextmanager
def _uncollected() -> Iterator[None]:
    """The cyclic garbage collector paused for an audit, then resumed as it was.

    An audit builds tens of thousands of small objects that all live until the report is made;
    the collector would walk them again and again (a quarter of the CPU time at 10,000
    datasets) to find no garbage. Reference counting still frees what dies meanwhile.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@_uncollected()
def audit(
    paths: Source | Sequence[Source],
    *,
    policy: str | Policy = "commercial",
    waivers: PathLike | None = None,
    fail_on: Severity | str = Severity.ERROR,
    today: date | None = None,
    fmt: str | None = None,
    offline: bool = False,
    cache_dir: Path | None = None,
    allow_outside_root: bool = False,
    hub: Hub | None = None,
) -> Report:
    """Audit one or more manifests and return the report. Raises InputError on bad input.

    Datasets named by reference are looked up (local files, the Hugging Face Hub, the bundled
    registry); ``offline`` answers Hub look-ups from the cache only.
    """
    path_list = _sources(paths)
    chosen = as_policy(policy)
    threshold = Severity(fail_on)
    kb = load_knowledge()
    book = load_rulebook()
    resolver = resolver_for(kb)
    placed = load_waivers(Path(waivers)) if waivers is not None else ()
    lookups = _lookups(kb, offline, cache_dir, allow_outside_root, hub)

    dataset_rows: list[tuple[Judged, str]] = []
    findings: list[Finding] = []
    read: list[ManifestRead] = []
    for path in path_list:
        with _naming_bugs(path):
            manifest = _read(path, fmt)
            judged = _judged(manifest, lookups, resolver, chosen)
            findings.extend(evaluate(judged, kb, chosen, book, lookups.failed_upstreams))
        dataset_rows.extend((item, manifest.path) for item in judged)
        read.append(_manifest_read(path, manifest.path, manifest.format))

    as_of = today or date.today()
    findings, waiver_reports = apply_waivers(findings, placed, as_of, chosen)
    findings.sort(key=_finding_order)
    manifests = {path for _, path in dataset_rows}
    by_dataset: dict[str, list[Finding]] = {}
    for finding in findings:
        by_dataset.setdefault(finding.dataset, []).append(finding)
    datasets = sorted(
        (
            _dataset_report(item, path, manifests, by_dataset.get(item.dataset.id, []))
            for item, path in dataset_rows
        ),
        key=lambda d: (d.id, d.manifest),
    )
    failing = [f for f in findings if not f.waived and f.severity.rank >= threshold.rank]
    return Report(
        tool_version=__version__,
        policy=chosen.name,
        policy_relaxes=chosen.relaxes,
        fail_on=threshold,
        verdict=Verdict.FAIL if failing else Verdict.PASS,
        datasets=tuple(datasets),
        findings=tuple(findings),
        waivers=tuple(sorted(waiver_reports, key=_waiver_order)),
        totals=_totals(datasets, findings),
        provenance=Provenance(
            as_of=as_of,
            knowledge_base_sha256=rules_digest(),
            manifests=tuple(sorted(set(read), key=lambda m: (m.path, m.sha256))),
            cards=_cards(datasets),
        ),
    )


@dataclass(frozen=True)
class JudgedManifest:
    """One manifest as read, with its datasets looked up and their licenses decided.

    ``datasets`` are the manifest's own; ``upstreams`` those found by following a ``derived_from``
    reference (data the manifest's datasets were made from, not listed in it).
    """

    path: str
    format: str
    name: str | None
    datasets: tuple[Judged, ...]
    upstreams: tuple[Judged, ...] = ()


@_uncollected()
def judge_manifests(
    paths: Source | Sequence[Source],
    *,
    policy: str | Policy = "commercial",
    fmt: str | None = None,
    offline: bool = False,
    cache_dir: Path | None = None,
    allow_outside_root: bool = False,
    hub: Hub | None = None,
) -> tuple[JudgedManifest, ...]:
    """Read, look up and judge every dataset of each manifest, as :func:`audit` does, without
    evaluating findings: what documents about the data (a notice, a summary) are written from.
    ``policy`` decides each OR. Raises InputError on bad input."""
    path_list = _sources(paths)
    chosen = as_policy(policy)
    kb = load_knowledge()
    resolver = resolver_for(kb)
    lookups = _lookups(kb, offline, cache_dir, allow_outside_root, hub)
    out = []
    for path in path_list:
        with _naming_bugs(path):
            manifest = _read(path, fmt)
            judged = _judged(manifest, lookups, resolver, chosen)
        own = {ds.id for ds in manifest.datasets}
        out.append(
            JudgedManifest(
                path=manifest.path,
                format=manifest.format,
                name=manifest.name,
                datasets=tuple(j for j in judged if j.dataset.id in own),
                upstreams=tuple(j for j in judged if j.dataset.id not in own),
            )
        )
    return tuple(out)


@contextmanager
def _naming_bugs(path: Path | Inline) -> Iterator[None]:
    """A bug met while handling ``path`` (an exception that is not an input error) is raised as
    an :class:`UnexpectedError` that says which manifest it was."""
    try:
        yield
    except (AuditorError, UnexpectedError):
        raise
    except Exception as exc:
        where = path.name if isinstance(path, Inline) else path.as_posix()
        raise UnexpectedError(where, exc) from exc


def _lookups(
    kb: KnowledgeBase,
    offline: bool,
    cache_dir: Path | None,
    allow_outside_root: bool,
    hub: Hub | None,
) -> Lookups:
    if hub is None:
        hub = Hub(
            cache_dir=cache_dir or default_cache_dir(),
            offline=offline or _env_offline(),
        )
    return Lookups(kb=kb, hub=hub, allow_outside_root=allow_outside_root)


def _judged(
    manifest: readers.Manifest, lookups: Lookups, resolver: Resolver, policy: Policy
) -> list[Judged]:
    """The manifest's datasets, referenced ones looked up, each with its license decided."""
    expanded = lookups.expand(
        manifest.path, manifest.datasets, follow_sources=manifest.format != dpi.FORMAT
    )
    return [judge_dataset(ds, resolver, policy) for ds in expanded]


def _manifest_read(path: Path | Inline, shown: str, fmt: str) -> ManifestRead:
    """The record of one manifest read (its bytes hashed again, just after the reader read them)."""
    data = path.text.encode() if isinstance(path, Inline) else document.read_bytes(path)
    return ManifestRead(path=shown, format=fmt, sha256=hashlib.sha256(data).hexdigest())


def _cards(datasets: Iterable[DatasetReport]) -> tuple[CardRead, ...]:
    """Every document the look-ups read, once each, sorted."""
    found = {
        CardRead(reference=ds.lookup.reference, outcome=ds.lookup.outcome, **card.model_dump())
        for ds in datasets
        if ds.lookup is not None and (card := ds.lookup.card) is not None
    }
    return tuple(sorted(found, key=lambda c: (c.url, c.reference, c.sha256)))


def _env_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def _finding_order(f: Finding) -> tuple[str, str, int, str, str, tuple[str, ...]]:
    loc = f.location
    return (
        f.dataset,
        loc.path if loc else "",
        (loc.line or 0) if loc else 0,
        f.rule.value,
        f.message,
        f.via,
    )


def _waiver_order(w: WaiverReport) -> tuple[str, int, str, str]:
    return (w.location.path, w.location.line or 0, w.dataset, w.rule.value)


def _dataset_report(
    item: Judged, manifest: str, manifests: set[str], findings: Sequence[Finding]
) -> DatasetReport:
    ds, resolution = item.dataset, item.resolution
    mine = [f for f in findings if not f.waived and _belongs(f, manifest, manifests)]
    if any(f.severity is Severity.ERROR for f in mine):
        verdict = DatasetVerdict.BLOCKED
    elif any(f.severity is Severity.WARNING for f in mine):
        verdict = DatasetVerdict.REVIEW
    else:
        verdict = DatasetVerdict.ALLOWED
    license_report = LicenseReport(
        raw=resolution.raw,
        expression=resolution.expression,
        status=resolution.status,
        evidence=resolution.evidence,
        candidates=resolution.candidates,
        decisions=item.choice.decisions if item.choice else (),
        commercial_use=item.commercial_use,
    )
    return shared_fields_set(
        DatasetReport(
            id=ds.id,
            name=ds.name,
            manifest=manifest,
            location=ds.location,
            license=license_report,
            verdict=verdict,
            lookup=ds.lookup,
            claims=item.claims,
            source=ds.source,
            weight=ds.weight,
            derived_from=tuple(fact.value for fact in ds.derived_from),
            generated_by=tuple(fact.value for fact in ds.generated_by),
            creators=tuple(fact.value for fact in ds.creators),
            attribution=tuple(fact.value for fact in ds.attribution),
            collected_from=ds.collected_from,
            pointer=ds.pointer,
        )
    )


def _belongs(finding: Finding, manifest: str, manifests: set[str]) -> bool:
    """Whether a finding on a dataset id concerns the dataset of this manifest.

    Ids are unique within a manifest, not across manifests; a finding located in another file
    (such as an expired waiver) concerns every dataset with that id.
    """
    loc = finding.location
    return loc is None or loc.path == manifest or loc.path not in manifests


def _totals(datasets: Sequence[DatasetReport], findings: Sequence[Finding]) -> Totals:
    live = [f for f in findings if not f.waived]
    return Totals(
        datasets=len(datasets),
        allowed=sum(d.verdict is DatasetVerdict.ALLOWED for d in datasets),
        review=sum(d.verdict is DatasetVerdict.REVIEW for d in datasets),
        blocked=sum(d.verdict is DatasetVerdict.BLOCKED for d in datasets),
        errors=sum(f.severity is Severity.ERROR for f in live),
        warnings=sum(f.severity is Severity.WARNING for f in live),
        infos=sum(f.severity is Severity.INFO for f in live),
        waived=len(findings) - len(live),
    )
