"""The native manifest: the credit and the EU training-content summary fields, validated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from auditor import readers
from auditor.errors import InputError
from auditor.model import Category, Modality, Period, Size
from tests.conftest import fixture_path


def test_credit_and_summary_fields_are_read() -> None:
    (ds,) = readers.read(fixture_path("manifest.summary-fields.yaml")).datasets
    assert [(f.value, f.location.line) for f in ds.creators] == [("Example Lab", 7)]
    assert [(f.value, f.location.line, f.origin) for f in ds.attribution] == [
        ("Example Lab, Crawled Corpus (2024), CC BY 4.0", 8, "attribution")
    ]
    assert ds.version == "2024-06"
    assert ds.category is Category.SCRAPED
    assert ds.modalities == (Modality.TEXT, Modality.IMAGE)
    assert ds.size == Size(tokens=1_200_000_000, images=35_000)
    assert ds.collection_period == Period(start=date(2024, 1, 1), end=date(2024, 6, 30))
    assert ds.crawlers == ("ExampleBot/1.0",)


@pytest.mark.parametrize(
    ("entry", "line", "message"),
    [
        ("size: {}", 6, "give at least one of tokens, images"),
        ("size: {tokens: -1}", 6, "greater than or equal to 0"),
        ("collection_period: {start: 2024-02-01, end: 2024-01-01}", 6, "'start' is after 'end'"),
        ("collection_period: {}", 6, "give 'start', 'end' or both"),
        ("category: web", 6, "category"),
        ("modalities: [smell]", 6, "modalities"),
    ],
)
def test_summary_fields_are_validated(tmp_path: Path, entry: str, line: int, message: str) -> None:
    manifest = tmp_path / "manifest.yaml"
    head = "version: 1\nname: x\ndatasets:\n  - id: a\n    license: MIT\n"
    manifest.write_text(f"{head}    {entry}\n")
    with pytest.raises(InputError) as caught:
        readers.read(manifest)
    assert caught.value.line == line
    assert message in caught.value.message
