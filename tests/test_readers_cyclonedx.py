"""CycloneDX ML-BOMs: data components at any depth, model datasets, license shapes, pedigree."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import readers
from auditor.errors import InputError
from auditor.model import Fact
from tests.conftest import fixture_path


def facts(items: tuple[Fact, ...]) -> list[tuple[str, int | None, str | None]]:
    return [(f.value, f.location.line, f.origin) for f in items]


def test_data_components_and_model_datasets() -> None:
    manifest = readers.read(fixture_path("readers/cyclonedx.ml-bom.json"))
    assert (manifest.format, manifest.name) == ("cyclonedx", "support-bot")
    ids = [d.id for d in manifest.datasets]
    # Nested data components; the model's {"ref": "tickets"} is that component, not a second one;
    # a ref the BOM lacks and an inline componentData are datasets of their own.
    assert ids == [
        "wikipedia",
        "tickets",
        "eval-set",
        "urn:cdx:0f8a1a3e-0000-4000-8000-000000000000/1#holdout",
        "Training Data",
    ]
    wiki, tickets, _, missing, inline = manifest.datasets
    assert facts(wiki.licenses) == [
        ("CC-BY-SA-3.0", 19, "license.id"),
        ("GFDL-1.3", 20, "license.id"),
    ]
    assert facts(wiki.license_notes) == [
        ("https://creativecommons.org/licenses/by-sa/3.0/", 19, "license.url"),
        ("https://www.gnu.org/licenses/fdl-1.3.html", 20, "license.url"),
    ]
    assert wiki.source == "https://huggingface.co/datasets/wikimedia/wikipedia"
    assert (tickets.name, tickets.location.line) == ("support-tickets", 31)
    assert facts(tickets.licenses) == [("CC-BY-4.0 AND LicenseRef-acme-internal", 36, "expression")]
    assert tickets.source == "https://example.com/tickets.jsonl"
    assert (missing.licenses, missing.location.line) == ((), 69)
    assert (inline.source, inline.licenses) == ("https://example.com/path/to/dataset", ())


def test_pedigree_is_lineage_and_a_model_ancestor_is_a_generator() -> None:
    tickets = readers.read(fixture_path("readers/cyclonedx.ml-bom.json")).datasets[1]
    assert facts(tickets.derived_from) == [
        ("wikipedia", 43, "pedigree"),
        ("pkg:generic/acme/ticket-archive@2024", 44, "pedigree"),
    ]
    assert facts(tickets.generated_by) == [("gpt-4o-mini", 45, "pedigree")]


def test_license_entries_and_licensing_types_are_terms() -> None:
    evals = readers.read(fixture_path("readers/cyclonedx.ml-bom.json")).datasets[2]
    assert facts(evals.licenses) == [
        ("Acme Evaluation License", 54, "license"),
        ("MIT or Apache 2.0", 55, "license"),
        ("MIT", 56, "license.id"),
    ]
    assert facts(evals.license_notes) == [("Permission is hereby granted...", 56, "license.text")]
    assert facts(evals.terms) == [
        ("evaluation", 54, "licensing.licenseTypes"),
        ("academic", 54, "licensing.licenseTypes"),
    ]


def test_spec_example_data_component_without_license() -> None:
    (ds,) = readers.read(fixture_path("readers/cyclonedx.component-data.json")).datasets
    assert (ds.id, ds.name, ds.location.line) == ("my-configs@1337", "my-configs", 8)
    assert ds.licenses == ()
    assert ds.source == "https://example.com/cfg/1337/app.ini"


def _bom(tmp_path: Path, licenses: str, version: str = "1.6") -> Path:
    path = tmp_path / "bom.json"
    path.write_text(
        '{\n  "bomFormat": "CycloneDX",\n  "specVersion": "' + version + '",\n'
        '  "components": [\n'
        '    {"type": "data", "name": "d", "licenses": ' + licenses + "}\n  ]\n}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("licenses", "message"),
    [
        (
            '[{"license": {"id": "MIT", "name": "MIT License"}}]',
            "components.0.licenses.0.license: give exactly one of 'id' or 'name', not several",
        ),
        (
            '[{"license": {"id": "MIT"}}, {"expression": "MIT OR Apache-2.0"}]',
            "components.0.licenses: matches none of the 2 forms CycloneDX allows here (a list of "
            "{'license': ...} entries, or one {'expression': ...})",
        ),
    ],
)
def test_a_bom_its_schema_refuses_is_one_clear_input_error(
    tmp_path: Path, licenses: str, message: str
) -> None:
    path = _bom(tmp_path, licenses)
    with pytest.raises(InputError) as caught:
        readers.read(path)
    assert (caught.value.line, caught.value.message) == (5, f"not valid CycloneDX 1.6: {message}")


def test_only_the_versions_with_a_bundled_schema_are_read(tmp_path: Path) -> None:
    assert readers.read(_bom(tmp_path, '[{"license": {"id": "MIT"}}]', "1.7")).datasets
    with pytest.raises(InputError, match=r"specVersion '1.4' is not read \(read: 1.5, 1.6, 1.7\)"):
        readers.read(_bom(tmp_path, '[{"license": {"id": "MIT"}}]', "1.4"))
