"""SPDX 3.0.1 JSON-LD: dataset packages, licenses through relationships, lineage, availability."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import readers
from auditor.errors import InputError
from auditor.model import Fact
from tests.conftest import fixture_path

IAM = "https://example.org/spdx/IAMdataset"


def facts(items: tuple[Fact, ...]) -> list[tuple[str, int | None, str | None]]:
    return [(f.value, f.location.line, f.origin) for f in items]


def test_datasets_and_their_licenses() -> None:
    manifest = readers.read(fixture_path("readers/spdx3.datasets.spdx3.json"))
    assert (manifest.format, manifest.name) == ("spdx3", "handwriting-aibom")
    iam, augmented, scraped = manifest.datasets  # the ai_AIPackage is not a dataset
    assert (iam.id, iam.name, iam.location.line) == (IAM, "IAMdataset", 18)
    assert iam.source == "https://fki.tic.heia-fr.ch/databases/iam-handwriting-database"
    # A custom license is its name, its text a note; the NoAssertion individual is NOASSERTION.
    assert facts(iam.licenses) == [
        ("IAM Database Terms", 79, "hasDeclaredLicense"),
        ("NOASSERTION", 87, "hasConcludedLicense"),
    ]
    assert facts(iam.license_notes) == [
        (
            "This database may be used for non-commercial research purpose only.",
            79,
            "simplelicensing_licenseText",
        )
    ]
    assert facts(iam.terms) == [("registration", 18, "dataset_datasetAvailability")]
    assert facts(augmented.licenses) == [
        ("(CC-BY-4.0 AND LicenseRef-IAM-Database-Terms)", 95, "hasDeclaredLicense"),
        ("CC-BY-4.0 OR MIT", 103, "hasConcludedLicense"),
    ]
    assert facts(scraped.licenses) == [("CC0-1.0", 127, "hasDeclaredLicense")]


def test_lineage_generators_and_scraping_script() -> None:
    _, augmented, scraped = readers.read(fixture_path("readers/spdx3.datasets.spdx3.json")).datasets
    assert facts(augmented.derived_from) == [
        (IAM, 105, "descendantOf"),
        ("https://example.org/spdx/upstream-elsewhere", 105, "descendantOf"),
    ]
    assert facts(augmented.generated_by) == [("line-model", 113, "generates")]
    assert scraped.pointer
    assert scraped.terms == ()


def test_graph_that_is_not_a_list_is_an_input_error() -> None:
    path = fixture_path("readers/spdx3.graph-not-a-list.json")
    with pytest.raises(InputError, match="not a recognised manifest"):
        readers.read(path)
    with pytest.raises(InputError, match="'@graph' list"):
        readers.read(path, fmt="spdx3")


def test_build_inputs_ancestors_and_license_operators() -> None:
    raw, filtered, tokenized = readers.read(
        fixture_path("readers/spdx3.lineage.spdx3.json")
    ).datasets
    assert raw.derived_from == ()
    assert facts(filtered.derived_from) == [("urn:raw", 12, "ancestorOf")]
    # A build's inputs are the upstreams of its outputs: a dataset by id, software by location;
    # a dataset that generates another is an upstream too.
    assert [(f.value, f.origin) for f in tokenized.derived_from] == [
        ("urn:raw", "generates"),
        ("urn:filtered", "hasInput"),
        ("https://example.org/tokenizer", "hasInput"),
    ]
    assert [f.value for f in tokenized.licenses] == [
        "(MIT OR GPL-2.0-only+ WITH Classpath-exception-2.0)",
        "NONE",
    ]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"dataset_datasetAvailability": "registration"',
            '"dataset_datasetAvailability": "whenever"',
            "'whenever' is not a valid value. Choose one of clickthrough directDownload",
        ),
        (
            '"dataset_datasetAvailability": "registration"',
            '"dataset_whenAvailable": "registration"',
            "Unknown property 'dataset_whenAvailable'",
        ),
    ],
)
def test_an_element_the_spdx_model_refuses_is_an_input_error_at_its_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = fixture_path("readers/spdx3.datasets.spdx3.json").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "doc.spdx3.json"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        readers.read(path)
    assert caught.value.line == 18
    assert caught.value.message.startswith("not valid SPDX 3.0.1: ")
    assert message in caught.value.message
    assert "\n" not in str(caught.value)
