"""The same per-batch classifier on Ray Data, in a local Ray instance (Ray is a dev dependency)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
import typer
from typer.testing import CliRunner

from auditor.scan.command import scan as scan_command
from auditor.scan.engine import ScanOptions, scan
from auditor.scan.formats import InputFormat
from auditor.scan.sources import Source

ray = pytest.importorskip("ray", reason="ray is installed by the dev extra; CI runs this test")

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

ROWS = {
    "url": [
        "https://www.youtube.com/watch?v=a",
        "https://a.example.com/1",
        "https://b.example.org/2",
        None,
        "https://www.youtube.com/watch?v=b",
    ],
    "license": ["CC-BY-4.0", "MIT", "cc-by-nc-4.0", "MIT", None],
}


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
def rows(tmp_path: Path) -> Path:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table(ROWS), path)
    return path


def test_ray_annotate_and_summarize_match_the_local_engine(local_ray: None, rows: Path) -> None:
    from auditor.scan.distributed import BatchAnnotator, annotate, summarize

    annotator = BatchAnnotator(license_column="license")
    annotated = annotate(ray.data.read_parquet(str(rows)), annotator)
    table = pa.concat_tables(annotated.iter_batches(batch_format="pyarrow"))
    verdicts = dict(
        zip(
            table.column("url").to_pylist(),
            table.column("auditor_verdict").to_pylist(),
            strict=True,
        )
    )
    assert verdicts["https://a.example.com/1"] == "allowed"
    assert verdicts["https://www.youtube.com/watch?v=a"] == "blocked"
    assert verdicts[None] == "invalid"
    report = summarize(annotated, annotator, source=str(rows))
    local = scan(Source(rows, InputFormat.PARQUET), ScanOptions())
    assert report.verdicts == local.verdicts
    assert report.rules == local.rules
    assert report.domains == local.domains
    assert report.licenses == local.licenses


def test_cli_engine_ray_splits_like_the_local_engine(
    local_ray: None, rows: Path, tmp_path: Path
) -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    outputs = {}
    for engine in ("local", "ray"):
        allowed = tmp_path / f"allowed-{engine}.parquet"
        result = CliRunner().invoke(
            app, [str(rows), "--engine", engine, "-f", "json", "--write-allowed", str(allowed)]
        )
        assert result.exit_code == 1, result.stderr
        report = json.loads(result.stdout)
        outputs[engine] = (report["split"], report["verdicts"], pq.read_table(allowed).to_pylist())
    assert outputs["ray"] == outputs["local"]
