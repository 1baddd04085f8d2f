"""Frictionless data packages: package licenses inherited by resources, sources as collections."""

from __future__ import annotations

from auditor import readers
from auditor.model import Fact
from tests.conftest import fixture_path


def facts(items: tuple[Fact, ...]) -> list[tuple[str, int | None, str | None]]:
    return [(f.value, f.location.line, f.origin) for f in items]


def test_resources_inherit_or_replace_the_package_licenses() -> None:
    manifest = readers.read(fixture_path("readers/datapackage.json"))
    assert (manifest.format, manifest.name) == ("datapackage", "country-list")
    data, flags = manifest.datasets
    assert (data.id, data.location.line, data.source) == ("data", 16, "data.csv")
    assert facts(data.licenses) == [("ODC-PDDL-1.0", 9, "licenses")]
    assert [f.origin for f in data.license_notes] == ["licenses.path", "licenses.title"]
    assert data.license_url == "http://opendatacommons.org/licenses/pddl/"
    assert [(c.url, c.location.line) for c in data.collected_from] == [
        ("http://www.iso.org/iso/home/standards/country_codes.htm", 6)
    ]
    assert (flags.id, flags.name) == ("flags", "Country flags")
    assert facts(flags.licenses) == [("CC-BY-SA-4.0", 21, "licenses")]
    assert [c.target for c in flags.collected_from] == [
        "http://www.iso.org/iso/home/standards/country_codes.htm",
        "commons.wikimedia.org/wiki/Category:Flags",
    ]


def test_package_without_resources_is_one_dataset_with_legacy_license() -> None:
    manifest = readers.read(fixture_path("readers/datapackage.no-resources.yaml"))
    (ds,) = manifest.datasets
    assert (ds.id, ds.name, ds.location.line) == ("survey-2025", "Customer survey 2025", 1)
    assert facts(ds.licenses) == [("CC-BY-NC-4.0", 3, "license")]
