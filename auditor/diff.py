"""What changed between two reports: findings new, fixed and unchanged, verdicts, weight, and why.

A finding is the same finding in both reports when it has the same **identity**: its rule, its
dataset, the lineage it came down (``via``), and what it is about, normalised. What it is about is
the manifest fact that triggered it (``evidence.trigger``: ``license: CC BY-NC 4.0``,
``generated_by: gpt-4o``, ``source: hf://owner/name``), or its message when it names no trigger.
Line numbers (``mix.yaml:12``), case and runs of spaces are left out, and so are the manifest's
path, the severity and whether it is waived: a finding keeps its identity when lines move, when a
manifest is audited from another folder (the base branch checked out beside the pull request's),
when a policy changes its severity or a waiver covers it. Identities are counted, not only
compared, so two findings alike (the same dataset id in two manifests) are two.

Datasets are matched by id; a dataset id in several manifests counts with its worst verdict and the
sum of its weights. Why a verdict changed is told from what each report was made from
(:class:`~auditor.report.Provenance`): the manifest's bytes, the card a look-up read (its revision
and hash), the license resolved, and what changed for every dataset (the policy, the knowledge
base, the tool, the as-of date).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from auditor.model import CardRef
from auditor.policy import Severity
from auditor.report import DatasetReport, DatasetVerdict, Finding, Report, Verdict

DIFF_SCHEMA_VERSION = "1.0"

_LINE = re.compile(r"(?<=[^\s:]):\d+\b")
_WORST = {DatasetVerdict.ALLOWED: 0, DatasetVerdict.REVIEW: 1, DatasetVerdict.BLOCKED: 2}


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


FindingKey = tuple[str, str, tuple[str, ...], str]


def finding_key(finding: Finding) -> FindingKey:
    """A finding's identity across runs: rule, dataset, via, and what it is about, normalised."""
    ev = finding.evidence
    subject = ev.trigger if ev is not None and ev.trigger else finding.message
    return (finding.rule.value, finding.dataset, finding.via, _normalised(subject))


def _normalised(text: str) -> str:
    return " ".join(_LINE.sub("", text).split()).casefold()


class DatasetChange(Frozen):
    """A dataset whose verdict or weight changed, or that came or went, and why."""

    dataset: str
    old_verdict: DatasetVerdict | None = Field(description="None: not in the old report")
    new_verdict: DatasetVerdict | None = Field(description="None: not in the new report")
    old_weight: float | None = None
    new_weight: float | None = None
    reasons: tuple[str, ...] = ()


class WeightShare(Frozen):
    """The weight of the mix's datasets with one verdict, in each report (weighted ones only)."""

    verdict: DatasetVerdict
    old: float
    new: float


class Diff(Frozen):
    """The changes from ``old`` to ``new``; findings are the new report's (fixed: the old one's)."""

    schema_version: str = DIFF_SCHEMA_VERSION
    old_verdict: Verdict
    new_verdict: Verdict
    new_findings: tuple[Finding, ...]
    fixed_findings: tuple[Finding, ...]
    unchanged_findings: tuple[Finding, ...]
    datasets: tuple[DatasetChange, ...]
    weight: tuple[WeightShare, ...]
    reasons: tuple[str, ...] = Field(
        default=(), description="What changed for every dataset: policy, knowledge base, tool"
    )

    def failing(self, fail_on: Severity) -> tuple[Finding, ...]:
        """The new findings that fail a gate at ``fail_on``: not waived, severe enough."""
        return _at_or_above(self.new_findings, fail_on)

    def remaining(self, fail_on: Severity) -> tuple[Finding, ...]:
        """The findings of the old report still there that would fail a gate at ``fail_on``."""
        return _at_or_above(self.unchanged_findings, fail_on)


def _at_or_above(findings: Iterable[Finding], fail_on: Severity) -> tuple[Finding, ...]:
    return tuple(f for f in findings if not f.waived and f.severity.rank >= fail_on.rank)


def diff(old: Report, new: Report) -> Diff:
    """The changes from the ``old`` report to the ``new`` one."""
    new_found, fixed, unchanged = _matched(old.findings, new.findings)
    old_sets, new_sets = _by_id(old.datasets), _by_id(new.datasets)
    changes = []
    for ident in sorted(old_sets.keys() | new_sets.keys()):
        before, after = old_sets.get(ident, ()), new_sets.get(ident, ())
        change = DatasetChange(
            dataset=ident,
            old_verdict=_worst(before),
            new_verdict=_worst(after),
            old_weight=_weight(before),
            new_weight=_weight(after),
        )
        if (change.old_verdict, change.old_weight) != (change.new_verdict, change.new_weight):
            why = _dataset_reasons(ident, before, after, old, new, new_found, fixed)
            changes.append(change.model_copy(update={"reasons": why}))
    return Diff(
        old_verdict=old.verdict,
        new_verdict=new.verdict,
        new_findings=new_found,
        fixed_findings=fixed,
        unchanged_findings=unchanged,
        datasets=tuple(changes),
        weight=_shares(old_sets, new_sets),
        reasons=_report_reasons(old, new),
    )


def _matched(
    old: Sequence[Finding], new: Sequence[Finding]
) -> tuple[tuple[Finding, ...], tuple[Finding, ...], tuple[Finding, ...]]:
    """New, fixed and unchanged findings, by identity, counting repeats."""
    remaining = Counter(finding_key(f) for f in old)
    added, kept = [], []
    for finding in new:
        key = finding_key(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
            kept.append(finding)
        else:
            added.append(finding)
    fixed = []
    for finding in reversed(old):  # the last ones of a key are left over, as matched in order
        key = finding_key(finding)
        if remaining[key] > 0:
            remaining[key] -= 1
            fixed.append(finding)
    return tuple(added), tuple(reversed(fixed)), tuple(kept)


def _by_id(datasets: Iterable[DatasetReport]) -> dict[str, tuple[DatasetReport, ...]]:
    found: dict[str, list[DatasetReport]] = {}
    for ds in datasets:
        found.setdefault(ds.id, []).append(ds)
    return {ident: tuple(group) for ident, group in found.items()}


def _worst(group: Sequence[DatasetReport]) -> DatasetVerdict | None:
    return max((d.verdict for d in group), key=_WORST.__getitem__, default=None)


def _weight(group: Sequence[DatasetReport]) -> float | None:
    weights = [d.weight for d in group if d.weight is not None]
    return round(sum(weights), 9) if weights else None


def _shares(
    old: dict[str, tuple[DatasetReport, ...]], new: dict[str, tuple[DatasetReport, ...]]
) -> tuple[WeightShare, ...]:
    def totals(sets: dict[str, tuple[DatasetReport, ...]]) -> dict[DatasetVerdict, float]:
        sums = dict.fromkeys(DatasetVerdict, 0.0)
        for group in sets.values():
            weight, verdict = _weight(group), _worst(group)
            if weight is not None and verdict is not None:
                sums[verdict] += weight
        return sums

    before, after = totals(old), totals(new)
    if not any(before.values()) and not any(after.values()):
        return ()
    return tuple(
        WeightShare(verdict=v, old=round(before[v], 9), new=round(after[v], 9))
        for v in DatasetVerdict
    )


def _dataset_reasons(
    ident: str,
    before: Sequence[DatasetReport],
    after: Sequence[DatasetReport],
    old: Report,
    new: Report,
    added: Sequence[Finding],
    fixed: Sequence[Finding],
) -> tuple[str, ...]:
    if not before:
        return ("not in the old report",)
    if not after:
        return ("not in the new report",)
    reasons: list[str] = []
    for ds_old, ds_new in zip(before, after, strict=False):
        reasons += _fact_reasons(ds_old, ds_new, old, new)
    for label, findings in (("new", added), ("fixed", fixed)):
        rules = sorted({f.rule.value for f in findings if f.dataset == ident})
        if rules:
            reasons.append(f"{label}: {', '.join(rules)}")
    if len(before) != len(after):
        reasons.append(f"in {len(before)} manifest(s) before, {len(after)} now")
    return tuple(dict.fromkeys(reasons))


def _fact_reasons(
    before: DatasetReport, after: DatasetReport, old: Report, new: Report
) -> list[str]:
    """What changed in what one dataset was judged on: its manifest, its card, its license."""
    reasons: list[str] = []
    old_sha, new_sha = _manifest_sha(old, before.manifest), _manifest_sha(new, after.manifest)
    if old_sha is not None and new_sha is not None and old_sha != new_sha:
        reasons.append(
            f"manifest {after.manifest} changed (sha256 {_short(old_sha)} → {_short(new_sha)})"
        )
    old_card = before.lookup.card if before.lookup else None
    new_card = after.lookup.card if after.lookup else None
    if old_card != new_card:
        reasons.append(_card_change(after, old_card, new_card))
    old_outcome = before.lookup.outcome if before.lookup else None
    new_outcome = after.lookup.outcome if after.lookup else None
    if old_outcome != new_outcome:
        reasons.append(f"look-up {old_outcome or 'none'} → {new_outcome or 'none'}")
    if before.license.expression != after.license.expression:
        reasons.append(
            f"license {before.license.expression or 'unknown'} → "
            f"{after.license.expression or 'unknown'}"
        )
    return reasons


def _manifest_sha(report: Report, path: str) -> str | None:
    if report.provenance is None:
        return None
    return next((m.sha256 for m in report.provenance.manifests if m.path == path), None)


def _card_change(ds: DatasetReport, before: CardRef | None, after: CardRef | None) -> str:
    reference = ds.lookup.reference if ds.lookup else ds.id
    if before is None or after is None:
        return f"card of {reference} {'read' if after else 'not read'} now"

    def state(card: CardRef) -> str:
        revision = f"revision {card.revision}, " if card.revision else ""
        return f"{revision}sha256 {_short(card.sha256)}"

    return f"card of {reference} changed ({state(before)} → {state(after)})"


def _report_reasons(old: Report, new: Report) -> tuple[str, ...]:
    """What changed for every dataset at once."""
    reasons: list[str] = []
    if old.policy != new.policy:
        reasons.append(f"policy {old.policy} → {new.policy}")
    if old.fail_on is not new.fail_on:
        reasons.append(f"fail-on {old.fail_on.value} → {new.fail_on.value}")
    if old.tool_version != new.tool_version:
        reasons.append(f"auditor {old.tool_version} → {new.tool_version}")
    was, now = old.provenance, new.provenance
    if was is None or now is None:
        missing = "old" if was is None else "new"
        reasons.append(f"the {missing} report has no provenance (schema before 1.2)")
        return tuple(reasons)
    if was.knowledge_base_sha256 != now.knowledge_base_sha256:
        reasons.append(
            f"knowledge base changed (sha256 {_short(was.knowledge_base_sha256)} → "
            f"{_short(now.knowledge_base_sha256)})"
        )
    if was.as_of != now.as_of:
        reasons.append(f"as of {was.as_of.isoformat()} → {now.as_of.isoformat()} (waivers)")
    return tuple(reasons)


def _short(digest: str) -> str:
    return digest[:12]


def moved(old: float | None, new: float | None) -> str:
    """A weight before and after (``0.2 → 0.3``), or once when it did not change."""
    shown = ["-" if w is None else f"{w:g}" for w in (old, new)]
    return shown[0] if old == new else " → ".join(shown)
