"""``auditor scan``: record-level manifests split into allowed and blocked rows, offline."""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import stat
from collections import Counter
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
import typer
from typer.testing import CliRunner

from auditor.knowledge import load_knowledge
from auditor.scan import tally
from auditor.scan.classify import Classifier, Invalid, rules_of
from auditor.scan.command import scan as scan_command
from auditor.scan.crawlers import Purpose, load_crawlers, training_tokens
from auditor.scan.engine import ScanOptions, scan
from auditor.scan.formats import InputFormat
from auditor.scan.hosts import (
    AUTHORITY,
    PlatformIndex,
    authorities,
    judge_hosts,
    parse_authority,
)
from auditor.scan.sources import Source, _row_group_batches, detect_format
from tests.conftest import FIXTURES

SCAN = FIXTURES / "scan"
SNAPSHOTS = SCAN / "snapshots"

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command()(scan_command)
runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def fixture(name: str) -> Path:
    path = SCAN / name
    if not path.exists():
        pytest.fail(f"fixture missing: {path}")
    return path


MIXED: dict[str, list[str | None]] = {
    "url": [
        "https://www.youtube.com/watch?v=FAKE1",  # YouTube's terms: blocked
        "https://blog.example.org/public/cat.jpg",  # allowed
        "https://blog.example.org/private/cat.jpg",  # robots.txt disallows GPTBot: blocked
        "https://cdn.shop.example.co.uk/p/1.jpg",  # non-commercial license: blocked
        "https://news.example.com/story/1.jpg",  # TDMRep reservation: blocked
        "https://news.example.com/open/1.jpg",  # TDMRep: not reserved under /open/
        "https://art.example.net/a.png",  # ai.txt disallows *.png: blocked
        "https://art.example.net/a.gif",  # allowed
        "https://closed.example.com/x",  # robots.txt "*" disallows everything: blocked
        "https://search-only.example.org/x",  # only a search bot is disallowed: allowed
        "https://wiki.example.org/x",  # share-alike: review (passes --fail-on error)
        None,  # no URL: invalid
        "",  # no URL: invalid
        "not a url",  # unparsable: invalid
        "https://exa mple.com/",  # unparsable host: invalid
    ],
    "license": [
        "CC-BY-4.0",
        "CC-BY-4.0",
        "CC-BY-4.0",
        "cc-by-nc-4.0",
        "MIT",
        "MIT",
        "CC0-1.0",
        "CC0-1.0",
        "CC0-1.0",
        "CC0-1.0",
        "CC-BY-SA-4.0",
        "MIT",
        "MIT",
        "MIT",
        "MIT",
    ],
}


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    table = pa.table({**MIXED, "id": list(range(len(MIXED["url"])))})
    path = tmp_path / "mixed.parquet"
    pq.write_table(table, path, row_group_size=4)
    return path


def test_mixed_parquet_is_split_into_files_that_add_up(mixed: Path, tmp_path: Path) -> None:
    allowed, blocked = tmp_path / "allowed.parquet", tmp_path / "blocked.parquet"
    code, out, err = run(
        mixed,
        "--optout-snapshots",
        SNAPSHOTS,
        "--write-allowed",
        allowed,
        "--write-blocked",
        blocked,
        "--format",
        "json",
    )
    assert code == 1, err
    report = json.loads(out)
    kept, dropped = pq.read_table(allowed), pq.read_table(blocked)
    assert kept.num_rows + dropped.num_rows == len(MIXED["url"]) == report["rows"]
    assert kept.schema == dropped.schema == pq.read_schema(mixed)
    assert sorted(kept.column("id").to_pylist()) == [1, 5, 7, 9, 10]
    assert report["split"] == {"allowed": 5, "blocked": 10}
    assert report["verdicts"] == {"allowed": 4, "review": 1, "blocked": 6, "invalid": 4}
    assert report["invalid"] == {"no-url": 2, "unparsable-url": 2}
    rules = {r["rule"]: r["rows"] for r in report["rules"]}
    assert rules["optout-robots-txt"] == 2
    assert rules["optout-tdmrep"] == 1
    assert rules["optout-ai-txt"] == 1
    assert rules["tos-scraping-prohibited"] == 1
    assert rules["license-noncommercial"] == 1
    assert err.startswith("auditor scan: FAIL")
    assert len(err.strip().splitlines()) == 1  # no progress bar when stderr is no terminal


def test_gate_passes_under_the_threshold_and_on_warning_fails(mixed: Path) -> None:
    code, _, _ = run(mixed, "--optout-snapshots", SNAPSHOTS, "--max-blocked-share", "0.7")
    assert code == 0
    code, out, _ = run(
        mixed,
        "--optout-snapshots",
        SNAPSHOTS,
        "--max-blocked-share",
        "0.7",
        "--fail-on",
        "warning",
        "-f",
        "json",
    )
    assert json.loads(out)["split"]["blocked"] == 11
    assert code == 1


def test_a_policy_sets_the_severity_of_optouts(mixed: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "name: robots-reviewed\ndescription: robots.txt opt-outs are reviewed, not blocked.\n"
        "extends: commercial\nseverities:\n  optout-robots-txt: warning\n"
    )
    reports = {}
    for name in ("commercial", str(policy)):
        out = run(mixed, "--optout-snapshots", SNAPSHOTS, "--policy", name, "-f", "json")[1]
        reports[name] = json.loads(out)
    rules = {r["rule"]: r for r in reports[str(policy)]["rules"]}
    assert rules["optout-robots-txt"]["severity"] == "warning"
    assert rules["optout-tdmrep"]["severity"] == "error"
    before, after = reports["commercial"]["verdicts"], reports[str(policy)]["verdicts"]
    # The rows reserved by robots.txt alone move from blocked to review.
    assert after["blocked"] < before["blocked"]
    assert after["review"] - before["review"] == before["blocked"] - after["blocked"]


def test_clean_file_passes_with_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "clean.parquet"
    urls = ["https://a.example.com/1", "https://b.example.org/2"]
    pq.write_table(pa.table({"url": urls, "license": ["CC0-1.0", "MIT"]}), path)
    code, out, err = run(path, "-f", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["license_column"] == "license"
    assert any("not checked" in note for note in report["notes"])
    assert report["verdicts"]["allowed"] == 2


def test_rows_without_a_license_column_are_license_unknown(tmp_path: Path) -> None:
    """A row without a license is license-unknown, blocked, in every format: a URL alone was a
    pass when the input had no license column."""
    path = tmp_path / "urls.parquet"
    pq.write_table(pa.table({"url": ["https://a.example.com/1", "https://b.example.org/2"]}), path)
    code, out, err = run(path, "-f", "json")
    assert code == 1, err
    report = json.loads(out)
    assert report["license_column"] is None
    assert any("No per-row license column" in note for note in report["notes"])
    assert report["verdicts"]["blocked"] == 2
    assert [r["rule"] for r in report["rules"]] == ["license-unknown"]


def test_ytdlp_info_directory_is_flagged_under_youtube_terms(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked.jsonl"
    code, out, _ = run(fixture("ytdlp-youtube"), "-f", "json", "--write-blocked", blocked)
    assert code == 1
    report = json.loads(out)
    assert report["input_format"] == "yt-dlp-info"
    assert report["method"] == "yt-dlp"
    assert report["rows"] == 4
    assert report["invalid"] == {"bad-record": 1}  # the truncated info file
    (youtube,) = report["platforms"]
    assert youtube["platform"] == "youtube" and youtube["rows"] == 3
    rules = [f["rule"] for f in youtube["findings"]]
    assert rules == ["tos-scraping-prohibited", "tos-review"]  # the API would get tos-review
    assert "yt-dlp" in youtube["findings"][0]["message"]
    assert youtube["findings"][0]["quote"]
    (domain,) = report["domains"]
    assert (domain["domain"], domain["verdict"], domain["rows"]) == ("youtube.com", "blocked", 3)
    records = [json.loads(line) for line in blocked.read_text().splitlines()]
    assert len(records) == 4
    assert {r["id"] for r in records} >= {"FAKEID0001A", "FAKEID0002B", "FAKEID0003C"}
    assert {r["uploader"] for r in records if r["uploader"]} == {
        "Test Uploader",
        "Another Uploader",
    }


def test_download_archive_rebuilds_urls_and_counts_bad_lines(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked.txt"
    code, out, _ = run(fixture("archive.youtube.txt"), "-f", "json", "--write-blocked", blocked)
    assert code == 1
    report = json.loads(out)
    assert report["rows"] == 5
    assert report["invalid"] == {"bad-record": 1, "unknown-extractor": 1}
    assert {d["platform"] for d in report["domains"]} == {"youtube", "vimeo"}
    lines = blocked.read_text().splitlines()
    assert lines == fixture("archive.youtube.txt").read_text().splitlines()


def test_jsonl_bad_lines_are_counted_and_written_verbatim(tmp_path: Path) -> None:
    allowed, blocked = tmp_path / "ok.jsonl.gz", tmp_path / "no.jsonl"
    source = fixture("mixed.jsonl")
    code, out, _ = run(source, "-f", "json", "--write-allowed", allowed, "--write-blocked", blocked)
    assert code == 1
    report = json.loads(out)
    assert report["invalid"] == {"no-url": 1, "bad-encoding": 1, "bad-record": 2}
    kept = gzip.decompress(allowed.read_bytes()).splitlines()
    dropped = blocked.read_bytes().splitlines()
    lines = [line for line in source.read_bytes().splitlines() if line.strip()]
    assert len(kept) + len(dropped) == len(lines) == report["rows"] == 9
    assert sorted(kept + dropped) == sorted(lines)


def test_compressed_jsonl_input(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"url": "https://a.example.com/x", "license": "MIT"}\n'))
    code, out, _ = run(path, "-f", "json")
    assert code == 0
    assert json.loads(out)["licenses"][0]["expression"] == "MIT"


def test_csv_bad_encoding_and_bad_records_are_counted(tmp_path: Path) -> None:
    allowed, blocked = tmp_path / "ok.csv", tmp_path / "no.csv"
    code, out, _ = run(
        fixture("mixed.csv"),
        "--optout-snapshots",
        SNAPSHOTS,
        "-f",
        "json",
        "--write-allowed",
        allowed,
        "--write-blocked",
        blocked,
    )
    assert code == 1
    report = json.loads(out)
    assert report["invalid"] == {
        "no-url": 1,
        "unparsable-url": 1,
        "bad-encoding": 1,
        "bad-record": 1,
    }
    assert report["split"] == {"allowed": 1, "blocked": 6}
    kept = pcsv.read_csv(allowed)
    assert kept.column("url").to_pylist() == ["https://x.example.com/ok.jpg"]
    assert len(blocked.read_bytes().splitlines()) == 1 + 6  # the header, then the rows
    assert b"unexpected" in blocked.read_bytes()  # the malformed record is kept as it was


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.parquet",), "no such file"),
        (("{mixed}", "--url-column", "link"), "no URL column 'link'"),
        (("{mixed}", "--license-column", "lic"), "no license column 'lic'"),
        (("{mixed}", "--policy", "nope"), "no such policy"),
        (("{mixed}", "--optout-snapshots", "nowhere"), "snapshot directory does not exist"),
        (("{notparquet}",), "not a readable Parquet file"),
        (("{odd}",), "cannot tell the format"),
    ],
)
def test_input_errors_exit_2(
    args: tuple[str, ...], message: str, mixed: Path, tmp_path: Path
) -> None:
    notparquet = tmp_path / "x.parquet"
    notparquet.write_text("hello")
    odd = tmp_path / "x.xlsx"
    odd.write_text("hello")
    paths = {"mixed": mixed, "notparquet": notparquet, "odd": odd}
    code, out, err = run(*(a.format(**paths) for a in args))
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_json_report_is_deterministic(mixed: Path) -> None:
    first = run(mixed, "--optout-snapshots", SNAPSHOTS, "-f", "json")[1]
    second = run(mixed, "--optout-snapshots", SNAPSHOTS, "-f", "json")[1]
    assert first == second
    report = json.loads(first)
    assert (report["schema_version"], report["kind"]) == ("1.3", "scan")
    domains = report["domains"]
    assert domains == sorted(domains, key=lambda d: (-d["rows"], d["domain"], d["platform"] or ""))
    assert report["top_domains"][0] == {
        "rank": 1,
        "domain": "example.org",
        "rows": 4,
        "share": round(4 / 15, 6),
    }
    evidence = {(e["host"], e["file"]) for e in report["optout_snapshots"]}
    assert ("blog.example.org", "robots.txt") in evidence


def test_table_report_and_output_file(mixed: Path, tmp_path: Path) -> None:
    code, out, _ = run(mixed, "--optout-snapshots", SNAPSHOTS)
    assert code == 1
    assert "example.org" in out and "verdict: FAIL" in out
    assert "YouTube: tos-scraping-prohibited" in out
    target = tmp_path / "report.txt"
    code, out, _ = run(mixed, "-o", target)
    assert out == "" and "Domains by rows" in target.read_text()


def test_sanctioned_method_turns_terms_into_review(mixed: Path) -> None:
    _, out, _ = run(mixed, "--method", "api", "-f", "json")
    youtube = next(d for d in json.loads(out)["domains"] if d["platform"] == "youtube")
    assert youtube["verdict"] == "review"
    assert [r["rule"] for r in youtube["reasons"] if r["severity"] == "warning"] == ["tos-review"]


def test_user_agent_option_adds_a_token(tmp_path: Path) -> None:
    snapshots = tmp_path / "snap"
    (snapshots / "a.example.com").mkdir(parents=True)
    (snapshots / "a.example.com" / "robots.txt").write_text("User-agent: MyBot\nDisallow: /\n")
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"url": ["https://a.example.com/x"], "license": ["CC0-1.0"]}), path)
    assert run(path, "--optout-snapshots", snapshots)[0] == 0
    assert run(path, "--optout-snapshots", snapshots, "--user-agent", "MyBot")[0] == 1


def test_research_policy_allows_noncommercial_rows(mixed: Path) -> None:
    out = run(mixed, "--policy", "research", "-f", "json")[1]
    licenses = {item["raw"]: item["verdict"] for item in json.loads(out)["licenses"]}
    assert licenses["cc-by-nc-4.0"] == "allowed"


def test_format_detection() -> None:
    assert detect_format(Path("a.parquet")) is InputFormat.PARQUET
    assert detect_format(Path("a.jsonl.zst")) is InputFormat.JSONL
    assert detect_format(Path("a.csv.gz")) is InputFormat.CSV
    assert detect_format(Path("archive.txt")) is InputFormat.YTDLP_ARCHIVE
    assert detect_format(SCAN / "ytdlp-youtube") is InputFormat.YTDLP_INFO


def test_hosts_and_registered_domains() -> None:
    urls = pa.array(["https://u:p@WWW.Example.co.uk:8443/x", "//cdn.x.org/y", "mailto:a@b", None])
    assert authorities(urls).to_pylist() == ["u:p@WWW.Example.co.uk:8443", "cdn.x.org", None, None]
    assert parse_authority("u:p@WWW.Example.co.uk:8443") == ("www.example.co.uk", "example.co.uk")
    assert parse_authority("user.github.io") == ("user.github.io", "user.github.io")
    assert parse_authority("[2001:db8::1]:80") == ("2001:db8::1", "2001:db8::1")
    assert parse_authority("192.0.2.1") == ("192.0.2.1", "192.0.2.1")
    for bad in ("", "exa mple.com", "a..b", "[nope]", "999.1.1.1"):
        assert parse_authority(bad) is None


def test_suffix_rules_are_the_ascii_rules_of_the_bundled_list() -> None:
    from publicsuffixlist import PublicSuffixList

    from auditor.scan.hosts import _psl_rules

    rules = list(_psl_rules())
    assert len(rules) > 5000 and all(rule.isascii() for rule in rules)
    listed = PublicSuffixList()._publicsuffix
    assert set(rules) == {rule for rule in listed if rule.isascii()}


WEIRD_URLS = [
    "https://www.example.com/a",
    "http://a.example.org",
    "https://",
    "https://host?x=/y",
    "https://host#frag/z",
    "https://host\\path/x",
    "http://u:p@Host.Example.CO.uk:8080/p",
    "HTTPS://upper.example.com/x",
    "ftp://files.example.net/f",
    "//cdn.example.com/x",
    "mailto:a@b",
    "not a url",
    "https:/one-slash.example.com",
    "",
    None,
    "https://[2001:db8::1]:443/x",
]


@pytest.mark.parametrize("start", [0, 3])
@pytest.mark.parametrize("only_web", [False, True])
def test_authorities_match_the_pattern(start: int, only_web: bool) -> None:
    urls = [u for u in WEIRD_URLS if not only_web or (u or "").startswith(("https://", "http://"))]
    array = pa.array(urls, pa.string()).slice(start)
    expected = [
        m["authority"] if u is not None and (m := re.match(AUTHORITY, u)) else None
        for u in urls[start:]
    ]
    assert authorities(array).to_pylist() == expected


@pytest.mark.parametrize(
    "urls",
    [[], ["http://a.example.com/x", "http://b.example.org"], ["ftp://a.example.com/x"]],
)
def test_authorities_of_one_kind_of_url(urls: list[str]) -> None:
    expected = [m["authority"] if (m := re.match(AUTHORITY, u)) else None for u in urls]
    assert authorities(pa.array(urls, pa.string())).to_pylist() == expected


def test_rows_without_snapshot_folders_or_blank_urls(tmp_path: Path) -> None:
    from auditor.policy import load_policy
    from auditor.scan.optout import Snapshots

    snapshots = Snapshots(tmp_path, ("GPTBot",))
    classifier = Classifier(load_knowledge(), load_policy("commercial"), snapshots=snapshots)
    found = classifier.classify(pa.array(["ftp://a.example.com/x", "https://b.example.org/y"]))
    assert found.rows == 2 and len(found.keys) == 2
    assert not snapshots.seen()


AUTHORITIES = [
    # public suffixes: plain, wildcard (*.ck, *.kawasaki.jp), exception (!www.ck), private
    "a.b.example.co.uk",
    "co.uk",
    "x.ck",
    "y.x.ck",
    "www.ck",
    "a.www.ck",
    "foo.kawasaki.jp",
    "city.kawasaki.jp",
    "a.city.kawasaki.jp",
    "user.github.io",
    "github.io",
    "a.b.s3.amazonaws.com",
    "localhost",
    "xn--mnchen-3ya.de",
    "www.xn--p1ai",
    # platforms: the domain, subdomains, look-alikes
    "youtube.com",
    "m.youtube.com",
    "notyoutube.com",
    "youtube.com.evil.org",
    "pmc.ncbi.nlm.nih.gov",
    "x.pmc.ncbi.nlm.nih.gov",
    "ncbi.nlm.nih.gov",
    # not plain: parsed one by one
    "WWW.YouTube.com:443",
    "u@i.redd.it",
    "192.0.2.1:80",
    "[2001:db8::1]",
    "münchen.de",
    "a..b",
    "",
    "_dmarc.example.com",
    # look-alikes of a platform's host, and hosts that cannot be read
    "\uff59\uff4f\uff55\uff54\uff55\uff42\uff45.com",
    "youtube\u3002com",
    "you\u00adtube.com",
    "www.youtube.com.",
    "you%74ube.com",
    "www.youtube.com\n",
    "a\u200d.com",
]


@pytest.mark.parametrize("plain_only", [False, True])
def test_hosts_judged_in_bulk_as_one_by_one(plain_only: bool) -> None:
    index = PlatformIndex(load_knowledge())
    authorities = (
        AUTHORITIES[: AUTHORITIES.index("WWW.YouTube.com:443")] if plain_only else AUTHORITIES
    )
    judged = judge_hosts(pa.array(authorities), index)
    columns = (judged.name, judged.domain, judged.platform)
    rows = zip(*(column.to_pylist() for column in columns), strict=True)
    for authority, found in zip(authorities, rows, strict=True):
        host = parse_authority(authority)
        expected = (host.name, host.domain, index.index_for(host.name)) if host else (None,) * 3
        assert found == expected, authority


def test_row_groups_are_batched_whole() -> None:
    batches = list(_row_group_batches([3, 3, 10, 1, 1, 2], 4))
    assert batches == [[0], [1], [2], [3, 4, 5]]


def test_small_row_groups_and_null_licenses(tmp_path: Path) -> None:
    urls = [f"https://h{i % 7}.example.com/{i}" for i in range(50)]
    licenses = [None if i % 3 else "cc-by-nc-4.0" for i in range(50)]
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"url": urls, "license": licenses}), path, row_group_size=6)
    reports = [
        scan(Source(path, InputFormat.PARQUET, batch_rows=rows), ScanOptions())
        for rows in (1, 8, 100)
    ]
    assert reports[0] == reports[1] == reports[2]
    assert {item.raw: item.rows for item in reports[0].licenses} == {None: 33, "cc-by-nc-4.0": 17}


def test_report_ranks_ties_by_name_within_the_limit() -> None:
    from auditor.policy import load_policy
    from auditor.scan.report import Settings, build_report

    classifier = Classifier(load_knowledge(), load_policy("commercial"))
    rows = {
        ("b.org", None, 0): 5,
        ("a.org", None, 0): 5,
        ("youtube.com", "youtube", 1): 5,
        ("c.org", None, 0): 2,
        ("c.org", None, 1): 3,
        ("d.org", None, 0): 1,
        ("a.org", "youtube", 0): 1,
    }
    counts = pa.table(
        {
            "domain": [k[0] for k in rows],
            "platform": pa.array([k[1] for k in rows], pa.string()),
            "mask": pa.array([k[2] for k in rows], pa.int64()),
            "rows": pa.array(list(rows.values()), pa.int64()),
        }
    )
    settings = Settings(
        input="x",
        input_format="parquet",
        method="m",
        url_column="url",
        license_column=None,
        max_domains=3,
    )
    report = build_report(counts, {}, classifier, settings)
    by_group: Counter[tuple[str, str | None]] = Counter()
    for (domain, platform, _), n in rows.items():
        by_group[(domain, platform)] += n
    ranked = sorted(by_group.items(), key=lambda item: (-item[1], item[0][0], item[0][1] or ""))
    assert [(d.domain, d.platform, d.rows) for d in report.domains] == [
        (domain, platform, n) for (domain, platform), n in ranked[:3]
    ]
    assert report.domains_total == 5
    assert [(t.domain, t.rows) for t in report.top_domains] == [("a.org", 6)]
    assert [(p.platform, p.rows) for p in report.platforms] == [("youtube", 6)]


def test_platform_index_agrees_with_the_knowledge_base() -> None:
    kb = load_knowledge()
    index = PlatformIndex(kb)
    hosts = [h for p in kb.platforms for d in p.domains for h in (d, f"www.{d}", f"a.b.{d}")]
    for host in [*hosts, "example.com", "notyoutube.com"]:
        expected = kb.platform_for(host)
        assert index.platform_for(host) == expected, host


def test_crawler_tokens_are_sourced_and_include_the_issue_list() -> None:
    crawlers = load_crawlers()
    assert all(c.source.url.startswith("https://") and c.source.retrieved for c in crawlers)
    tokens = set(training_tokens(crawlers))
    required = {"GPTBot", "CCBot", "Google-Extended", "ClaudeBot", "Applebot-Extended"}
    assert required | {"Bytespider", "Meta-ExternalAgent"} <= tokens
    assert all(c.purpose is not Purpose.TRAIN for c in crawlers if c.token == "OAI-SearchBot")


def test_tally_merges_partial_counts(monkeypatch: pytest.MonkeyPatch, mixed: Path) -> None:
    whole = scan(Source(mixed, InputFormat.PARQUET, batch_rows=4), ScanOptions())
    monkeypatch.setattr(tally, "_COMPACT_AT", 1)  # counts by platform and mask summed each time
    pieces = scan(Source(mixed, InputFormat.PARQUET, batch_rows=2), ScanOptions())
    assert pieces == whole


def test_annotate_adds_readable_columns() -> None:
    from auditor.policy import load_policy

    classifier = Classifier(load_knowledge(), load_policy("commercial"))
    table = pa.table({"url": ["https://www.youtube.com/watch?v=x", None], "license": ["MIT", None]})
    out = classifier.annotate(table, license_column="license")
    assert out.column("auditor_verdict").to_pylist() == ["blocked", "invalid"]
    assert out.column("auditor_platform").to_pylist() == ["youtube", None]
    assert out.column("auditor_rules").to_pylist()[1] == "invalid-no-url"
    assert rules_of(0) == ()


def test_hosts_ending_at_a_query_fragment_or_backslash_are_judged_as_the_host() -> None:
    from auditor.policy import load_policy

    classifier = Classifier(load_knowledge(), load_policy("commercial"))
    urls = [
        "https://www.youtube.com?v=x",
        "https://www.youtube.com/watch",
        "https://cdn.example.com#top/x",
        "http://a.example.org\\p/q",
        "https://cdn.example.com/?q",
    ]
    # Two batches: the second meets the authorities of the first, cut or not, again.
    for batch in (urls, list(reversed(urls))):
        out = classifier.annotate(pa.table({"url": batch}))
        domains = dict(zip(batch, out.column("auditor_domain").to_pylist(), strict=True))
        platforms = dict(zip(batch, out.column("auditor_platform").to_pylist(), strict=True))
        assert domains == {
            urls[0]: "youtube.com",
            urls[1]: "youtube.com",
            urls[2]: "example.com",
            urls[3]: "example.org",
            urls[4]: "example.com",
        }
        assert [platforms[u] for u in urls] == ["youtube", "youtube", None, None, None]


def test_scan_leaves_the_garbage_collector_as_it_found_it(mixed: Path) -> None:
    import gc

    assert gc.get_freeze_count() == 0
    report = scan(Source(mixed, InputFormat.PARQUET), ScanOptions())
    assert report.rows and gc.get_freeze_count() == 0
    gc.freeze()  # a caller's own frozen objects stay frozen
    try:
        frozen = gc.get_freeze_count()
        assert scan(Source(mixed, InputFormat.PARQUET), ScanOptions()) == report
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_summary_counts_one_row_in_the_singular(tmp_path: Path) -> None:
    path = tmp_path / "one.parquet"
    pq.write_table(pa.table({"url": ["https://a.example.com/1"], "license": ["CC0-1.0"]}), path)
    code, _, err = run(path)
    assert code == 0
    assert err.startswith(
        "auditor scan: PASS - 1 row: 1 allowed, 0 review, 0 blocked, 0 invalid; 0 kept out"
    )


def test_query_strings_after_a_host_do_not_make_new_host_classes() -> None:
    from auditor.policy import load_policy

    classifier = Classifier(load_knowledge(), load_policy("commercial"))
    for batch in range(3):
        urls = pa.array([f"https://www.example.com?id={batch}-{i}" for i in range(1000)])
        found = classifier.classify(urls)
        assert found.rows == 1000 and len(set(found.keys.to_pylist())) == 1
    # Only cut authorities are remembered: one host, whatever the number of query strings.
    assert classifier._known.keys().to_pylist() == ["www.example.com"]


LOOK_ALIKES = [
    "https://\uff59\uff4f\uff55\uff54\uff55\uff42\uff45.com/watch?v=x",  # full width
    "https://youtube\u3002com/watch?v=x",  # ideographic full stop
    "https://you\u00adtube.com/watch?v=x",  # soft hyphen
    "https://you\u200btube.com/watch?v=x",  # zero-width space
    "https://YouTube.COM./watch?v=x",
    "https://user:pw@www.youtube.com:443/watch?v=x",
    "https://you%74ube.com/watch?v=x",
]


def test_look_alike_hosts_are_judged_under_the_platforms_terms() -> None:
    from auditor.policy import load_policy

    classifier = Classifier(load_knowledge(), load_policy("commercial"))
    out = classifier.annotate(pa.table({"url": LOOK_ALIKES}))
    assert out.column("auditor_platform").to_pylist() == ["youtube"] * len(LOOK_ALIKES)
    assert set(out.column("auditor_domain").to_pylist()) == {"youtube.com"}
    assert set(out.column("auditor_verdict").to_pylist()) == {"blocked"}


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com\n",  # read as "www.youtube.com\n", matching nothing, it passed
        "https://a\u200d.com/x",  # a joiner out of context: invalid IDNA
        "https://%ff.com/x",
        "https://youtube.com\uff1a443/x",  # a full-width colon, forbidden once mapped
    ],
)
def test_hosts_that_cannot_be_read_are_invalid_rows(url: str) -> None:
    from auditor.policy import load_policy

    classifier = Classifier(load_knowledge(), load_policy("commercial"))
    table = pa.table({"url": [url, "https://a.example.com/"], "license": ["CC0-1.0"] * 2})
    out = classifier.annotate(table, license_column="license")
    assert out.column("auditor_verdict").to_pylist() == ["invalid", "allowed"]
    assert out.column("auditor_rules").to_pylist()[0] == "invalid-unparsable-url"


def test_snapshot_folders_are_named_by_host_in_any_form(tmp_path: Path) -> None:
    from auditor.policy import load_policy
    from auditor.scan.optout import Snapshots

    for folder in ("m\u00fcnchen.de", "xn--mnchen-3ya.de", "M\u00dcNCHEN.de."):
        root = tmp_path / folder.replace(".", "-")
        (root / folder).mkdir(parents=True)
        (root / folder / "robots.txt").write_text("User-agent: GPTBot\nDisallow: /\n")
        snapshots = Snapshots(root, ("GPTBot",))
        classifier = Classifier(load_knowledge(), load_policy("commercial"), snapshots=snapshots)
        urls = [
            "https://xn--mnchen-3ya.de/a",
            "https://m\u00fcnchen.de/b",
            "https://M\u00dcNCHEN.de/c",
        ]
        table = pa.table({"url": urls, "license": ["CC0-1.0"] * 3})
        out = classifier.annotate(table, license_column="license")
        assert out.column("auditor_rules").to_pylist() == ["optout-robots-txt"] * 3, folder
        assert [h.host for h in snapshots.seen()] == ["xn--mnchen-3ya.de"]


def test_a_platform_that_licenses_no_content_is_reviewed_whatever_the_method() -> None:
    from auditor.policy import load_policy

    for method in (None, "api"):
        classifier = Classifier(load_knowledge(), load_policy("commercial"), method=method)
        table = pa.table({"url": ["https://github.com/o/r"], "license": ["CC0-1.0"]})
        out = classifier.annotate(table, license_column="license")
        assert out.column("auditor_verdict").to_pylist() == ["review"], method
        assert out.column("auditor_rules").to_pylist() == ["tos-review"], method


def test_rows_fetched_by_the_api_are_never_judged_harsher_than_scraped_ones() -> None:
    from auditor.policy import load_policy

    kb, policy = load_knowledge(), load_policy("commercial")
    scraped = Classifier(kb, policy)
    fetched = Classifier(kb, policy, method="api")
    for platform in kb.platforms:
        api = {f.rule for f in fetched.platform_terms(platform)}
        assert api <= {f.rule for f in scraped.platform_terms(platform)}, platform.id


def test_of_two_folders_naming_one_host_the_one_spelled_as_the_host_is_read(
    tmp_path: Path,
) -> None:
    from auditor.scan.optout import Snapshots

    (tmp_path / "Example.com").mkdir()
    if (tmp_path / "example.com").exists():
        pytest.skip("a case-insensitive file system holds one of the two folders only")
    for name, rules in (("Example.com", "Disallow: /"), ("example.com", "Disallow: /private/")):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "robots.txt").write_text(f"User-agent: *\n{rules}\n")
    (tmp_path / "notes.txt").write_text("not a host folder\n")
    snapshots = Snapshots(tmp_path, ("GPTBot",))
    assert snapshots.folders().to_pylist() == ["example.com"]
    signals = snapshots.for_host("example.com")
    assert signals is not None and not signals.reservations("https://example.com/a")
    assert snapshots.for_host("notes.txt") is None


def test_split_files_never_replace_the_input_and_are_readable(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_bytes(fixture("mixed.jsonl").read_bytes())
    for option in ("--write-allowed", "--write-blocked", "-o"):
        code, out, err = run(source, option, source)
        assert (code, out) == (2, ""), err
        assert "would overwrite the input" in err
    code, _, err = run(source, "--write-allowed", "same.jsonl", "--write-blocked", "same.jsonl")
    assert code == 2
    assert "--write-blocked: is also the path of --write-allowed" in err
    code, _, err = run(source, "--write-allowed", tmp_path / "new" / "ok.jsonl")
    assert code == 2
    assert "does not exist" in err
    assert not (tmp_path / "new").exists()
    assert source.read_bytes() == fixture("mixed.jsonl").read_bytes()
    old = os.umask(0o022)
    try:
        allowed = tmp_path / "ok.jsonl"
        code, _, _ = run(source, "--write-allowed", allowed, "-o", tmp_path / "report.txt")
    finally:
        os.umask(old)
    assert code == 1
    assert stat.S_IMODE(allowed.stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == 0o644


def test_the_table_prints_a_hostile_file_name_and_method_inert(tmp_path: Path) -> None:
    source = tmp_path / "rows\n::add-mask::x\x1b[2J.jsonl"
    source.write_bytes(fixture("mixed.jsonl").read_bytes())
    code, out, err = run(source, "--method", "api\n::stop-commands::t")
    assert code == 1
    assert "\x1b" not in out + err
    assert "::" not in out + err
    assert "\\x3a\\x3aadd-mask" in out


def test_ranking_a_few_among_many_ties_matches_a_full_sort() -> None:
    """The report lists the largest domains, ties by name: picking them among millions of
    one-row domains without sorting them all gives what sorting them all would."""
    import random

    from auditor.scan.report import _ranked

    rng = random.Random(7)
    domains = [f"d{rng.randrange(10**6)}.example" for _ in range(5000)]
    platforms = [rng.choice(["youtube", None, "flickr"]) for _ in domains]
    sizes = [rng.choice([1, 1, 1, 2, 5]) for _ in domains]
    table = pa.table({"domain": domains, "platform": platforms, "rows_sum": sizes})
    everything = sorted(
        zip(sizes, domains, platforms, strict=True), key=lambda r: (-r[0], r[1], r[2] or "")
    )
    for limit in (1, 10, 900, 1100, 4999, None):
        ranked = _ranked(table, ["domain", "platform"], limit)
        got = list(
            zip(
                ranked.column("rows_sum").to_pylist(),
                ranked.column("domain").to_pylist(),
                ranked.column("platform").to_pylist(),
                strict=True,
            )
        )
        assert got == everything[:limit], limit


def test_a_failed_write_is_an_error_and_leaves_no_file(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The split is written on threads of its own: what fails there fails the scan (exit 2,
    one line), and neither the target nor a temporary file is left behind."""
    from auditor.scan import sinks

    def broken(self: sinks.Sink, chunk: object, keep: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sinks.Sink, "_write", broken)
    allowed, blocked = tmp_path / "allowed.parquet", tmp_path / "blocked.parquet"
    code, out, err = run(mixed, "--write-allowed", allowed, "--write-blocked", blocked)
    assert code == 2 and out == ""
    assert err.strip().startswith("error:") and "No space left on device" in err
    assert len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.parquet"]


def test_a_failure_in_one_sink_renames_neither_file(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both files are written before either is renamed: when only the blocked file fails, the
    allowed file already in place is left as it was, not replaced by half of a new split."""
    import threading

    from auditor.scan import sinks

    real = sinks.Sink._write

    def blocked_fails(self: sinks.Sink, chunk: object, keep: object) -> None:
        if self.path.name.startswith("blocked"):
            raise OSError(28, "No space left on device")
        real(self, chunk, keep)  # type: ignore[arg-type]

    monkeypatch.setattr(sinks.Sink, "_write", blocked_fails)
    allowed, blocked = tmp_path / "allowed.parquet", tmp_path / "blocked.parquet"
    allowed.write_bytes(b"the last run's split")
    code, _, err = run(mixed, "--write-allowed", allowed, "--write-blocked", blocked)
    assert code == 2 and "No space left on device" in err
    assert allowed.read_bytes() == b"the last run's split"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allowed.parquet", "mixed.parquet"]
    assert not [t for t in threading.enumerate() if t.name.startswith("sink ")]


def test_a_close_that_fails_again_on_abort_still_aborts_every_sink(
    mixed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk fails the close of a file, then fails it again when the scan cleans up: the
    first failure is reported, and every sink is stopped and its temporary file removed."""
    import threading

    def close(self: pq.ParquetWriter) -> None:
        raise OSError(28, "No space left on device (close)")

    monkeypatch.setattr(pq.ParquetWriter, "close", close)
    allowed, blocked = tmp_path / "allowed.parquet", tmp_path / "blocked.parquet"
    code, _, err = run(mixed, "--write-allowed", allowed, "--write-blocked", blocked)
    assert code == 2 and "(close)" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.parquet"]
    assert not [t for t in threading.enumerate() if t.name.startswith("sink ")]


def test_every_invalid_reason_is_a_documented_rule_id() -> None:
    """The ``invalid-<reason>`` ids scan reports carry are listed by ``auditor rules``, each once,
    and kept out under every policy."""
    from auditor.cli import app as cli_app
    from auditor.rulebook import load_rulebook

    documented = [doc.id for doc in load_rulebook().invalid]
    assert documented == [f"invalid-{reason.value}" for reason in Invalid]
    result = CliRunner().invoke(cli_app, ["rules", "--format", "json"])
    assert result.exit_code == 0
    listed = {r["id"]: r for r in json.loads(result.stdout)["rules"]}
    for rule in documented:
        assert listed[rule]["scan_only"] is True
        assert set(listed[rule]["severity"].values()) == {"error"}


def test_dotted_names_cut_suffixes_as_a_split_on_dots_does() -> None:
    from auditor.scan.hosts import DottedNames

    rng = random.Random(5)
    names: list[str | None] = [None, "com", "a.b", "x.y.z.w", "", "www.bbc.co.uk"]
    for _ in range(300):
        labels = [
            "".join(rng.choices("ab-_1", k=rng.randint(1, 4))) for _ in range(rng.randint(1, 6))
        ]
        names.append(".".join(labels) if rng.random() > 0.1 else None)
    whole = pa.array(["pad.example", *names, "tail.example"], pa.string())
    for array in (whole.slice(1, len(names)), pa.array(names, pa.string())):  # offset or not
        dotted = DottedNames(array)
        assert dotted.labels().to_pylist() == [
            None if n is None else n.count(".") + 1 for n in names
        ]
        among = pa.array([rng.random() < 0.5 for _ in names])
        for count in range(1, 8):
            want = [
                None if n is None or n.count(".") + 1 < count else ".".join(n.split(".")[-count:])
                for n in names
            ]
            assert dotted.suffix(count).to_pylist() == want
            picked = [w if a else None for w, a in zip(want, among.to_pylist(), strict=True)]
            assert dotted.suffix(count, among).to_pylist() == picked
    empty = DottedNames(pa.array([], pa.string()))
    assert empty.suffix(2).to_pylist() == [] and empty.labels().to_pylist() == []


def test_only_values_with_a_query_fragment_or_backslash_are_cut() -> None:
    from auditor.scan.hosts import cut_at_query

    values = pa.array(["a.com?x", "b.org", "c.net#f", "d.io\\e", None, "e.de"])
    assert cut_at_query(values).to_pylist() == ["a.com", "b.org", "c.net", "d.io", None, "e.de"]
    plain = values.slice(5, 1)  # a slice whose neighbours have a "?" and a "#"
    assert cut_at_query(plain) is plain
    empty = pa.array([], pa.string())
    assert cut_at_query(empty) is empty


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_forgetting_the_hosts_between_batches_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, mixed: Path, tmp_path: Path, rows: int
) -> None:
    """The cache of judged hosts is bounded: past HOST_CACHE classes, the engine forgets them all
    and judges hosts again, opt-outs judged per path included, with the same counts and split."""
    from auditor.scan import engine

    def scanned(out: Path) -> tuple[str, list[dict[str, object]], list[dict[str, object]]]:
        options = ScanOptions(
            snapshots=SNAPSHOTS,
            write_allowed=out / "allowed.parquet",
            write_blocked=out / "blocked.parquet",
        )
        report = scan(Source(mixed, InputFormat.PARQUET, batch_rows=rows), options)
        files = (out / "allowed.parquet", out / "blocked.parquet")
        allowed, blocked = (pq.read_table(f).to_pylist() for f in files)
        return report.model_dump_json(), allowed, blocked

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    kept = scanned(tmp_path / "a")
    monkeypatch.setattr(engine, "HOST_CACHE", 0)
    assert scanned(tmp_path / "b") == kept


@pytest.mark.parametrize("rows", [1, 3, 7])
def test_hosts_judged_ahead_in_the_workers_are_judged_alike(
    monkeypatch: pytest.MonkeyPatch, mixed: Path, tmp_path: Path, rows: int
) -> None:
    """When most of a batch's hosts are new, the next batches' hosts are judged in the worker
    threads: the report and the split are those of hosts judged on the classifier's thread."""
    from auditor.scan import engine

    weird = [f"https://{a}/p" for a in AUTHORITIES] + [u or "" for u in WEIRD_URLS]
    urls = pa.table({"url": weird * 2, "license": ["CC-BY-4.0", None] * len(weird)})
    pq.write_table(urls, tmp_path / "weird.parquet")

    def scanned(path: Path, out: Path) -> tuple[str, list[dict[str, object]]]:
        out.mkdir()
        options = ScanOptions(snapshots=SNAPSHOTS, write_blocked=out / "blocked.parquet")
        report = scan(Source(path, InputFormat.PARQUET, batch_rows=rows), options)
        return report.model_dump_json(), pq.read_table(out / "blocked.parquet").to_pylist()

    for path in (mixed, tmp_path / "weird.parquet"):
        monkeypatch.setattr(engine, "_JUDGE_AHEAD", 2.0)  # never
        alone = scanned(path, tmp_path / f"alone-{path.stem}")
        monkeypatch.setattr(engine, "_JUDGE_AHEAD", -1.0)  # always, once the classifier is up
        assert scanned(path, tmp_path / f"ahead-{path.stem}") == alone
