"""The scan's domain table: exact up to a bound on its entries, a Misra-Gries summary beyond, with
verdict counts exact whatever the number of domains."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from auditor.scan import domains as domains_module
from auditor.scan.domains import Distinct, DomainCounts
from auditor.scan.engine import ScanOptions, scan
from auditor.scan.formats import InputFormat
from auditor.scan.report import ScanReport
from auditor.scan.sources import Source

HEAVY = {f"heavy{k}.com": 400 - 30 * k for k in range(10)}  # 400, 370, ... 130 rows
PLATFORM_ROWS = 300  # www.youtube.com: blocked under commercial (the platform's terms)
TAIL = 3000  # domains of one row each
LICENSES = ["CC-BY-4.0", None, "cc-by-nc-4.0"]


def _skewed(path: Path, row_group_size: int = 1000) -> Path:
    rng = random.Random(11)
    urls: list[str] = []
    for domain, n in HEAVY.items():
        urls += [f"https://img{rng.randrange(5)}.{domain}/{i}.jpg" for i in range(n)]
    urls += [f"https://www.youtube.com/watch?v={i}" for i in range(PLATFORM_ROWS)]
    urls += [f"https://www.tail{i}.org/a.png" for i in range(TAIL)]
    rng.shuffle(urls)
    licenses = [LICENSES[i % 3] for i in range(len(urls))]
    table = pa.table({"url": urls, "license": pa.array(licenses, pa.string())})
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def _scan(path: Path, batch_rows: int = 1000, **options: int) -> ScanReport:
    source = Source(path, InputFormat.PARQUET, batch_rows=batch_rows)
    return scan(source, ScanOptions(**options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def skewed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _skewed(tmp_path_factory.mktemp("domains") / "skewed.parquet")


def test_under_the_bound_every_domain_is_counted_exactly(skewed: Path) -> None:
    report = _scan(skewed, max_domains=0)
    assert report.domains_bounded is None
    assert report.domains_total == len(HEAVY) + 1 + TAIL
    by_domain = Counter[str]()
    for entry in report.domains:
        by_domain[entry.domain] += entry.rows
    assert {d: by_domain[d] for d in HEAVY} == HEAVY
    assert by_domain["youtube.com"] == PLATFORM_ROWS
    assert sum(by_domain.values()) == report.rows
    assert not any("outgrew" in note for note in report.notes)


def test_over_the_bound_the_table_is_bounded_and_says_so(
    skewed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domains_module, "_MERGE_AT", 500)  # prune many times along the way
    exact = _scan(skewed)
    bounded = _scan(skewed, max_domain_entries=60)
    bound = bounded.domains_bounded
    assert bound is not None and bound.max_entries == 60 and bound.domains_total_estimated
    assert any("outgrew 60 entries" in note for note in bounded.notes)
    # Verdicts, rules, the split, platforms and licenses never depend on the bound.
    for field in ("rows", "invalid", "verdicts", "rules", "split", "gate", "platforms", "licenses"):
        assert getattr(bounded, field) == getattr(exact, field), field
    # Each listed count is a lower bound, short by at most the error per entry (domain, platform,
    # rule mask: three licenses here, so three masks at most per domain).
    truth = {d.domain: d.rows for d in exact.top_domains}
    assert 0 < bound.error <= bound.untracked_rows / 61
    for top in bounded.top_domains:
        assert truth[top.domain] - 3 * bound.error <= top.rows <= truth[top.domain]
    # The heavy hitters are all there, in the right order: their counts are far above the error.
    listed = [t.domain for t in bounded.top_domains]
    assert listed[: len(HEAVY) + 1] == [t.domain for t in exact.top_domains][: len(HEAVY) + 1]
    assert abs(bounded.domains_total - exact.domains_total) <= 0.05 * exact.domains_total
    for entry in bounded.domains:
        assert sum(entry.verdicts.values()) == entry.rows > bound.error


def test_the_same_report_from_one_batch_or_many(tmp_path: Path) -> None:
    one = _scan(_skewed(tmp_path / "one.parquet", row_group_size=10_000), batch_rows=10_000)
    many = _scan(_skewed(tmp_path / "many.parquet", row_group_size=97), batch_rows=97)
    assert one.model_dump(exclude={"input"}) == many.model_dump(exclude={"input"})


def test_a_bounded_report_round_trips_and_older_reports_still_read(skewed: Path) -> None:
    bounded = _scan(skewed, max_domain_entries=20)
    again = ScanReport.model_validate_json(bounded.model_dump_json())
    assert again == bounded and again.schema_version == "1.3"
    older = json.loads(_scan(skewed).model_dump_json())
    del older["domains_bounded"]
    older["schema_version"] = "1.2"
    assert ScanReport.model_validate(older).domains_bounded is None


def test_misra_gries_keeps_heavy_hitters_within_the_error() -> None:
    rng = random.Random(3)
    truth = Counter[str]()
    table = DomainCounts(max_entries=25)
    for _ in range(40):
        batch = Counter[str]()
        for _ in range(500):
            name = f"h{rng.randrange(10)}.com" if rng.random() < 0.5 else f"t{rng.randrange(9999)}"
            batch[name] += 1
        truth.update(batch)
        table.add(
            pa.table(
                {
                    "domain": list(batch),
                    "platform": pa.nulls(len(batch), pa.string()),
                    "mask": [0] * len(batch),
                    "rows": list(batch.values()),
                }
            )
        )
        table._merge()  # a prune after every batch: the summary at its loosest
    bound = table.bound()
    assert bound is not None and table.rows == 20_000
    held = dict(zip(*table.table().select(["domain", "rows"]).to_pydict().values(), strict=True))
    assert len(held) <= 25
    assert bound.error <= bound.untracked_rows / 26
    for name, n in truth.items():
        assert n - bound.error <= held.get(name, 0) <= n
    assert {f"h{k}.com" for k in range(10)} <= set(held)


def test_distinct_estimate_is_close() -> None:
    sketch = Distinct()
    for start in range(0, 200_000, 50_000):
        sketch.add(pa.array([f"site{i}.example" for i in range(start, start + 50_000)]))
    sketch.add(pa.array([f"site{i}.example" for i in range(1000)]))  # seen already
    assert abs(sketch.estimate() - 200_000) < 0.03 * 200_000
    small = Distinct()
    small.add(pa.array(["a.com", "b.com", "a.com", None]))
    assert small.estimate() == 2


def test_a_bound_below_one_entry_is_refused() -> None:
    with pytest.raises(ValueError):
        DomainCounts(0)


def test_every_consumer_says_the_table_was_bounded(skewed: Path, tmp_path: Path) -> None:
    from io import StringIO

    from rich.console import Console

    from auditor.scan.html import render_html
    from auditor.scan.render import render_table
    from tests.test_summary import FIELDS, fields, summary_json

    bounded = _scan(skewed, max_domain_entries=20)
    assert bounded.domains_bounded is not None
    out = StringIO()
    render_table(bounded, Console(file=out, width=200, no_color=True))
    assert f"of about {bounded.domains_total:,}), bounded: lower bounds" in out.getvalue()
    assert "outgrew 20 entries" in out.getvalue()
    page = render_html(bounded)
    assert f"of about {bounded.domains_total:,} registered" in page
    assert "these counts are lower bounds" in page
    report = tmp_path / "scan.json"
    report.write_text(bounded.model_dump_json())
    value = fields(summary_json(FIELDS, "--scan", report))["top-domains"]["value"]
    assert f"of about {bounded.domains_total} domains" in value
    error = bounded.domains_bounded.error
    assert f"at most {error} row{'' if error == 1 else 's'} short" in value
    exact = _scan(skewed)
    report.write_text(exact.model_dump_json())
    value = fields(summary_json(FIELDS, "--scan", report))["top-domains"]["value"]
    assert f"the top 10% of {exact.domains_total} domains by rows" in value
    assert "bounded" not in value


def _counts(rows: dict[str, int]) -> pa.Table:
    return pa.table(
        {
            "domain": list(rows),
            "platform": pa.nulls(len(rows), pa.string()),
            "mask": [0] * len(rows),
            "rows": list(rows.values()),
        }
    )


def test_domains_met_after_the_table_was_bounded_are_all_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(domains_module, "_MERGE_AT", 50)
    table = DomainCounts(max_entries=10)
    heavy = {f"heavy{k}.com": 100 for k in range(5)}
    table.add(_counts(heavy | {f"single{k}.org": 1 for k in range(95)}))  # merged and pruned
    assert table.bound() is not None
    table.add(_counts(heavy | {f"late{k}.net": 1 for k in range(3)}))  # merged, not pruned
    assert table.domains_total() == (103, True)
    assert set(table.table().column("domain").to_pylist()) == set(heavy)  # 1 row: not listed
    bound = table.bound()
    assert bound is not None and bound.error == 1 and bound.untracked_rows == 95 + 5 + 3


def test_counts_waiting_to_be_merged_follow_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lower bound takes less memory: the counts held between merges are never many more than
    the bound (and the least merge), however many are added."""
    monkeypatch.setattr(domains_module, "_LEAST_MERGE", 200)
    table = DomainCounts(max_entries=300)
    waiting = []
    for batch in range(30):
        table.add(_counts({f"d{batch}-{k}.com": 1 for k in range(100)}))
        waiting.append(table._pending)
    assert max(waiting) <= 300 + 100  # the bound, and the batch that went past it
    assert table.rows == 3000 and table.bound() is not None
    small = DomainCounts(max_entries=10)  # below the least merge: merged at _LEAST_MERGE
    for batch in range(3):
        small.add(_counts({f"s{batch}-{k}.com": 1 for k in range(100)}))
        waiting.append(small._pending)
    assert waiting[-3:] == [100, 200, 0]


def test_the_bound_is_worded_in_the_singular_for_one_row() -> None:
    from auditor.scan.report import rows_of

    assert (rows_of(1), rows_of(0), rows_of(2000)) == ("1 row", "0 rows", "2,000 rows")


def test_the_bound_is_a_cli_option_defaulting_to_the_library_s(
    skewed: Path,
) -> None:
    import inspect

    import typer
    from typer.testing import CliRunner

    from auditor.scan.command import scan as scan_command

    default = inspect.signature(scan_command).parameters["max_domain_entries"].default
    assert default == domains_module.MAX_ENTRIES == ScanOptions().max_domain_entries
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(scan_command)
    runner = CliRunner()
    report = json.loads(
        runner.invoke(app, [str(skewed), "-f", "json", "--max-domain-entries", "20"]).stdout
    )
    assert report["domains_bounded"]["max_entries"] == 20
    exact = json.loads(runner.invoke(app, [str(skewed), "-f", "json"]).stdout)
    assert exact["domains_bounded"] is None and exact["split"] == report["split"]
    refused = runner.invoke(app, [str(skewed), "--max-domain-entries", "0"])
    assert refused.exit_code == 2 and "--max-domain-entries" in refused.stderr
