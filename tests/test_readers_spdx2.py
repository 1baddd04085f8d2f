"""SPDX 2.3 through spdx-tools: packages, declared and concluded licenses, LicenseRefs, lineage."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import readers
from auditor.errors import InputError
from auditor.model import Dataset, Fact
from tests.conftest import fixture_path


def facts(items: tuple[Fact, ...]) -> list[tuple[str, int | None, str | None]]:
    return [(f.value, f.location.line, f.origin) for f in items]


def test_json_document() -> None:
    manifest = readers.read(fixture_path("readers/spdx2.dataset.spdx.json"))
    assert (manifest.format, manifest.name) == ("spdx2", "qa-corpus-bom")
    wiki, qa, broken = manifest.datasets
    assert (wiki.id, wiki.name, wiki.location.line) == ("SPDXRef-wiki", "wiki-dump", 12)
    assert wiki.source == "https://dumps.wikimedia.org/enwiki/"
    assert facts(wiki.licenses) == [
        ("CC-BY-SA-3.0 AND GFDL-1.3-only", 17, "licenseDeclared"),
        ("NOASSERTION", 18, "licenseConcluded"),
    ]
    assert qa.source == "https://example.org/qa-pairs"  # download location NOASSERTION
    assert facts(qa.license_notes) == [
        ("Released for research only; see the agreement.", 28, "licenseComments"),
        ("QA Research Agreement", 39, "hasExtractedLicensingInfos.name"),
        (
            "The data may be used for non-commercial research only.",
            39,
            "hasExtractedLicensingInfos.extractedText",
        ),
    ]
    assert facts(qa.derived_from) == [
        ("SPDXRef-wiki", 51, "DESCENDANT_OF"),
        ("DocumentRef-upstream:SPDXRef-squad", 56, "GENERATED_FROM"),
    ]
    # A package spdx-tools cannot parse keeps its raw license, which resolves to unknown.
    assert facts(broken.licenses) == [("MIT AND AND (", 35, "licenseDeclared")]
    assert facts(broken.derived_from) == [("SPDXRef-wiki", 61, "ANCESTOR_OF")]


def test_tag_value_document_has_the_same_datasets_with_their_lines() -> None:
    manifest = readers.read(fixture_path("readers/spdx2.dataset.spdx"))
    assert manifest.format == "spdx2"
    wiki, qa = manifest.datasets
    assert (wiki.id, wiki.location.line) == ("SPDXRef-wiki", 9)
    assert facts(wiki.licenses) == [
        ("CC-BY-SA-3.0 AND GFDL-1.3-only", 14, "licenseDeclared"),
        ("NOASSERTION", 13, "licenseConcluded"),
    ]
    assert [f.value for f in qa.license_notes][1] == "QA Research Agreement"
    assert facts(qa.derived_from) == [
        ("SPDXRef-wiki", 30, "DESCENDANT_OF"),
        ("DocumentRef-upstream:SPDXRef-squad", 31, "GENERATED_FROM"),
    ]


def test_broken_tag_value_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.spdx"
    path.write_text("SPDXVersion: SPDX-2.3\nPackageName\nnonsense here\n", encoding="utf-8")
    with pytest.raises(InputError, match="invalid SPDX tag-value"):
        readers.read(path)


def test_a_megabyte_of_tag_value_reads_in_linear_time(tmp_path: Path) -> None:
    # Thousands of license fields and files: spdx-tools' tag-value parser alone builds a license
    # parser per field and compares each file's implied relationship with all before it, which
    # took minutes here. No timing assertion: a regression shows as a test that takes minutes.
    head = (
        "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\n"
        "DocumentName: big\nDocumentNamespace: https://example.com/big\n"
        "Creator: Tool: example\nCreated: 2024-01-01T00:00:00Z\n"
    )
    package = (
        "\nPackageName: p{i}\nSPDXID: SPDXRef-p{i}\nPackageDownloadLocation: NOASSERTION\n"
        "FilesAnalyzed: false\nPackageLicenseConcluded: MIT\n"
        "PackageLicenseDeclared: CC-BY-4.0 AND MIT\n"
        "\nFileName: ./p{i}/data.csv\nSPDXID: SPDXRef-f{i}\n"
        "FileChecksum: SHA1: d6a770ba38583ed4bb4525bd96e50461655d2758\n"
        "LicenseConcluded: NOASSERTION\nFileCopyrightText: NOASSERTION\n"
    )
    path = tmp_path / "big.spdx"
    path.write_text(head + "".join(package.format(i=i) for i in range(3000)))
    assert path.stat().st_size > 900_000
    manifest = readers.read(path)
    assert len(manifest.datasets) == 3000
    last = manifest.datasets[-1]
    assert (last.id, [f.value for f in last.licenses]) == (
        "SPDXRef-p2999",
        ["CC-BY-4.0 AND MIT", "MIT"],
    )
    assert last.licenses[0].location.line == path.read_text().count("\n") - 6


@pytest.mark.parametrize(
    ("name", "wiki_line", "qa_line"),
    [("spdx2.dataset.spdx.rdf.xml", 32, 26), ("spdx2.dataset.spdx.xml", 18, 26)],
)
def test_rdf_xml_and_xml_documents_read_as_the_tag_value_one(
    name: str, wiki_line: int, qa_line: int
) -> None:
    tag_value = readers.read(fixture_path("readers/spdx2.dataset.spdx"))
    manifest = readers.read(fixture_path(f"readers/{name}"), fmt="spdx2")
    assert (manifest.format, manifest.name) == ("spdx2", "qa-corpus-bom")

    def seen(datasets: tuple[Dataset, ...]) -> dict[str, tuple[object, ...]]:
        return {
            d.id: (
                sorted(f.value for f in d.licenses),
                sorted(f.value for f in d.license_notes),
                sorted((f.value, f.origin) for f in d.derived_from),
                d.source,
            )
            for d in datasets
        }

    assert seen(manifest.datasets) == seen(tag_value.datasets)
    # Packages at the first line naming their SPDX id, in the order of those lines.
    lines = {d.id: d.location.line for d in manifest.datasets}
    assert lines == {"SPDXRef-wiki": wiki_line, "SPDXRef-qa": qa_line}
    assert [d.id for d in manifest.datasets] == sorted(lines, key=lambda i: lines[i] or 0)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("other.xml", "<project><name>x</name></project>", "invalid SPDX XML: Did not find"),
        ("broken.rdf", "<rdf:RDF", "not a readable SPDX 2 RDF/XML document"),
    ],
)
def test_xml_that_is_not_spdx_is_one_input_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        readers.read(path)
    assert str(caught.value).startswith(f"{path.as_posix()}: {message}")
    assert "\n" not in str(caught.value)
