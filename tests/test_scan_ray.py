"""The same per-batch classifier on Ray Data, in a local Ray instance (Ray is a dev dependency)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
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
    # Ray waits a fixed 30 s for its own processes to register (ray/_private/node.py); on a
    # loaded machine they may miss it. Starting again is Ray's start-up, not the tests': the
    # tests themselves run once Ray is up, and any other error fails them.
    for attempt in range(3):
        try:
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
            break
        except Exception as exc:
            ray.shutdown()
            if "timed out during startup" not in str(exc) or attempt == 2:
                raise
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


def _scan(path: Path, engine: str, allowed: Path) -> tuple[dict[str, Any], str]:
    """``auditor scan --engine ENGINE -f json --write-allowed ALLOWED`` on rows that fail the gate:
    the JSON report and what was printed on stderr."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    result = CliRunner().invoke(
        app, [str(path), "--engine", engine, "-f", "json", "--write-allowed", str(allowed)]
    )
    assert result.exit_code == 1, result.stderr
    return json.loads(result.stdout), result.stderr


def _both_engines(path: Path, tmp_path: Path, suffix: str) -> dict[str, tuple[Any, ...]]:
    """What ``auditor scan --write-allowed`` reports and keeps on each engine: the split, the
    verdicts, the domains and the allowed rows (sorted), and the allowed output's path."""
    outputs = {}
    for engine in ("local", "ray"):
        allowed = tmp_path / f"allowed-{engine}{suffix}"
        report, _ = _scan(path, engine, allowed)
        files = sorted(allowed.iterdir()) if allowed.is_dir() else [allowed]
        read = pq.read_table if suffix == ".parquet" else pcsv.read_csv
        kept = sorted(pa.concat_tables(read(f) for f in files).to_pylist(), key=repr)
        outputs[engine] = (report["split"], report["verdicts"], report["domains"], kept, allowed)
    return outputs


def test_cli_engine_ray_splits_like_the_local_engine(
    local_ray: None, rows: Path, tmp_path: Path
) -> None:
    outputs = _both_engines(rows, tmp_path, ".parquet")
    assert outputs["ray"][:-1] == outputs["local"][:-1]
    allowed = outputs["ray"][-1]
    assert allowed.is_dir() and [p.name for p in allowed.iterdir()] == ["part-000000.parquet"]


# Every way Ray Data brings a dataset's rows to the driver.
_ROWS_TO_DRIVER = (
    "materialize",
    "iter_batches",
    "iter_rows",
    "iter_torch_batches",
    "take",
    "take_all",
    "take_batch",
    "to_pandas",
    "to_arrow_refs",
    "show",
)


def test_engine_ray_splits_and_reports_on_the_workers(
    local_ray: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same report and splits as the local engine, with no row-level data on the driver:
    every row accessor of Ray's datasets fails, and all the driver fetches from the workers is
    the tasks' counts (a row per domain, platform and rule mask, and per license), far fewer
    than the rows."""
    from auditor.scan.distributed import scan_on_ray

    hosts = ["www.youtube.com", "a.example.com", "b.example.org", "c.example.net", "flickr.com"]
    licenses = ["CC-BY-4.0", "MIT", "cc-by-nc-4.0", None, "?"]
    n = 6000
    rows = pa.table(
        {
            "url": [f"https://{hosts[i % 5]}/{i}" if i % 97 else None for i in range(n)],
            "license": [licenses[i % 3 + (i // 5) % 3] for i in range(n)],
            "id": list(range(n)),
        }
    )
    source = tmp_path / "rows.parquet"
    pq.write_table(rows, source, row_group_size=1000)

    def local(**paths: Path) -> object:
        return scan(Source(source, InputFormat.PARQUET), ScanOptions(**paths))  # type: ignore[arg-type]

    expected = local(write_allowed=tmp_path / "a.parquet", write_blocked=tmp_path / "b.parquet")
    for name in _ROWS_TO_DRIVER:
        monkeypatch.setattr(ray.data.Dataset, name, _forbidden(name), raising=False)
    returned: list[int] = []
    fetch = ray.get

    def fetched(refs: object, **kwargs: object) -> object:
        values = fetch(refs, **kwargs)
        for value in values if isinstance(values, list) else [values]:
            assert isinstance(value, pa.Table)
            returned.append(value.num_rows)
        return values

    monkeypatch.setattr(ray, "get", fetched)
    allowed, blocked = tmp_path / "allowed", tmp_path / "blocked"
    options = ScanOptions(write_allowed=allowed, write_blocked=blocked)
    # Runs of two row groups: three tasks, each with its own part file and counts.
    report = scan_on_ray(Source(source, InputFormat.PARQUET, batch_rows=2000), options)
    assert report.model_dump(exclude={"input_format"}) == expected.model_dump(  # type: ignore[attr-defined]
        exclude={"input_format"}
    )
    assert len(returned) == 3 and sum(returned) < n / 50
    for split, local_file in ((allowed, "a.parquet"), (blocked, "b.parquet")):
        assert len(list(split.iterdir())) == 3
        ray_rows = pq.read_table(split).sort_by("id")
        assert ray_rows.equals(pq.read_table(tmp_path / local_file).sort_by("id"))
    assert not list(tmp_path.glob(".*.tmp"))  # staging folders renamed into place


def _forbidden(name: str) -> object:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"Dataset.{name} brought rows to the driver")

    return refuse


def test_engine_ray_judges_json_lines_as_the_local_engine_does(
    local_ray: None, tmp_path: Path
) -> None:
    """A repeated key, a line that is not UTF-8 and a truncated line are invalid rows on both
    engines: Ray's JSON reader kept the last of two licenses (a wrong pass) and failed the run on
    a bad line, printing terminal escapes."""
    path = tmp_path / "h.jsonl"
    path.write_bytes(
        b'{"url": "https://example.com/a", "license": "CC0-1.0"}\n'
        b'{"url": "https://example.com/c", "license": "CC-BY-NC-4.0", "license": "CC0-1.0"}\n'
        b'\xff\xfe{"url": "https://example.com/d", "license": "CC0-1.0"}\n'
        b"\n"
        b'{"url": "https://example.com/e", "lic\n'
    )
    outputs = {}
    for engine in ("local", "ray"):
        allowed = tmp_path / f"allowed-{engine}"
        report, stderr = _scan(path, engine, allowed)
        assert "\x1b" not in stderr
        assert report["verdicts"] == {"allowed": 1, "review": 0, "blocked": 0, "invalid": 3}
        assert report["invalid"] == {"bad-encoding": 1, "bad-record": 2}
        files = sorted(allowed.iterdir()) if allowed.is_dir() else [allowed]
        outputs[engine] = b"".join(f.read_bytes() for f in files)
    assert (
        outputs["ray"]
        == outputs["local"]
        == b'{"url": "https://example.com/a", "license": "CC0-1.0"}\n'
    )


def test_engine_ray_splits_csv_like_the_local_engine(
    local_ray: None, rows: Path, tmp_path: Path
) -> None:
    path = tmp_path / "rows.csv"
    pcsv.write_csv(pq.read_table(rows), path)
    outputs = _both_engines(path, tmp_path, ".csv")
    assert outputs["ray"][:-1] == outputs["local"][:-1]


def test_engine_ray_judges_csv_as_the_local_engine_does(local_ray: None, tmp_path: Path) -> None:
    """A CSV line of the wrong number of fields and a value that is not UTF-8 are invalid rows on
    both engines, written to the blocked rows as read. Ray used to read CSV with Arrow's defaults:
    such a line failed the whole run."""
    path = tmp_path / "odd.csv"
    lines = [b"url,license"] + [b"https://example.com/%d,MIT" % i for i in range(100)]
    lines += [b"https://example.com/short", b"https://example.com/\xff,MIT"]
    lines += [b"https://www.youtube.com/watch?v=%d,CC0-1.0" % i for i in range(3)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    written = {}
    for engine in ("local", "ray"):
        allowed, blocked = tmp_path / f"allowed-{engine}", tmp_path / f"blocked-{engine}"
        outputs = ["--write-allowed", str(allowed), "--write-blocked", str(blocked)]
        result = CliRunner().invoke(app, [str(path), "--engine", engine, "-f", "json", *outputs])
        assert result.exit_code == 1, result.stderr
        report = json.loads(result.stdout)
        assert report["verdicts"] == {"allowed": 100, "review": 0, "blocked": 3, "invalid": 2}
        assert report["invalid"] == {"bad-encoding": 1, "bad-record": 1}
        written[engine] = [
            b"".join(f.read_bytes() for f in sorted(out.iterdir()))
            if out.is_dir()
            else out.read_bytes()
            for out in (allowed, blocked)
        ]
    assert written["ray"] == written["local"]
    kept, refused = written["local"]
    assert kept.splitlines() == [
        b'"url","license"',
        *(b'"%s","MIT"' % u for u in (b"https://example.com/%d" % i for i in range(100))),
    ]
    assert refused.splitlines()[0] == b'"url","license"'
    assert b"https://example.com/short" in refused and b"\xff" in refused


def test_a_failed_ray_task_stops_the_run_with_one_line_and_leaves_nothing(
    local_ray: None, rows: Path, tmp_path: Path
) -> None:
    """A row group that cannot be read (its pages damaged after the footer was written) fails
    its task: one plain line, exit 2, and no part file or staging folder left behind."""
    path = tmp_path / "damaged.parquet"
    data = bytearray(rows.read_bytes())
    first = pq.ParquetFile(rows).metadata.row_group(0).column(0)
    start = first.data_page_offset
    data[start : start + first.total_compressed_size] = b"\xff" * first.total_compressed_size
    path.write_bytes(bytes(data))
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    allowed = tmp_path / "allowed"
    result = CliRunner().invoke(
        app, [str(path), "--engine", "ray", "--write-allowed", str(allowed)]
    )
    assert result.exit_code == 2
    assert "a Ray task failed: " in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "\x1b" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.parquet", "rows.parquet"]


def test_a_failed_ray_task_is_one_plain_line() -> None:
    from auditor.scan.distributed import _task_error

    class TaskError(Exception):
        cause = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    error = TaskError("\x1b[36mray::ReadJSON()\x1b[39m (pid=1)\n  File ...")
    assert _task_error(error) == (
        "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
    )
    assert _task_error(ValueError("\x1b[31mred\x1b[0m\nnext\u202eline")) == (
        "ValueError: red next line"
    )


def test_engine_ray_refuses_an_input_of_no_rows_as_the_local_engine_does(
    local_ray: None, tmp_path: Path
) -> None:
    """A Parquet file of no rows is an input error on both engines (Ray hands the write task an
    empty block without columns, which failed the task on a missing URL column)."""
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"url": pa.array([], pa.string())}), path)
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    errors = {}
    for engine in ("local", "ray"):
        allowed = tmp_path / f"allowed-{engine}"
        result = CliRunner().invoke(
            app, [str(path), "--engine", engine, "--write-allowed", str(allowed)]
        )
        assert result.exit_code == 2
        assert not allowed.exists()
        errors[engine] = result.stderr
    assert errors["ray"] == errors["local"]
    assert "nothing to scan: no rows found" in errors["ray"]


def test_engine_ray_reads_any_column_names_as_the_local_engine_does(
    local_ray: None, tmp_path: Path
) -> None:
    """Columns named like the engine's own (``__auditor_url``), or twice alike, are the input's:
    judged and written as on the local engine, never read as what the engine itself read (a
    column of harmless URLs named so once passed a platform's rows)."""
    parquet = tmp_path / "named.parquet"
    watch = [f"https://www.youtube.com/watch?v={i}" for i in range(4)]
    harmless = [f"https://example.com/{i}.jpg" for i in range(4)]
    pq.write_table(
        pa.table(
            {
                "url": watch,
                "license": ["CC0-1.0"] * 4,
                "__auditor_url": harmless,
                "__auditor_invalid": [0] * 4,
            }
        ),
        parquet,
    )
    csv = tmp_path / "named.csv"
    csv.write_bytes(
        b"url,license,__auditor_note,x,x\n"
        + b"".join(
            b"%s,CC0-1.0,hi,%d,%d\n" % (u.encode(), i, i) for i, u in enumerate(watch + harmless)
        )
    )
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    for path, verdicts in ((parquet, (0, 4)), (csv, (4, 4))):
        written = {}
        for engine in ("local", "ray"):
            allowed, blocked = (
                tmp_path / f"a-{engine}-{path.name}",
                tmp_path / f"b-{engine}-{path.name}",
            )
            outputs = ["--write-allowed", str(allowed), "--write-blocked", str(blocked)]
            args = [str(path), "--engine", engine, "-f", "json", "--policy", "commercial", *outputs]
            result = CliRunner().invoke(app, args)
            assert result.exit_code == 1, result.stderr
            report = json.loads(result.stdout)
            assert (report["verdicts"]["allowed"], report["verdicts"]["blocked"]) == verdicts
            read = pq.read_table if path.suffix == ".parquet" else pcsv.read_csv
            written[engine] = [
                sorted(
                    pa.concat_tables(
                        read(f) for f in (sorted(out.iterdir()) if out.is_dir() else [out])
                    ).to_pylist(),
                    key=repr,
                )
                if verdicts[keep]
                else None
                for keep, out in ((0, allowed), (1, blocked))
            ]
        assert written["ray"] == written["local"]
    assert (
        b'"url","license","__auditor_note","x","x"'
        in next((tmp_path / "b-ray-named.csv").iterdir()).read_bytes()
    )


def test_engine_ray_counts_without_reading_columns_it_would_not_write(
    local_ray: None, tmp_path: Path
) -> None:
    """Without --write-allowed or --write-blocked only the URL and license are read, as on the
    local engine: a later value that does not fit a column's inferred type fails neither."""
    path = tmp_path / "late.csv"
    body = b"".join(b"https://example.com/%d,%d\n" % (i, i) for i in range(150_000))
    path.write_bytes(b"url,n\n" + body + b"https://example.com/x,abc\n")
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    for engine in ("local", "ray"):
        result = CliRunner().invoke(app, [str(path), "--engine", engine, "-f", "json"])
        assert result.exit_code == 1, result.stderr  # no license column: none is allowed
        assert json.loads(result.stdout)["rows"] == 150_001
