"""The HTML report: verdict and policy first, the mix charted by verdict, findings by rule, every
dataset with its claims, sources, license chain and waivers; one file that loads nothing, with
user data escaped; the same bytes every time; and a real headless browser renders it cleanly."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from auditor.api import audit
from auditor.cli import app
from auditor.mix import mix_weights
from auditor.render.html import STYLE, link, linked, render_html, source_link
from auditor.report import Report
from auditor.scan.command import scan as scan_command
from tests.conftest import EXAMPLES, TODAY, fixture_path

ARTIFACTS = Path(__file__).parent.parent / "out" / "test-artifacts"
runner = CliRunner()
scan_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
scan_app.command()(scan_command)


def report_for(*paths: Path, waivers: Path | None = None, policy: str = "commercial") -> Report:
    return audit(list(paths), waivers=waivers, today=TODAY, policy=policy)


def page_for(*paths: Path, waivers: Path | None = None, policy: str = "commercial") -> str:
    report = report_for(*paths, waivers=waivers, policy=policy)
    return render_html(report, weights=mix_weights(list(paths)))


def article(page: str, dataset: str) -> str:
    """The section of one dataset, found by the heading that names it."""
    start = page.index(f"<code>{dataset}</code>")
    start = page.rindex("<article", 0, start)
    return page[start : page.index("</article>", start)]


class Tags(HTMLParser):
    """Every start tag with its attributes, to check what the page could load or run."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(page)
    return parser.tags


# --- what the page says ---------------------------------------------------------------------------


def test_verdict_and_policy_come_first() -> None:
    page = page_for(EXAMPLES / "video-mix.yaml")
    h1 = re.search(r"<h1>(.*?)</h1>", page)
    assert h1 is not None
    assert "FAIL" in h1[1] and "The training-data gate fails" in h1[1]
    assert "Under policy <strong>commercial</strong>" in page
    assert "5 of 5 datasets blocked, 0 for review, 0 allowed." in page
    assert page.index("<h1>") < page.index('id="mix"') < page.index('id="rules"')
    assert page.index('id="rules"') < page.index('id="datasets"') < page.index('id="sign-off"')


def test_the_mix_is_charted_by_dataset_count_and_by_weight() -> None:
    page = page_for(EXAMPLES / "instruct-mix.yaml")
    # alpaca and alpaca-cleaned are blocked (0.3 each), dolly is for review, oasst allowed.
    assert (
        '<desc id="mix-desc">Datasets: 2 blocked (50.0%), 1 review (25.0%), 1 allowed (25.0%). '
        "Weight: blocked 60.0%, review 20.0%, allowed 20.0%.</desc>"
    ) in page
    assert '<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img"' in page
    assert 'aria-labelledby="mix-title mix-desc"' in page
    # The verdict is a word beside the colour, and each verdict has its own fill pattern.
    assert '<span aria-hidden="true">✗</span> BLOCKED</span>' in page
    assert 'fill="url(#hatch-blocked)"' in page and 'fill="url(#stripes-review)"' in page


def test_without_weights_the_mix_is_counted_and_says_so() -> None:
    report = report_for(EXAMPLES / "instruct-mix.yaml")
    page = render_html(report)
    assert "Weight:" not in page and "No dataset states a <code>weight</code>" in page
    alpaca = next(d for d in report.datasets if d.id == "alpaca")
    partial = render_html(report, weights={(alpaca.manifest, "alpaca"): 2.0})
    assert "Weight: blocked 100.0%." in partial
    assert "(1 of 4 datasets, 2 in all); 3 without a weight" in partial


def test_findings_are_grouped_by_rule_most_severe_first() -> None:
    page = page_for(EXAMPLES / "instruct-mix.yaml")
    rules = page.split('id="rules-h"', 1)[1].split("</section>", 1)[0]
    order = re.findall(r'<th scope="row"><span class="nw"><code>([a-z-]+)</code>', rules)
    assert order[0] == "model-output-terms"  # error, on the most datasets
    assert order[-1] in {"license-attribution", "reference-from-registry"}  # info last
    assert "Model-output terms forbid training" in rules  # the rule's name from the rulebook


def test_every_claim_is_shown_with_its_source_linked() -> None:
    report = report_for(EXAMPLES / "instruct-mix.yaml")
    page = render_html(report)
    alpaca = article(page, "alpaca")
    claims = next(d for d in report.datasets if d.id == "alpaca").claims
    assert f"License claims ({len(claims)}), in the order found" in alpaca
    assert (
        'registry (<a href="https://huggingface.co/datasets/tatsu-lab/alpaca" rel="noreferrer">'
        "https://huggingface.co/datasets/tatsu-lab/alpaca</a>)"
    ) in alpaca
    # Each finding's evidence links the license or terms it rests on, with their version.
    for finding in report.findings_for("alpaca"):
        if finding.evidence is not None and finding.evidence.source_url:
            assert f'<a href="{finding.evidence.source_url}"' in alpaca.replace("&amp;", "&")
    assert "4.0 International" in alpaca


def test_inherited_findings_show_the_license_chain() -> None:
    page = page_for(fixture_path("manifest.lineage.yaml"))
    leaf = article(page, "leaf")
    anchors = dict(re.findall(r'<a href="#(d\d+)">([a-z-]+)</a> \(', page))
    middle = next(a for a, name in anchors.items() if name == "middle")
    root = next(a for a, name in anchors.items() if name == "root")
    chain = f'<a href="#d1">leaf</a> ← <a href="#{middle}">middle</a> ← <a href="#{root}">root</a>'
    assert f"<dt>License chain</dt><dd>{chain}" in leaf
    assert f"License chain: {chain}" in leaf


def test_waivers_show_the_approver_and_the_expiry() -> None:
    page = page_for(
        EXAMPLES / "video-mix.yaml",
        EXAMPLES / "instruct-mix.yaml",
        waivers=fixture_path("action/waivers.yaml"),
    )
    clips = article(page, "captioned-clips")
    assert "waived error" in clips
    assert (
        "<strong>Waived:</strong> Captions relicensed commercially | see contract C-7 (signed). "
        "Approved by <strong>Sam Lead</strong>, expires <strong>2099-12-31</strong>"
    ) in clips
    waivers = page.split('id="waivers-h"', 1)[1].split("</section>", 1)[0]
    assert waivers.count('<th scope="row">') == 3
    assert "unused: matched no finding" in waivers and "Jane Counsel" in waivers


def test_a_relaxing_policy_is_called_out() -> None:
    page = page_for(EXAMPLES / "instruct-mix.yaml", policy="research")
    assert '<p class="note" role="note"><strong>Warning:</strong> policy' in page
    assert "relaxes fail-closed rules: lineage-unresolved" in page


def test_a_sign_off_block_follows_the_findings() -> None:
    page = page_for(EXAMPLES / "clean-commercial.yaml")
    assert "The training-data gate passes" in page
    signoff = page.split('id="sign-off-h"', 1)[1]
    assert all(f'<th scope="row">{f}</th><td></td>' in signoff for f in ("Reviewer", "Date"))


def test_an_empty_report_still_reads() -> None:
    report = report_for(EXAMPLES / "clean-commercial.yaml")
    page = render_html(report.model_copy(update={"datasets": (), "findings": (), "waivers": ()}))
    assert "Datasets: ." in page and ">none</text>" in page
    assert "<p>No findings.</p>" in page and "<p>No waivers were given.</p>" in page


def test_findings_on_a_dataset_no_manifest_defines_are_listed_apart() -> None:
    report = report_for(EXAMPLES / "video-mix.yaml")
    kept = tuple(d for d in report.datasets if d.id != "youtube-bulk")
    page = render_html(report.model_copy(update={"datasets": kept}))
    others = page.split('id="other-h"', 1)[1].split("</section>", 1)[0]
    assert others.count('<th scope="row">youtube-bulk</th>') == len(
        report.findings_for("youtube-bulk")
    )


# --- what the page may do -------------------------------------------------------------------------


def test_the_page_loads_nothing_and_admits_only_its_own_stylesheet() -> None:
    page = page_for(EXAMPLES / "video-mix.yaml")
    tags = tags_of(page)
    names = {name for name, _ in tags}
    assert not names & {"script", "img", "link", "iframe", "object", "embed", "image", "use"}
    assert not [a for _, attrs in tags for a in attrs if a in ("src", "srcset", "style")]
    csp = next(
        attrs["content"]
        for name, attrs in tags
        if name == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert csp == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )
    assert f"<style>{STYLE}</style>" in page
    assert page.index("Content-Security-Policy") < page.index("<style>")
    assert re.match(r'<!DOCTYPE html>\n<html lang="en">', page)
    assert "@media print" in STYLE


@pytest.mark.parametrize("manifest", ["manifest.html-injection.yaml", "hostile/mix.yaml"])
def test_user_data_is_escaped_and_inert(manifest: str) -> None:
    page = page_for(fixture_path(manifest))
    tags = tags_of(page)
    assert not {name for name, _ in tags} & {"script", "img", "b"}
    assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]
    hrefs = [attrs["href"] or "" for name, attrs in tags if name == "a"]
    assert all(h.startswith(("#", "https://", "http://")) for h in hrefs)
    assert not [h for h in hrefs if "<" in h or '"' in h]
    assert "\x1b" not in page and "\u202e" not in page and "\u200b" not in page
    if manifest == "manifest.html-injection.yaml":
        assert "&lt;script&gt;alert(&#x27;id&#x27;)&lt;/script&gt;" in page
        assert "javascript:alert(document.domain)" in page  # shown as text, never a link
        assert "CC-BY-4.0\\u202e" in page


def test_only_plain_web_urls_become_links() -> None:
    assert link("javascript:alert(1)") == "javascript:alert(1)"
    assert link("https://a.example/x?a=1&b=2") == (
        '<a href="https://a.example/x?a=1&amp;b=2" rel="noreferrer">'
        "https://a.example/x?a=1&amp;b=2</a>"
    )
    assert link("https://a.example/", "terms") == (
        '<a href="https://a.example/" class="url" rel="noreferrer">terms</a>'
    )
    assert link("https://a.example/\u202e") == "https://a.example/\\u202e"
    assert link("https://") == "https://"
    assert link("http://[1.2/x") == "http://[1.2/x"
    assert source_link("https://a.example/t", "v2 (2024)") == (
        '<a href="https://a.example/t" class="url" rel="noreferrer">v2 (2024)</a> '
        '<small class="muted">(a.example)</small>'
    )
    assert source_link("ftp://a.example/t", "v2") == "ftp://a.example/t<br>v2"
    assert linked("see https://a.example/t. Or (http://b.example/)") == (
        'see <a href="https://a.example/t" rel="noreferrer">https://a.example/t</a>. Or '
        '(<a href="http://b.example/" rel="noreferrer">http://b.example/</a>)'
    )


# --- the command line -----------------------------------------------------------------------------


def test_check_writes_the_same_html_file_every_time(tmp_path: Path) -> None:
    manifest = EXAMPLES / "video-mix.yaml"
    outputs = []
    for name in ("first.html", "second.html"):
        result = runner.invoke(
            app, ["check", str(manifest), "-f", "html", "-o", str(tmp_path / name)]
        )
        assert result.exit_code == 1
        assert result.stdout == ""
        assert "auditor: FAIL" in result.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    page = outputs[0].decode()
    assert "Weight: blocked 100.0%." in page  # the weights were read from the manifest
    result = runner.invoke(app, ["check", str(manifest), "--format", "html"])
    assert result.stdout.encode() == outputs[0]


def test_scan_writes_an_html_report(tmp_path: Path) -> None:
    args = [str(fixture_path("scan/mixed.csv")), "--optout-snapshots"]
    args += [str(fixture_path("scan/snapshots/closed.example.com/robots.txt").parent.parent)]
    pages = []
    for name in ("first.html", "second.html"):
        result = runner.invoke(scan_app, [*args, "-f", "html", "-o", str(tmp_path / name)])
        assert result.exit_code == 1, result.stderr
        pages.append((tmp_path / name).read_bytes())
    assert pages[0] == pages[1]
    page = pages[0].decode()
    assert "The scan gate fails" in page and "6 of 7 rows blocked" in page
    assert '<desc id="rows-desc">Rows: ' in page
    assert '<h2 id="top-domains-h">Top domains</h2>' in page
    assert "invalid: " in page


def test_an_empty_scan_is_an_input_error_with_no_page(tmp_path: Path) -> None:
    """A scan that reads no row is an input error (as ``check`` of no dataset), never a page
    saying that nothing was found."""
    empty = tmp_path / "empty.csv"
    empty.write_text("url\n", encoding="utf-8")
    result = runner.invoke(scan_app, [str(empty), "-f", "html"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"error: {empty}: nothing to scan: no rows found (read as csv)\n"


# --- in a real browser ----------------------------------------------------------------------------

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


@pytest.fixture(scope="module")
def chromium() -> str:
    """A headless Chromium: $CHROMIUM, or one on the PATH. Without one the test is skipped,
    unless AUDITOR_REQUIRE_BROWSER is set (CI sets it, so it cannot pass there by skipping)."""
    found = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, BROWSERS)), None)
    if found:
        return found
    message = (
        "no headless Chromium found (install the distribution's `chromium` package, or set "
        "CHROMIUM=/path/to/chrome): the HTML report was not rendered in a browser"
    )
    if os.environ.get("AUDITOR_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def render_in_browser(
    browser: str, page: Path, screenshot: Path, profile: Path
) -> tuple[str, list[str]]:
    """The DOM Chromium built from ``page`` and the console messages it logged; the screenshot
    is written to ``screenshot``."""
    run = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1200,2000",
            "--virtual-time-budget=3000",
            f"--screenshot={screenshot}",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return run.stdout, console


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def scan_page(tmp_path: Path) -> str:
    out = tmp_path / "scan.html"
    snapshots = fixture_path("scan/snapshots/closed.example.com/robots.txt").parent.parent
    args = [str(fixture_path("scan/mixed.csv")), "--optout-snapshots", str(snapshots)]
    runner.invoke(scan_app, [*args, "-f", "html", "-o", str(out)])
    return out.read_text(encoding="utf-8")


def check_page(tmp_path: Path) -> str:
    return page_for(
        EXAMPLES / "video-mix.yaml",
        EXAMPLES / "instruct-mix.yaml",
        waivers=fixture_path("action/waivers.yaml"),
    )


def injection_page(tmp_path: Path) -> str:
    return page_for(fixture_path("manifest.html-injection.yaml"))


PAGES: dict[str, Callable[[Path], str]] = {
    "check": check_page,
    "scan": scan_page,
    "injection": injection_page,
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_page_renders_in_a_browser_without_errors(
    chromium: str, name: str, tmp_path: Path
) -> None:
    """Rendered by headless Chromium: the page loads, its DOM has the report, and the console
    stays empty (no script runs, so any message is the browser reporting a blocked or failed
    load or a CSP violation). The screenshot is kept in out/test-artifacts/ to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / f"{name}.html"
    source = PAGES[name](tmp_path)
    page.write_text(source, encoding="utf-8")
    screenshot = ARTIFACTS / f"{name}.png"
    screenshot.unlink(missing_ok=True)
    dom, console = render_in_browser(chromium, page, screenshot, tmp_path / "profile")
    assert console == [], "\n".join(console)
    assert "<h1>" in dom and "gate fails" in dom and "</footer>" in dom
    for element in ("<section", "<article", "<table", "<svg", "<a href"):
        assert dom.count(element) == source.count(element), element
    assert png_size(screenshot) == (1200, 2000)


def test_the_browser_check_sees_a_blocked_load(chromium: str, tmp_path: Path) -> None:
    """The check above would notice: a page that breaks its own policy logs console errors."""
    page = tmp_path / "blocked.html"
    head = page_for(EXAMPLES / "clean-commercial.yaml").split("</head>", 1)[0]
    page.write_text(
        head + '</head><body><img src="http://127.0.0.1:9/x.png" alt=""><p style="color:red">'
        "x</p></body></html>\n",
        encoding="utf-8",
    )
    _, console = render_in_browser(chromium, page, tmp_path / "blocked.png", tmp_path / "p")
    assert any("Content Security Policy" in line for line in console), console
