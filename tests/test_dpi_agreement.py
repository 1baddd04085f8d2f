"""The license layer against the Data Provenance Initiative's own classes, on the shared corpus.

DPI's experts audited each dataset's licenses; ``benchmarks/score_dpi.py`` classes each dataset
as DPI's code does and asks whether our commercial gate blocks it by its license. Nothing DPI
classes as non-commercial, academic-only or unspecified may pass the whole gate, and agreement may
only go up (the floor is the figure measured when it was last raised).
"""

from __future__ import annotations

from pathlib import Path

from auditor.report import DatasetVerdict
from benchmarks.score_dpi import COMMERCIAL, score, unresolved_share

AGREEMENT_FLOOR = 0.985


def test_no_restricted_dpi_dataset_passes_and_agreement_holds(corpus: Path) -> None:
    rows = score(corpus)
    assert len(rows) > 1000, "the DPI collections are missing from the corpus"
    leaked = [
        (r.modality, r.dataset, r.dpi, r.verdict.value)
        for r in rows
        if r.dpi != COMMERCIAL and r.verdict is not DatasetVerdict.BLOCKED
    ]
    assert leaked == []
    agreement = sum(r.agrees for r in rows) / len(rows)
    assert agreement >= AGREEMENT_FLOOR, f"agreement {agreement:.1%}"


# DPI-commercial datasets the gate blocks only because a lineage or a generator's terms could not
# be resolved. The target is 3 %: 16 of 690 (2.3 %) are left, nearly all for want of
# generators' terms in rules/models (SeaLLM, Command R+, Glaive's in-house model); the ceiling
# only goes down.
UNRESOLVED_CEILING = 0.03


def test_few_commercial_dpi_datasets_are_blocked_only_for_want_of_knowledge(corpus: Path) -> None:
    stuck, commercial = unresolved_share(score(corpus))
    assert commercial > 600
    assert stuck / commercial <= UNRESOLVED_CEILING, f"{stuck}/{commercial}"
