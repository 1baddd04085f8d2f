"""Every license value and licensing section of the real corpus resolves without error, and an
unresolved one is never reported as permissive."""

from __future__ import annotations

from pathlib import Path

from auditor import readers
from auditor.errors import InputError
from auditor.explanation import explain
from auditor.knowledge import CommercialUse, load_knowledge
from auditor.licensing import Status, commercial_use, leaves
from auditor.resolver import resolver_for

PATTERNS = ("hf-cards/*/README.md", "croissant/*.json", "dpi/*/*.json", "spdx3/*.json")


def test_corpus_license_values_resolve_and_fail_closed(corpus: Path) -> None:
    resolver = resolver_for(load_knowledge())
    values: set[str] = set()
    datasets = 0
    for pattern in PATTERNS:
        for path in sorted(corpus.glob(pattern)):
            try:
                manifest = readers.read(path)
            except InputError:
                continue  # the few corpus files that are not manifests (tested elsewhere)
            for ds in manifest.datasets:
                datasets += 1
                result = resolver.resolve_dataset(ds.licenses, ds.license_notes)
                chosen = leaves(result.tree) if result.tree is not None else ()
                if result.status is Status.UNKNOWN:
                    assert commercial_use(chosen) is not CommercialUse.ALLOWED, ds.id
                values.update(f.value for f in (*ds.licenses, *ds.license_notes))
    assert datasets > 1800
    assert len(values) > 500
    for value in values:
        explained = explain(value)
        if explained.status is Status.UNKNOWN:
            assert explained.commercial_use is not CommercialUse.ALLOWED, value
