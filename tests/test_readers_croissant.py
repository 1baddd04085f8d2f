"""Croissant JSON-LD: license shapes, PROV-O lineage and generators, usageInfo terms."""

from __future__ import annotations

import pytest

from auditor import readers
from auditor.errors import InputError
from auditor.model import Fact
from tests.conftest import fixture_path


def facts(items: tuple[Fact, ...]) -> list[tuple[str, int | None, str | None]]:
    return [(f.value, f.location.line, f.origin) for f in items]


def test_license_list_of_url_creative_works_and_null() -> None:
    manifest = readers.read(fixture_path("readers/croissant.provenance.json"))
    assert (manifest.format, manifest.name) == ("croissant", "synthetic-dialogues")
    (ds,) = manifest.datasets
    assert (ds.id, ds.location.line) == ("synthetic-dialogues", 1)
    assert ds.source == "https://huggingface.co/datasets/example/synthetic-dialogues"
    assert facts(ds.licenses) == [
        ("https://creativecommons.org/licenses/by-nc/4.0/", 18, "license"),
        ("Synthetic Dialogues Terms", 19, "license"),
        ("Other (specified in description)", 24, "license"),
    ]
    assert facts(ds.license_notes) == [
        ("https://example.org/synthetic-dialogues/terms", 19, "license.url")
    ]
    assert ds.license_url == "https://creativecommons.org/licenses/by-nc/4.0/"


def test_prov_lineage_and_only_generating_agents_as_generators() -> None:
    (ds,) = readers.read(fixture_path("readers/croissant.provenance.json")).datasets
    assert facts(ds.derived_from) == [
        ("https://huggingface.co/datasets/example/seed-prompts", 27, "isBasedOn"),
        # the entity the generation activity used is the same upstream: listed once
        ("https://huggingface.co/datasets/stingning/ultrachat", 29, "prov:wasDerivedFrom"),
        ("urn:dataset:ImageNet", 30, "prov:wasDerivedFrom"),
    ]
    # The moderation API filtered; it did not write the content.
    assert facts(ds.generated_by) == [("gpt-4-0613", 38, "prov:wasGeneratedBy")]
    (usage,) = ds.terms
    assert usage.origin == "usageInfo"
    assert "Non-commercial use only" in usage.value
    assert "duo:0000018" in usage.value


def test_real_hub_file_with_prov_derivation() -> None:
    (ds,) = readers.read(fixture_path("readers/croissant.squad_v2.json")).datasets
    assert ds.id == "squad_v2"
    assert facts(ds.licenses) == [
        ("https://choosealicense.com/licenses/cc-by-sa-4.0/", 248, "license")
    ]
    assert facts(ds.derived_from) == [
        ("https://huggingface.co/datasets/rajpurkar/squad", 251, "prov:wasDerivedFrom")
    ]
    assert ds.generated_by == ()  # crowdworkers are not a software agent


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("croissant.malformed.json", None, ":6: invalid JSON"),
        ("croissant.not-an-object.json", None, "not a recognised manifest"),
        ("croissant.not-an-object.json", "croissant", ":1: a Croissant file must be one JSON-LD"),
        ("croissant.record-set-root.json", None, ":3: a Croissant file describes an sc:Dataset"),
    ],
)
def test_invalid_json_ld_is_an_input_error(name: str, fmt: str | None, message: str) -> None:
    with pytest.raises(InputError) as caught:
        readers.read(fixture_path(f"readers/{name}"), fmt=fmt)
    assert message in str(caught.value)


def test_creators_citation_and_version() -> None:
    (ds,) = readers.read(fixture_path("readers/croissant.credit.json")).datasets
    # A Person or Organization by its name, or a plain name; a creator with no name is skipped.
    assert facts(ds.creators) == [
        ("Example Lab", 9, "creator"),
        ("Jane Doe", 10, "creator"),
        ("Richard Roe", 11, "creator"),
    ]
    assert facts(ds.attribution) == [
        (
            "Example Lab (2024). Credited Corpus, version 2.1. https://example.org/credited-corpus",
            14,
            "citeAs",
        )
    ]
    assert ds.version == "2.1"


def test_real_hub_file_names_its_creator() -> None:
    (ds,) = readers.read(fixture_path("readers/croissant.squad_v2.json")).datasets
    assert facts(ds.creators) == [("Pranav R", 223, "creator")]
    # The context maps the citeAs term; the file cites nothing.
    assert ds.attribution == ()
