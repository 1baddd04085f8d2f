"""The registry of well-known datasets beyond its license facts: withdrawals, and its coverage.

A dataset its publisher or host took down (LAION-5B after links to abuse material were found,
WebVid after a cease-and-desist) must not be trained on from copies that still circulate,
whatever their license says: :func:`withdrawn_findings` raises ``dataset-withdrawn``. The dataset
is matched in the registry by what names it: the reference it was looked up by, its source, its id
or its name. :func:`coverage` counts the entries by modality and evidence level, for
``auditor registry stats`` and ``docs/registry.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from auditor.findings import finding
from auditor.knowledge import EvidenceLevel, KnowledgeBase, Modality, RegistryEntry
from auditor.model import Dataset
from auditor.policy import Policy
from auditor.report import Evidence, Finding
from auditor.rulebook import Rule


def withdrawn_findings(ds: Dataset, kb: KnowledgeBase, policy: Policy) -> list[Finding]:
    """``dataset-withdrawn`` for a dataset the registry records as withdrawn."""
    entry = entry_for(ds, kb)
    if entry is None or entry.withdrawn is None:
        return []
    withdrawal = entry.withdrawn
    when = f" on {withdrawal.on.isoformat()}" if withdrawal.on else ""
    message = f"{entry.name} was withdrawn by its publisher or host{when}"
    if withdrawal.note:
        message += f": {withdrawal.note}"
    evidence = Evidence(
        source_url=withdrawal.source.url,
        version=withdrawal.source.version,
        trigger=f"registry: {entry.id}",
    )
    where = ds.lookup.location if ds.lookup else ds.location
    return finding(policy, Rule.DATASET_WITHDRAWN, ds.id, message, where, evidence)


def entry_for(ds: Dataset, kb: KnowledgeBase) -> RegistryEntry | None:
    """The registry entry that names ``ds``, by its look-up reference, source, id or name."""
    names = (ds.lookup.reference if ds.lookup else None, ds.source, ds.id, ds.name)
    return next((e for n in names if n and (e := kb.known_dataset(n)) is not None), None)


class CoverageRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    modality: str  # a Modality value, or "all"
    entries: int
    evidence: dict[EvidenceLevel, int]  # every level, zero included
    pointer: int  # entries that distribute references to media, not the media
    withdrawn: int


class Coverage(BaseModel):
    """The registry's entries counted by modality and by evidence level."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: tuple[CoverageRow, ...]  # one per modality with entries, in Modality order
    total: CoverageRow
    keys: int  # the names entries are matched by (ids, aliases, URLs)

    def markdown(self) -> str:
        """The coverage as a Markdown table (``docs/registry.md`` carries it)."""
        levels = list(EvidenceLevel)
        lines = [
            "| modality | entries | " + " | ".join(levels) + " | pointer | withdrawn |",
            "|---|---:|" + "---:|" * len(levels) + "---:|---:|",
        ]
        for row in (*self.rows, self.total):
            name = f"**{row.modality}**" if row is self.total else row.modality
            counts = " | ".join(str(row.evidence[level]) for level in levels)
            lines.append(f"| {name} | {row.entries} | {counts} | {row.pointer} | {row.withdrawn} |")
        return "\n".join(lines) + "\n"


def coverage(kb: KnowledgeBase) -> Coverage:
    entries = list({id(e): e for e in kb.registry.values()}.values())
    rows = tuple(
        _row(m.value, group) for m in Modality if (group := [e for e in entries if e.modality is m])
    )
    return Coverage(rows=rows, total=_row("all", entries), keys=len(kb.registry))


def _row(modality: str, entries: Iterable[RegistryEntry]) -> CoverageRow:
    listed = list(entries)
    levels = Counter(e.evidence for e in listed)
    return CoverageRow(
        modality=modality,
        entries=len(listed),
        evidence={level: levels[level] for level in EvidenceLevel},
        pointer=sum(e.pointer for e in listed),
        withdrawn=sum(e.withdrawn is not None for e in listed),
    )
