"""The published contracts: JSON Schemas of the manifest and of both reports, each report saying
which it is, py.typed and the license shipped in the wheel."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from auditor.cli import app
from tests.conftest import EXAMPLES, fixture_path

ROOT = EXAMPLES.parent
SCHEMAS = ROOT / "docs" / "schemas"
runner = CliRunner()


def _schema(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["schema", *args])
    assert result.exit_code == 0, result.stderr
    schema: dict[str, object] = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    return schema


@pytest.mark.parametrize(
    ("args", "published"),
    [
        ((), "manifest.schema.json"),
        (("--report", "check"), "check-report.schema.json"),
        (("--report", "scan"), "scan-report.schema.json"),
    ],
)
def test_the_published_schemas_are_the_ones_printed(args: tuple[str, ...], published: str) -> None:
    printed = _schema(*args)
    assert str(printed["$id"]).startswith("urn:auditor:schema:")
    on_disk = json.loads((SCHEMAS / published).read_text(encoding="utf-8"))
    assert printed == on_disk, f"docs/schemas/{published} is stale: auditor schema {' '.join(args)}"


def test_a_check_report_says_what_it_is_and_matches_its_schema() -> None:
    result = runner.invoke(app, ["check", str(EXAMPLES / "video-mix.yaml"), "-f", "json"])
    report = json.loads(result.stdout)
    assert (report["kind"], report["schema_version"]) == ("check", "1.3")
    errors = list(Draft202012Validator(_schema("--report", "check")).iter_errors(report))
    assert errors == []
    report["kind"] = "scan"
    assert list(Draft202012Validator(_schema("--report", "check")).iter_errors(report))


def test_a_scan_report_says_what_it_is_and_matches_its_schema() -> None:
    rows = ROOT / "tests" / "fixtures" / "scan" / "mixed.csv"
    result = runner.invoke(app, ["scan", str(rows), "-f", "json"])
    report = json.loads(result.stdout)
    assert (report["kind"], report["schema_version"]) == ("scan", "1.3")
    assert list(Draft202012Validator(_schema("--report", "scan")).iter_errors(report)) == []


def test_the_manifest_schema_accepts_the_examples() -> None:
    import yaml

    validator = Draft202012Validator(_schema())
    for name in ("clean-commercial.yaml", "video-mix.yaml", "instruct-mix.yaml"):
        data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], name
    assert fixture_path("manifest.clean.json").is_file()


def test_the_wheel_is_typed_and_carries_the_license(tmp_path: Path) -> None:
    wheel = Path(next(iter(WheelBuilder(str(ROOT)).build(directory=str(tmp_path)))))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = archive.read(metadata).decode()
    assert "auditor/py.typed" in names
    assert "auditor/schemas/cyclonedx/bom-1.6.schema.json" in names  # read offline
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "License-Expression: Apache-2.0" in meta
    assert "Classifier: Programming Language :: Python :: 3.11" in meta
    assert "Classifier: Typing :: Typed" in meta
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("Apache License")
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
