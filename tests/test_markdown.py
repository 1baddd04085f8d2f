"""The Markdown summary: verdict first, blocked and review datasets with reason and line, waivers,
totals; user data escaped so it cannot break the table or add formatting."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from auditor.api import audit
from auditor.cli import app
from auditor.render.markdown import render_input_error, render_markdown
from auditor.report import Report
from tests.conftest import EXAMPLES, TODAY, fixture_path


def report_for(*paths: Path, waivers: Path | None = None) -> Report:
    return audit(list(paths), waivers=waivers, today=TODAY)


def table_rows(markdown: str, heading: str) -> list[str]:
    table = markdown.split(f"### {heading}\n\n", 1)[1].split("\n\n", 1)[0]
    return table.splitlines()[2:]


def cells(row: str) -> list[str]:
    """The cells of a table row, split on unescaped pipes as GitHub does."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]


def test_failing_mix_leads_with_the_verdict() -> None:
    text = render_markdown(report_for(EXAMPLES / "video-mix.yaml"))
    assert text.startswith("## ❌ auditor: FAIL\n\n")
    assert "gate fails under policy `commercial` (fail on error): 5 of 5 datasets blocked" in text
    assert text.index("FAIL") < text.index("### Blocked and review datasets") < text.index("Totals")


def test_table_lists_blocked_datasets_with_reason_and_line() -> None:
    manifest = EXAMPLES / "video-mix.yaml"
    report = report_for(manifest)
    rows = [cells(r) for r in table_rows(render_markdown(report), "Blocked and review datasets")]
    assert all(len(r) == 5 for r in rows)
    listed = [f for f in report.findings if f.severity.value in ("error", "warning")]
    assert len(rows) == len(listed)
    first = rows[0]
    assert first[:2] == ["`academic-clips`", "**blocked**"]
    assert first[2] == "error: `license-research-only`"
    assert first[3] == "LicenseRef-Research-Only-Terms limits use to research or academic purposes"
    line = (
        manifest.read_text(encoding="utf-8")
        .splitlines()
        .index('    license: "Released for non-commercial research purposes only."')
    )
    assert first[4] == f"`{manifest}:{line + 1}`"
    # The dataset and its verdict are named once, on its first row.
    assert rows[1][:2] == ["", ""]
    assert {r[0] for r in rows} - {""} == {f"`{d.id}`" for d in report.datasets}


def test_review_datasets_follow_blocked_ones_and_info_is_only_counted() -> None:
    report = report_for(EXAMPLES / "instruct-mix.yaml")
    text = render_markdown(report)
    rows = [cells(r) for r in table_rows(text, "Blocked and review datasets")]
    verdicts = [r[1] for r in rows if r[1]]
    assert verdicts == ["**blocked**", "**blocked**", "**review**"]
    assert "license-attribution" not in text
    assert cells(table_rows(text, "Totals")[0]) == ["4", "1", "1", "2", "4", "1", "5", "0"]


def test_passing_mix_says_so_first() -> None:
    text = render_markdown(report_for(EXAMPLES / "clean-commercial.yaml"))
    assert text.startswith("## ✅ auditor: PASS\n\n")
    assert "The training-data gate passes" in text
    assert "### Waived" not in text


def test_waived_findings_and_unused_waivers_are_listed() -> None:
    report = report_for(
        EXAMPLES / "video-mix.yaml",
        EXAMPLES / "instruct-mix.yaml",
        waivers=fixture_path("action/waivers.yaml"),
    )
    text = render_markdown(report)
    waived = text.split("### Waived\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert waived[0].startswith("- `captioned-clips` `license-noncommercial` (error) at `")
    assert waived[0].endswith(
        ": Captions relicensed commercially | see contract C-7 (signed). "
        "Approved by Sam Lead, expires 2099-12-31."
    )
    assert waived[1].startswith("- `dolly` `license-share-alike` (warning)")
    assert (
        waived[2]
        == "- 1 waiver(s) matched no finding: `license-noncommercial` for `not-in-any-manifest`"
    )
    assert "`captioned-clips`" not in "".join(
        r for r in table_rows(text, "Blocked and review datasets") if "noncommercial" in r
    )


def test_user_data_cannot_break_the_table_or_add_formatting() -> None:
    text = render_markdown(report_for(fixture_path("action/manifest.escaping.yaml")))
    rows = [cells(r) for r in table_rows(text, "Blocked and review datasets")]
    assert all(len(r) == 5 for r in rows)
    ids = sorted({r[0] for r in rows} - {""})
    # Pipes are escaped in cells; a code span fenced with more backticks than the id holds keeps
    # the id literal: no bold, no HTML, no entity, no math.
    assert ids == ["``**bold**_`code`_<b>&amp;$x$``", "`a\\|b%0A::warning::x,y:z`"]


def test_messages_are_escaped() -> None:
    assert render_input_error("bad *x* <b>|`y`\n::error::z") == (
        "## ⚠️ auditor: input error\n\nbad \\*x\\* \\<b\\>|\\`y\\` ::error::z\n"
    )


def test_long_tables_stop_and_say_how_many_are_left() -> None:
    report = report_for(EXAMPLES / "video-mix.yaml")
    text = render_markdown(report, max_rows=4)
    assert len(table_rows(text, "Blocked and review datasets")) == 4
    listed = sum(f.severity.value in ("error", "warning") for f in report.findings)
    assert f"…and {listed - 4} more; the SARIF and JSON reports list every finding." in text


def test_output_is_deterministic_and_the_cli_writes_it(tmp_path: Path) -> None:
    report = report_for(EXAMPLES / "video-mix.yaml")
    assert render_markdown(report) == render_markdown(report)
    out = tmp_path / "summary.md"
    result = CliRunner().invoke(
        app, ["check", str(EXAMPLES / "video-mix.yaml"), "-f", "markdown", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("## ❌ auditor: FAIL")


def test_no_table_when_nothing_is_blocked_or_for_review() -> None:
    report = report_for(EXAMPLES / "clean-commercial.yaml")
    info_only = report.model_copy(
        update={"findings": tuple(f for f in report.findings if f.severity.value == "info")}
    )
    text = render_markdown(info_only)
    assert "### Blocked and review datasets" not in text
    assert text.index("## ✅ auditor: PASS") < text.index("### Totals")
