"""The draft EU AI Act training-content summary: what auditor fills, what it leaves to the
provider, scans feeding the top domains, determinism, and user data kept inert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.engine import judge_manifests
from auditor.model import Category
from auditor.summary import TEMPLATE, TO_COMPLETE, Status, Summary, build_summary
from tests.conftest import EXAMPLES, FIXTURES, fixture_path
from tests.test_html import chromium, render_in_browser  # noqa: F401 (the fixture, by name)

FIELDS = fixture_path("manifest.summary-fields.yaml")


def run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def scan_json(tmp_path: Path) -> Path:
    """The JSON report `auditor scan` writes for the mixed rows, read against the snapshots."""
    out = tmp_path / "scan.json"
    scan = FIXTURES / "scan"
    code, _, err = run(
        "scan", scan / "mixed.csv", "--optout-snapshots", scan / "snapshots", "-f", "json",
        "-o", out,
    )  # fmt: skip
    assert code == 1, err  # the rows fail the scan's gate; the report is written all the same
    return out


def fields(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for s in summary["sections"] for f in s["fields"]}


def summary_json(*args: str | Path) -> dict[str, Any]:
    code, out, _ = run("summary", *args, "--offline", "-f", "json")
    assert code == 0
    parsed: dict[str, Any] = json.loads(out)
    return parsed


def test_fills_what_the_manifest_states_and_leaves_the_rest(scan_json: Path) -> None:
    summary = summary_json(FIELDS, "--scan", scan_json)
    assert summary["schema_version"] == "1.0"
    assert summary["template"]["version"] == "24 July 2025"
    assert summary["template"]["url"] == TEMPLATE.url
    assert "not legal advice" in summary["disclaimer"]
    got = fields(summary)
    # Nothing in a manifest says who the provider is or which model it trains.
    for key in ("provider", "model-name", "placement-date", "illegal-content", "code-of-practice"):
        assert (got[key]["status"], got[key]["value"]) == ("to-complete", None), key
    assert got["modalities"]["status"] == "filled"
    assert got["modalities"]["value"] == "text (1 dataset); image (1 dataset)"
    # A total of what is stated; the template's range is the provider's to choose.
    assert got["size"]["status"] == "partial"
    assert got["size"]["value"] == (
        "text: 1,200,000,000 tokens (stated for 1 dataset); image: 35,000 images (stated for 1 "
        "dataset)"
    )
    assert got["latest-collection-date"] == {
        "key": "latest-collection-date",
        "label": "Latest date of data collection",
        "status": "filled",
        "value": "2024-06-30",
        "note": None,
        "datasets": [],
        "domains": [],
    }
    assert got["crawlers"]["value"] == "crawl: ExampleBot/1.0"
    assert got["collection-period"]["value"] == "crawl: 2024-01-01 to 2024-06-30"
    (scraped,) = got["scraped-data"]["datasets"]
    assert (scraped["id"], scraped["category"], scraped["basis"], scraped["version"]) == (
        "crawl",
        "scraped",
        "declared: category scraped",
        "2024-06",
    )
    # Every category is declared, so the empty lists can say no.
    assert got["synthetic-data"]["status"] == "filled"
    assert got["synthetic-data"]["value"].startswith("No:")


def test_a_scan_feeds_the_top_domains_and_the_optouts(scan_json: Path) -> None:
    got = fields(summary_json(FIELDS, "--scan", scan_json))
    assert got["top-domains"]["status"] == "partial"
    assert got["top-domains"]["domains"] == [
        {
            "scan": str(FIXTURES / "scan" / "mixed.csv"),
            "rank": 1,
            "domain": "example.com",
            "rows": 2,
            "share": 0.285714,
        }
    ]
    optouts = got["optout-measures"]
    assert optouts["status"] == "partial"
    assert "saved for 1 host" in optouts["value"]
    assert "by rule: optout-robots-txt 1;" in optouts["value"]


def test_without_a_scan_top_domains_are_the_providers(tmp_path: Path) -> None:
    got = fields(summary_json(EXAMPLES / "video-mix.yaml"))
    assert got["top-domains"]["status"] == "to-complete"
    assert got["top-domains"]["domains"] == []
    assert "netflix.com" in got["top-domains"]["note"]  # named in the manifest, unranked
    assert got["optout-measures"]["status"] == "to-complete"


def test_categories_are_inferred_with_their_basis_and_unknown_ones_left() -> None:
    summary = build_summary(judge_manifests(EXAMPLES / "video-mix.yaml", offline=True), [])
    listed = {
        d.id: (d.category, d.basis) for s in summary.sections for f in s.fields for d in f.datasets
    }
    assert listed == {
        "youtube-bulk": (Category.SCRAPED, "collected from https://www.youtube.com by yt-dlp"),
        "netflix-titles": (Category.SCRAPED, "collected from netflix.com by yt-dlp"),
        "academic-clips": (Category.SCRAPED, "collected from https://youtu.be/ by yt-dlp"),
        "recaptioned-clips": (Category.SYNTHETIC, "generated by gpt-4o"),
    }
    assert [d.id for d in summary.unclassified] == ["captioned-clips"]
    public = _field(summary, "public-datasets")
    # Nothing is public here, but undeclared categories mean auditor cannot say no.
    assert (public.status, public.value) == (Status.TO_COMPLETE, None)
    assert public.note is not None and "the category of 5 datasets is not declared" in public.note


def test_stated_sizes_are_added_and_the_gaps_named(tmp_path: Path) -> None:
    manifest = tmp_path / "mix.yaml"
    manifest.write_text(
        "version: 1\nname: x\ndatasets:\n"
        "  - {id: a, license: CC0-1.0, modalities: [text], size: {tokens: 1000}}\n"
        "  - {id: b, license: CC0-1.0, modalities: [text], size: {tokens: 2500}}\n"
        "  - {id: c, license: CC0-1.0, modalities: [text, audio]}\n",
        encoding="utf-8",
    )
    size = _field(build_summary(judge_manifests(manifest), []), "size")
    assert size.status is Status.PARTIAL
    assert size.value == "text: 3,500 tokens (stated for 2 datasets)"
    assert size.note == (
        "Choose the template's size range for each modality from these totals. text size not "
        "stated for c. audio size not stated for c."
    )


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_two_runs_are_byte_identical(fmt: str, tmp_path: Path, scan_json: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        target = tmp_path / f"{name}.{fmt}"
        code, out, err = run(
            "summary", EXAMPLES / "instruct-mix.yaml", EXAMPLES / "video-mix.yaml",
            "--scan", scan_json, "--offline", "-f", fmt, "-o", target,
        )  # fmt: skip
        assert (code, out) == (0, ""), err
        assert "summary: a draft of 25 template fields:" in err
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]


def test_markdown_and_html_mark_every_field_left_to_the_provider() -> None:
    statuses = [f["status"] for f in fields(summary_json(FIELDS)).values()]
    left = sum(status != "filled" for status in statuses)
    assert left == 15  # 13 fields left whole (no scan), 2 partly filled
    code, md, _ = run("summary", FIELDS, "--offline")
    assert code == 0
    assert md.startswith("# EU AI Act public summary of training content: draft\n")
    assert "version of 24 July 2025" in md
    # Once in the introduction, then once for each field the provider completes.
    assert md.count(f"*{TO_COMPLETE}*") == 1 + left
    code, page, _ = run("summary", FIELDS, "--offline", "-f", "html")
    assert code == 0
    assert page.startswith("<!DOCTYPE html>\n")
    assert page.count(f"<em>{TO_COMPLETE}</em>") == left


HOSTILE = """\
version: 1
name: hostile
datasets:
  - id: "<script>alert(1)</script>"
    name: "**bold** | pipe \\e[31m"
    license: CC0-1.0
    source: "javascript:alert(1)"
    category: public
    version: "1\\n## Injected heading"
  - id: "x`y"
    license: CC0-1.0
    source: 'https://example.org/"><img src=x onerror=alert(1)>'
    category: public
"""


def test_hostile_values_are_escaped_in_markdown_and_html(tmp_path: Path) -> None:
    manifest = tmp_path / "hostile.yaml"
    manifest.write_text(HOSTILE, encoding="utf-8")
    code, md, _ = run("summary", manifest, "-f", "md")
    assert code == 0
    assert "\x1b" not in md
    assert "| `<script>alert(1)</script>` | \\*\\*bold\\*\\* \\| pipe \\\\x1b\\[31m |" in md
    assert "\n## Injected heading" not in md
    assert "| ``x`y`` |" in md
    code, page, _ = run("summary", manifest, "-f", "html")
    assert code == 0
    assert "<script>" not in page and "<img" not in page and "\x1b" not in page
    assert '<th scope="row"><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></th>' in page
    assert 'href="javascript' not in page  # not a web link: not shown as one
    # A link with spaces or quotes is shown as text, never as a link.
    assert "<td>https://example.org/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>" in page


def test_a_file_that_is_not_a_scan_report_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "scan.json"
    bad.write_text('{"schema_version": "9.0"}', encoding="utf-8")
    code, out, err = run("summary", FIELDS, "--scan", bad)
    assert (code, out) == (2, "")
    assert "not an auditor scan JSON report (schema 1.1)" in err


def _field(summary: Summary, key: str) -> Any:
    return next(f for s in summary.sections for f in s.fields if f.key == key)


@pytest.mark.parametrize(
    ("entry", "category", "basis"),
    [
        ("category: user", Category.USER, "declared: category user"),
        ("generated_by: [gpt-4o]", Category.SYNTHETIC, "generated by gpt-4o"),
        ("crawlers: [ExampleBot]", Category.SCRAPED, "crawlers: ExampleBot"),
        (
            "collected_from: [{domain: example.com, method: licensed}]",
            Category.LICENSED,
            "collected from example.com by licensed",
        ),
        (
            "source: hf://owner/name",
            Category.PUBLIC,
            "published at https://huggingface.co/datasets/owner/name",
        ),
        (
            "source: s3://bucket/x",
            None,
            "no declared category, and nothing in its metadata places it",
        ),
    ],
)
def test_categorize(entry: str, category: Category | None, basis: str, tmp_path: Path) -> None:
    from auditor import readers
    from auditor.summary import categorize

    manifest = tmp_path / "mix.yaml"
    manifest.write_text(f"version: 1\nname: x\ndatasets:\n  - id: a\n    {entry}\n")
    (ds,) = readers.read(manifest).datasets
    assert categorize(ds) == (category, basis)


def test_machine_generated_metadata_is_synthetic() -> None:
    from auditor.model import Dataset, Location
    from auditor.summary import categorize

    ds = Dataset(id="x", location=Location(path="m"), machine_generated=True)
    assert categorize(ds) == (Category.SYNTHETIC, "its metadata says machine-generated")


def test_what_some_datasets_state_is_partial_and_the_rest_named(tmp_path: Path) -> None:
    manifest = tmp_path / "mix.yaml"
    manifest.write_text(
        "version: 1\nname: x\ndatasets:\n"
        "  - {id: a, license: CC0-1.0, category: scraped, modalities: [text], crawlers: [Bot],\n"
        "     collection_period: {end: 2025-03-01}}\n"
        "  - {id: b, license: CC0-1.0, category: scraped}\n",
        encoding="utf-8",
    )
    summary = build_summary(judge_manifests(manifest), [])
    expected = {
        "modalities": ("text (1 dataset)", "No 'modalities' declared for b."),
        "latest-collection-date": (
            "2025-03-01, the latest end stated",
            "No end of collection stated for b.",
        ),
        "crawlers": ("a: Bot", "Not stated for b ('crawlers')."),
        "collection-period": (
            "a: unknown to 2025-03-01",
            "Not stated for b ('collection_period').",
        ),
    }
    for key, (value, note) in expected.items():
        field = _field(summary, key)
        assert (field.status, field.value, field.note) == (Status.PARTIAL, value, note), key


def test_nothing_scraped_and_every_category_declared_is_not_applicable(tmp_path: Path) -> None:
    manifest = tmp_path / "mix.yaml"
    manifest.write_text(
        "version: 1\nname: x\ndatasets:\n  - {id: a, license: CC0-1.0, category: licensed}\n",
        encoding="utf-8",
    )
    summary = build_summary(judge_manifests(manifest), [])
    for key in ("crawlers", "collection-period"):
        field = _field(summary, key)
        assert (field.status, field.value) == (Status.FILLED, "Not applicable: nothing scraped.")
    assert _field(summary, "licensed-datasets").value == "Yes: 1 dataset."


def test_a_scan_without_snapshots_says_no_optout_was_read(tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    code, _, err = run("scan", FIXTURES / "scan" / "mixed.csv", "-f", "json", "-o", out)
    assert code == 1, err
    got = fields(summary_json(FIELDS, "--scan", out))
    assert got["optout-measures"]["value"] == (
        f"{FIXTURES / 'scan' / 'mixed.csv'}: no opt-out file (robots.txt, ai.txt, TDMRep) was "
        "read for any host of its 7 rows."
    )


def test_the_html_summary_renders_in_a_browser_without_errors(
    request: pytest.FixtureRequest, tmp_path: Path, scan_json: Path
) -> None:
    """Headless Chromium loads the page under its Content-Security-Policy with nothing to
    report, as it does the HTML report (skipped without a browser, except in CI)."""
    browser: str = request.getfixturevalue("chromium")
    page = tmp_path / "summary.html"
    code, _, err = run(
        "summary", FIELDS, EXAMPLES / "video-mix.yaml", "--scan", scan_json, "--offline",
        "-f", "html", "-o", page,
    )  # fmt: skip
    assert code == 0, err
    dom, console = render_in_browser(browser, page, tmp_path / "summary.png", tmp_path / "p")
    assert console == [], "\n".join(console)
    source = page.read_text(encoding="utf-8")
    assert "<h1>EU AI Act public summary of training content: draft</h1>" in dom
    for element in ("<table", "<a href", '<p class="note">'):
        assert dom.count(element) == source.count(element) > 0, element
