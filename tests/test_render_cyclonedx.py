"""--format cyclonedx: a CycloneDX 1.6 ML-BOM, valid against its schema, that audits the same."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from typer.testing import CliRunner

import auditor
from auditor.cli import app
from auditor.render.cyclonedx import render_cyclonedx
from auditor.report import DatasetReport, Report
from tests.conftest import EXAMPLES, TODAY, fixture_path
from tests.hubserver import COMMIT, fake_hub

Bom = dict[str, Any]

# Mixes whose verdicts rest on what CycloneDX's own fields carry (licenses, lineage, generators,
# sources), in every format auditor reads.
ROUND_TRIP = (
    EXAMPLES / "video-mix.yaml",
    EXAMPLES / "axolotl-sft.yml",
    fixture_path("manifest.lineage.yaml"),
    fixture_path("manifest.two-licensors.yaml"),
    fixture_path("manifest.unknown-license.yaml"),
    fixture_path("manifest.output-conditions.yaml"),
    fixture_path("manifest.output-open-weights.yaml"),
    fixture_path("manifest.clean.json"),
    fixture_path("diff/mix.base.yaml"),
    fixture_path("readers/croissant.provenance.json"),
    fixture_path("readers/cyclonedx.ml-bom.json"),
    fixture_path("readers/datapackage.json"),
    fixture_path("readers/dpi.alpaca.json"),
    fixture_path("readers/spdx2.dataset.spdx.json"),
    fixture_path("readers/spdx3.lineage.spdx3.json"),
    fixture_path("readers/mixer.handbook.yaml"),
)


@cache
def _validator() -> JsonStrictValidator:
    return JsonStrictValidator(SchemaVersion.V1_6)


def assert_valid_bom(text: str) -> Bom:
    """Parse ``text``; fail with every violation of the CycloneDX 1.6 schema, formats included."""
    errors = _validator().validate_str(text, all_errors=True)
    assert errors is None, "\n".join(str(e) for e in errors)
    bom: Bom = json.loads(text)
    return bom


def report_for(path: Path) -> Report:
    return auditor.audit(path, today=TODAY)


def verdicts(report: Report) -> dict[str, str]:
    return {d.id: d.verdict.value for d in report.datasets}


def reread(report: Report, tmp_path: Path) -> Report:
    bom = tmp_path / "bom.cdx.json"
    bom.write_text(render_cyclonedx(report), encoding="utf-8")
    again = auditor.audit(bom, today=TODAY)
    assert {m.format for m in again.provenance.manifests} == {"cyclonedx"}  # type: ignore[union-attr]
    return again


@pytest.mark.parametrize("path", ROUND_TRIP, ids=lambda p: p.name)
def test_the_bom_validates_and_reads_back_with_the_same_verdicts(
    path: Path, tmp_path: Path
) -> None:
    report = report_for(path)
    assert_valid_bom(render_cyclonedx(report))
    again = reread(report, tmp_path)
    assert verdicts(again) == verdicts(report)
    assert again.verdict is report.verdict


def test_datasets_looked_up_on_the_hub_keep_their_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        report = report_for(fixture_path("lookup/mixes/references.yaml"))
        bom = assert_valid_bom(render_cyclonedx(report))
        again = reread(report, tmp_path)
    assert verdicts(again) == verdicts(report)
    from_hub = next(c for c in bom["components"] if c["bom-ref"] == "from-hub")
    assert from_hub["externalReferences"] == [
        {"type": "distribution", "url": "hf://example-org/nc-instructions"},
        {
            "type": "documentation",
            "url": (
                f"{hub_server.url}/datasets/example-org/nc-instructions/resolve/{COMMIT}/README.md"
            ),
            "comment": f"the metadata of hf://example-org/nc-instructions, read by auditor at "
            f"revision {COMMIT}",
            "hashes": [{"alg": "SHA-256", "content": from_hub_sha(report)}],
        },
    ]


def from_hub_sha(report: Report) -> str:
    ds = next(d for d in report.datasets if d.id == "from-hub")
    assert ds.lookup is not None
    assert ds.lookup.card is not None
    return ds.lookup.card.sha256


def test_components_carry_licenses_lineage_provenance_and_findings() -> None:
    report = report_for(EXAMPLES / "instruct-mix.yaml")
    bom = assert_valid_bom(render_cyclonedx(report))
    assert (bom["bomFormat"], bom["specVersion"]) == ("CycloneDX", "1.6")
    assert "serialNumber" not in bom  # a random one would change the bytes of every run
    assert bom["metadata"]["timestamp"] == "2026-11-25T00:00:00Z"
    tool = bom["metadata"]["tools"]["components"][0]
    assert (tool["name"], tool["version"]) == ("auditor", report.tool_version)
    meta = {p["name"]: p["value"] for p in bom["metadata"]["properties"]}
    assert report.provenance is not None
    assert meta["auditor:verdict"] == "fail"
    assert meta["auditor:knowledge-base-sha256"] == report.provenance.knowledge_base_sha256
    manifest = report.provenance.manifests[0]
    assert meta["auditor:manifest"] == f"{manifest.path} (native) sha256:{manifest.sha256}"
    components = {c["bom-ref"]: c for c in bom["components"]}
    assert list(components) == [d.id for d in report.datasets]
    assert all(c["type"] == "data" for c in components.values())
    cleaned = components["alpaca-cleaned"]
    assert cleaned["name"] == "Alpaca, cleaned"
    assert cleaned["licenses"] == [{"expression": "CC-BY-4.0", "acknowledgement": "declared"}]
    ancestors = cleaned["pedigree"]["ancestors"]
    assert ancestors[0] == {"type": "data", "name": "alpaca"}
    assert len(ancestors) == len(cleaned_ds(report).derived_from + cleaned_ds(report).generated_by)
    assert components["alpaca"]["pedigree"]["ancestors"] == [
        {"type": "machine-learning-model", "name": "text-davinci-003"}
    ]
    props = [(p["name"], p["value"]) for p in cleaned["properties"]]
    assert ("auditor:verdict", "blocked") in props
    assert ("auditor:weight", "0.3") in props
    found = [value for name, value in props if name == "auditor:finding"]
    assert len(found) == len(report.findings_for("alpaca-cleaned"))
    assert any(v.startswith("error license-noncommercial: inherited from alpaca") for v in found)


def cleaned_ds(report: Report) -> DatasetReport:
    return next(d for d in report.datasets if d.id == "alpaca-cleaned")


def test_several_claims_are_license_names_as_found() -> None:
    # A Data Provenance record: the license as DPI labels it, and its prose, both applied.
    report = report_for(fixture_path("readers/dpi.alpaca.json"))
    bom = assert_valid_bom(render_cyclonedx(report))
    ds = report.datasets[0]
    applied = [c.value for c in ds.claims if c.role.value == "applied"]
    assert len(applied) == 2
    assert bom["components"][0]["licenses"] == [
        {"license": {"name": value, "acknowledgement": "declared"}} for value in applied
    ]
    # Hints (DPI's inferred metadata) and silent links are not licenses: audited again, they
    # would count as claims.
    assert len(ds.claims) > len(applied)


def test_what_cyclonedx_cannot_say_is_in_properties() -> None:
    report = report_for(EXAMPLES / "video-mix.yaml")
    bom = assert_valid_bom(render_cyclonedx(report))
    academic = next(c for c in bom["components"] if c["bom-ref"] == "academic-clips")
    props = [(p["name"], p["value"]) for p in academic["properties"]]
    assert ("auditor:pointer", "true") in props
    assert ("auditor:collected-from", "https://youtu.be/ (yt-dlp)") in props
    assert academic["externalReferences"] == [
        {"type": "distribution", "url": "s3://video-lake/academic-clips/"}
    ]


def test_the_same_input_gives_the_same_bytes_and_the_cli_writes_it(tmp_path: Path) -> None:
    mix = EXAMPLES / "video-mix.yaml"
    first = render_cyclonedx(report_for(mix))
    assert first == render_cyclonedx(report_for(mix))
    target = tmp_path / "bom.json"
    result = CliRunner().invoke(
        app, ["check", str(mix), "-f", "cyclonedx", "-o", str(target), "--as-of", "2026-11-25"]
    )
    assert result.exit_code == 1  # the gate's exit code, whatever the format
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == first


def test_a_source_that_is_no_iri_is_a_property() -> None:
    report = report_for(EXAMPLES / "clean-commercial.yaml")
    odd = report.model_copy(
        update={"datasets": (report.datasets[0].model_copy(update={"source": "data/my mix"}),)}
    )
    bom = assert_valid_bom(render_cyclonedx(odd))
    component = bom["components"][0]
    assert "externalReferences" not in component
    assert {"name": "auditor:source", "value": "data/my mix"} in component["properties"]


def test_the_validator_is_strict() -> None:
    bom = json.loads(render_cyclonedx(report_for(EXAMPLES / "clean-commercial.yaml")))
    bom["metadata"]["timestamp"] = "2026-11-25"
    bom["components"][0]["licenses"] = [{"license": {"id": "Not-A-License"}}]
    errors = _validator().validate_str(json.dumps(bom), all_errors=True)
    assert errors is not None
    assert len(list(errors)) == 2


def test_credit_is_written_and_read_back(tmp_path: Path) -> None:
    report = report_for(EXAMPLES / "clean-commercial.yaml")
    bom = assert_valid_bom(render_cyclonedx(report))
    components = {c["bom-ref"]: c for c in bom["components"]}
    assert components["wiki-en"]["authors"] == [{"name": "Wikipedia contributors"}]
    code = components["permissive-code"]["properties"]
    assert {
        "name": "auditor:attribution",
        "value": "The copyright and license notices kept in each source file",
    } in code
    # Audited again, the credit comes back with the creators: no finding is gained.
    again = reread(report, tmp_path)
    gained = {(f.dataset, f.rule) for f in again.findings} - {
        (f.dataset, f.rule) for f in report.findings
    }
    assert gained == set()
