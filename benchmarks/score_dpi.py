"""Agreement with the Data Provenance Initiative's own license classes, on the license layer.

For every dataset of ``../shared/corpus/dpi/`` (text, video, speech), DPI's class is computed from
its expert-audited ``Licenses`` the way that project does (``benchmarks/data/dpi/README.md``):
commercial, unspecified, non-commercial or academic-only. The auditor's answer is whether the
dataset is *blocked by its license* under the commercial policy: an unwaived error of its own (not
inherited from an upstream) whose rule starts with ``license-``, or ``model-output-terms`` /
``gated-terms-conflict`` (DPI lists provider terms such as "OpenAI" as licenses). They agree when
DPI's class is commercial and the dataset is not blocked by its license, or DPI's class is anything
else and it is. DPI classes a record by its own ``Licenses``; what an upstream's license does to a
dataset is the gate's lineage layer, which DPI's classes do not cover, so inherited findings are
left out of the comparison (they still count in every verdict).

Run as a script, it prints the agreement, the count of non-commercial datasets the whole gate lets
through (``allowed`` or ``review``), the share of DPI-commercial datasets the gate blocks only
because something could not be resolved (``lineage-unresolved``, ``model-output-unknown``), and
every disagreement grouped by cause.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import auditor.engine
from auditor.hub import Hub
from auditor.report import DatasetVerdict, Finding, Report
from auditor.rulebook import Rule

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"
MODALITIES = ("text", "video", "speech")
COMMERCIAL = "commercial"
LICENSE_LAYER = frozenset({Rule.MODEL_OUTPUT_TERMS, Rule.GATED_TERMS_CONFLICT})
# Rules that block for want of knowledge, not for a restriction found.
UNRESOLVED = frozenset({Rule.LINEAGE_UNRESOLVED, Rule.MODEL_OUTPUT_UNKNOWN})


def _classes() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    folder = HERE / "data" / "dpi"
    named = json.loads((folder / "license_classes.json").read_text(encoding="utf-8"))
    custom = json.loads((folder / "custom_license_classes.json").read_text(encoding="utf-8"))
    return named, custom


def dpi_class(record: dict[str, Any]) -> str:
    """DPI's license use class of one record (``filters.classify_license`` and
    ``resolve_multiple_licenses``)."""
    named, custom = _classes()
    uses = []
    for item in record.get("Licenses") or []:
        name, url = item.get("License"), item.get("License URL")
        if name == "Custom":
            uses.append(custom.get(url, ["?"])[0])
        elif name in named:
            uses.append(named[name][0])
        else:
            return ""  # a name DPI's own classes do not list (its code raises KeyError): no class
    if not uses:
        return ""
    if "?" in uses or "Acad" in uses:
        return "academic-only"
    if "NC" in uses:
        return "non-commercial"
    if "Unspecified" in uses:
        return "unspecified"
    return COMMERCIAL


def blocked_by_license(findings: tuple[Finding, ...]) -> list[Finding]:
    """The dataset's own blocking license findings (inherited ones are its upstreams')."""
    return [
        f
        for f in _errors(findings)
        if not f.via and (f.rule.value.startswith("license-") or f.rule in LICENSE_LAYER)
    ]


def _errors(findings: tuple[Finding, ...]) -> list[Finding]:
    return [f for f in findings if not f.waived and f.severity.value == "error"]


@dataclass(frozen=True)
class Row:
    modality: str
    dataset: str
    dpi: str
    blocked: bool
    verdict: DatasetVerdict
    rules: tuple[str, ...]
    errors: frozenset[Rule] = frozenset()  # the rules of its unwaived errors, inherited included
    blocked_with_lineage: bool = False  # blocked by a license-layer error, inherited ones too

    @property
    def agrees(self) -> bool:
        return self.blocked == (self.dpi != COMMERCIAL)

    @property
    def blocked_unresolved(self) -> bool:
        """Blocked only because a lineage or a generator's terms could not be resolved."""
        return bool(self.errors) and self.errors <= UNRESOLVED


def score(corpus: Path = CORPUS) -> list[Row]:
    hub = Hub(cache_dir=Path("/nonexistent-auditor-cache"), offline=True)
    rows: list[Row] = []
    for modality in MODALITIES:
        for path in sorted((corpus / "dpi" / modality).glob("*.json")):
            records = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(records, dict) or path.name.startswith("_"):
                continue
            report: Report = auditor.engine.audit(path, hub=hub)
            verdicts = {d.id: d.verdict for d in report.datasets}
            for key, record in records.items():
                if not isinstance(record, dict) or key not in verdicts:
                    continue
                cls = dpi_class(record)
                if not cls:
                    continue
                findings = report.findings_for(key)
                hits = blocked_by_license(findings)
                rules = tuple(sorted({f.rule.value for f in findings}))
                errors = frozenset(f.rule for f in _errors(findings))
                with_lineage = any(
                    f.rule.value.startswith("license-") or f.rule in LICENSE_LAYER
                    for f in _errors(findings)
                )
                rows.append(
                    Row(modality, key, cls, bool(hits), verdicts[key], rules, errors, with_lineage)
                )
    return rows


def unresolved_share(rows: list[Row]) -> tuple[int, int]:
    """DPI-commercial datasets blocked only by unresolved lineage or generator terms, of all
    DPI-commercial datasets."""
    commercial = [r for r in rows if r.dpi == COMMERCIAL]
    return sum(r.blocked_unresolved for r in commercial), len(commercial)


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    rows = score()
    agree = sum(r.agrees for r in rows)
    print(
        f"datasets with a DPI class: {len(rows)} (records whose license names DPI does not class "
        "are left out)"
    )
    print(f"DPI license-layer agreement: {agree}/{len(rows)} = {agree / len(rows):.1%}")
    lineage = sum(r.blocked_with_lineage == (r.dpi != COMMERCIAL) for r in rows)
    print(
        f"  counting findings inherited from upstreams too: {lineage}/{len(rows)} = "
        f"{lineage / len(rows):.1%}"
    )
    by_class = Counter((r.dpi, r.blocked) for r in rows)
    for (cls, blocked), n in sorted(by_class.items()):
        print(f"  DPI {cls:<15} {'blocked' if blocked else 'not blocked':<12} {n:>5}")
    stuck, commercial = unresolved_share(rows)
    print(
        f"DPI-commercial datasets blocked only by {', '.join(sorted(UNRESOLVED))}: "
        f"{stuck}/{commercial} = {stuck / commercial:.1%}"
    )
    leaked = [r for r in rows if r.dpi != COMMERCIAL and r.verdict is not DatasetVerdict.BLOCKED]
    print(f"non-commercial/academic/unspecified datasets allowed or review: {len(leaked)}")
    for r in leaked:
        print(f"  LEAK {r.modality}/{r.dataset} ({r.dpi}): {r.verdict.value} {r.rules}")
    causes: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if not r.agrees:
            causes[f"DPI {r.dpi}, {'blocked' if r.blocked else 'passed'}"].append(r)
    for cause, items in sorted(causes.items()):
        print(f"\n{cause}: {len(items)}")
        for r in items:
            print(f"  {r.modality}/{r.dataset}: {r.verdict.value} {', '.join(r.rules)}")


if __name__ == "__main__":
    main()
