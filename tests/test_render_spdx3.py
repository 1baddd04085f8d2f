"""--format spdx3: SPDX 3.0.1 dataset packages that the SPDX model accepts and audit the same."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from spdx_python_model import v3_0_1 as spdx
from typer.testing import CliRunner

import auditor
from auditor.cli import app
from auditor.evidence import Claim, ClaimRole
from auditor.licensing import Status
from auditor.render.spdx3 import NO_ASSERTION, render_spdx3
from auditor.report import DatasetVerdict, Report
from tests.conftest import EXAMPLES, TODAY, fixture_path
from tests.test_evidence import spdx3_document

Doc = dict[str, Any]

ROUND_TRIP = (
    EXAMPLES / "video-mix.yaml",
    fixture_path("manifest.lineage.yaml"),
    fixture_path("manifest.two-licensors.yaml"),
    fixture_path("manifest.unknown-license.yaml"),
    fixture_path("manifest.output-conditions.yaml"),
    fixture_path("manifest.clean.json"),
    fixture_path("diff/mix.base.yaml"),
    fixture_path("readers/dpi.alpaca.json"),
    fixture_path("readers/spdx2.dataset.spdx.json"),
    fixture_path("readers/spdx3.datasets.spdx3.json"),
    fixture_path("readers/spdx3.lineage.spdx3.json"),
    fixture_path("readers/cyclonedx.ml-bom.json"),
)


def assert_valid_spdx3(text: str) -> Doc:
    """Load ``text`` into the SPDX 3.0.1 model and write it out again: unknown types and
    properties, values outside a vocabulary, bad dates, missing required properties and dangling
    references all fail."""
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO(text.encode("utf-8")), objects)
    assert objects.link() == set(), "references to elements that are not in the document"
    spdx.JSONLDSerializer().write(objects, io.BytesIO())
    doc: Doc = json.loads(text)
    return doc


def report_for(path: Path) -> Report:
    return auditor.audit(path, today=TODAY)


def elements(doc: Doc, kind: str) -> list[Doc]:
    return [e for e in doc["@graph"] if e.get("type") == kind]


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_the_document_is_valid_spdx_and_reads_back_with_the_same_verdicts(
    path: Path, tmp_path: Path
) -> None:
    report = report_for(path)
    text = render_spdx3(report)
    assert_valid_spdx3(text)
    target = tmp_path / "mix.spdx3.json"
    target.write_text(text, encoding="utf-8")
    again = auditor.audit(target, today=TODAY)
    assert again.provenance is not None
    assert [m.format for m in again.provenance.manifests] == ["spdx3"]
    # Read back, a dataset's id is its package's spdxId, which ends with the id.
    read = {unquote(d.id.rsplit("/", 1)[-1]): d.verdict.value for d in again.datasets}
    assert read == {d.id: d.verdict.value for d in report.datasets}
    assert again.verdict is report.verdict


def test_each_dataset_package_has_one_declared_and_one_concluded_license() -> None:
    report = report_for(fixture_path("readers/spdx2.dataset.spdx.json"))
    doc = assert_valid_spdx3(render_spdx3(report))
    packages = elements(doc, "dataset_DatasetPackage")
    assert len(packages) == len(report.datasets)
    relationships = Counter(
        (r["from"], r["relationshipType"])
        for r in elements(doc, "Relationship")
        if r["relationshipType"].startswith("has")
    )
    for package in packages:
        assert package["software_primaryPurpose"] == "data"
        assert package["dataset_datasetType"] == ["noAssertion"]
        for kind in ("hasDeclaredLicense", "hasConcludedLicense"):
            assert relationships[package["spdxId"], kind] == 1


def test_superseded_declared_licenses_are_declared_only() -> None:
    report = report_for(fixture_path("readers/spdx3.datasets.spdx3.json"))
    doc = assert_valid_spdx3(render_spdx3(report))
    by_id = {e.get("spdxId"): e for e in doc["@graph"]}
    seen: set[str] = set()
    for ds, package in zip(report.datasets, elements(doc, "dataset_DatasetPackage"), strict=True):
        targets = {
            r["relationshipType"]: [_value(by_id[t]) if t in by_id else t for t in r["to"]]
            for r in elements(doc, "Relationship")
            if r["from"] == package["spdxId"] and r["relationshipType"].startswith("has")
        }
        applied = {_written(c) for c in ds.claims if c.role is ClaimRole.APPLIED}
        superseded = {_written(c) for c in ds.claims if c.role is ClaimRole.SUPERSEDED}
        assert set(targets["hasConcludedLicense"]) == (applied or {NO_ASSERTION})
        assert set(targets["hasDeclaredLicense"]) == ((applied | superseded) or {NO_ASSERTION})
        seen.update(superseded)
    assert seen, "the fixture has a declared license that a concluded one supersedes"


def _written(claim: Claim) -> str:
    exact = claim.status is Status.EXACT and claim.expression
    return claim.expression if exact and claim.expression else claim.value


def _value(element: Doc) -> str:
    return str(element.get("simplelicensing_licenseExpression") or element["name"])


def test_packages_carry_lineage_generators_collection_and_findings() -> None:
    report = report_for(EXAMPLES / "video-mix.yaml")
    doc = assert_valid_spdx3(render_spdx3(report))
    creation = doc["@graph"][0]
    assert creation["created"] == "2026-11-25T00:00:00Z"
    assert creation["specVersion"] == "3.0.1"
    document = elements(doc, "SpdxDocument")[0]
    assert report.provenance is not None
    assert report.provenance.knowledge_base_sha256 in document["comment"]
    packages = {p["name"]: p for p in elements(doc, "dataset_DatasetPackage")}
    academic = packages["Academic YouTube clip list (pointer dataset)"]
    assert academic["dataset_datasetAvailability"] == "scrapingScript"
    assert academic["dataset_dataCollectionProcess"] == "collected from https://youtu.be/ by yt-dlp"
    assert academic["software_downloadLocation"] == "s3://video-lake/academic-clips/"
    recaptioned = packages["academic-clips re-captioned in-house"]["spdxId"]
    lineage = [r for r in elements(doc, "Relationship") if r["from"] == recaptioned]
    assert [r["to"] for r in lineage if r["relationshipType"] == "descendantOf"] == [
        [academic["spdxId"]]
    ]
    generators = {e["spdxId"]: e["name"] for e in elements(doc, "ai_AIPackage")}
    generates = [r for r in elements(doc, "Relationship") if r["relationshipType"] == "generates"]
    assert [(generators[r["from"]], r["to"]) for r in generates] == [("gpt-4o", [recaptioned])]
    notes = [a["statement"] for a in elements(doc, "Annotation") if a["subject"] == recaptioned]
    assert notes[0].startswith("verdict: blocked; license Apache-2.0 (exact)")
    assert len(notes) == 1 + len(report.findings_for("recaptioned-clips"))
    assert all(a["annotationType"] == "review" for a in elements(doc, "Annotation"))


def test_the_same_input_gives_the_same_bytes_and_the_cli_writes_it(tmp_path: Path) -> None:
    mix = EXAMPLES / "clean-commercial.yaml"
    first = render_spdx3(report_for(mix))
    assert first == render_spdx3(report_for(mix))
    target = tmp_path / "mix.spdx3.json"
    result = CliRunner().invoke(
        app, ["check", str(mix), "-f", "spdx3", "-o", str(target), "--as-of", "2026-11-25"]
    )
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == first


def test_an_id_in_two_manifests_is_two_packages(tmp_path: Path) -> None:
    report = auditor.audit(
        [fixture_path("diff/mix.base.yaml"), fixture_path("diff/mix.one-dataset-changed.yaml")],
        today=TODAY,
    )
    doc = assert_valid_spdx3(render_spdx3(report))
    ids = [p["spdxId"] for p in elements(doc, "dataset_DatasetPackage")]
    assert len(ids) == len(set(ids)) == len(report.datasets)
    # Each child descends from the upstream in its own manifest.
    descends = [r for r in elements(doc, "Relationship") if r["relationshipType"] == "descendantOf"]
    assert len(descends) == 2
    for relation in descends:
        manifest = relation["from"].rsplit("/", 2)[-2]
        assert relation["to"][0].rsplit("/", 2)[-2] == manifest


def test_the_model_check_is_strict() -> None:
    doc = json.loads(render_spdx3(report_for(EXAMPLES / "clean-commercial.yaml")))
    package = elements(doc, "dataset_DatasetPackage")[0]
    package["dataset_datasetAvailability"] = "by-carrier-pigeon"
    with pytest.raises(ValueError, match="is not a valid value"):
        assert_valid_spdx3(json.dumps(doc))


def test_a_concluded_license_that_lifts_a_declared_one_is_still_a_conflict(tmp_path: Path) -> None:
    lifted = tmp_path / "lifted.spdx3.json"
    lifted.write_text(json.dumps(spdx3_document("CC-BY-NC-4.0", "MIT")), encoding="utf-8")
    report = report_for(lifted)
    again = tmp_path / "again.spdx3.json"
    again.write_text(render_spdx3(report), encoding="utf-8")
    (ds,) = report_for(again).datasets
    assert ds.verdict is DatasetVerdict.REVIEW
    assert ds.license.expression == "MIT"
    assert {c.role for c in ds.claims} == {ClaimRole.APPLIED, ClaimRole.SUPERSEDED}


def test_creators_are_originators_and_credit_is_attribution_text(tmp_path: Path) -> None:
    report = report_for(EXAMPLES / "clean-commercial.yaml")
    doc = assert_valid_spdx3(render_spdx3(report))
    agents = {a["spdxId"]: a["name"] for a in elements(doc, "Agent")}
    packages = {p["name"]: p for p in elements(doc, "dataset_DatasetPackage")}
    wiki = packages["English Wikipedia dump"]
    assert [agents[a] for a in wiki["originatedBy"]] == ["Wikipedia contributors"]
    code = packages["Permissively licensed source code"]
    assert code["software_attributionText"] == [
        "The copyright and license notices kept in each source file"
    ]
    # Audited again, the credit comes back with the creators: no finding is gained.
    target = tmp_path / "mix.spdx3.json"
    target.write_text(render_spdx3(report), encoding="utf-8")
    again = auditor.audit(target, today=TODAY)
    names = {d.id: d.name or d.id for d in again.datasets}
    gained = {(names[f.dataset], f.rule) for f in again.findings} - {
        (d.name or d.id, f.rule) for d in report.datasets for f in report.findings_for(d.id)
    }
    assert gained == set()
