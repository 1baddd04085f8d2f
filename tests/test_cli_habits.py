"""The CLI's habits: completion, one-line and workflow formats, stdin, many values at once, JSON
where a script wants it, help shown as written, piped output unwrapped, counts in good English."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.rulebook import load_rulebook
from tests.conftest import EXAMPLES

ROOT = EXAMPLES.parent
runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_shell_completion_is_offered() -> None:
    code, out, _ = run("--help")
    assert code == 0
    assert "--install-completion" in out and "--show-completion" in out


def test_concise_prints_one_line_per_finding_that_needs_attention() -> None:
    code, out, _ = run("check", str(EXAMPLES / "video-mix.yaml"), "--format", "concise")
    assert code == 1
    lines = out.splitlines()
    path = str(EXAMPLES / "video-mix.yaml")
    assert lines and all(line.startswith(f"{path}:") for line in lines)
    first = lines[0]
    assert first.startswith(f"{path}:27: license-research-only [error] academic-clips: ")
    assert not any("[info]" in line for line in lines)


def test_github_format_is_escaped_workflow_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = run("check", "examples/video-mix.yaml", "--format", "github")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(
        "::error file=examples/video-mix.yaml,line=27,title=auditor%3A license-research-only::"
    )
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)


def test_check_reads_a_manifest_from_stdin() -> None:
    text = (EXAMPLES / "video-mix.yaml").read_text()
    code, out, err = run("check", "-", "--format", "concise", stdin=text)
    assert code == 1, err
    assert out.splitlines()[0].startswith("<stdin>:27: license-research-only [error]")
    code, out, err = run("check", "-", "-", stdin=text)
    assert (code, err) == (2, "error: -: standard input can be read once only\n")


def test_explain_takes_many_values_or_stdin_and_prints_json_lines() -> None:
    code, out, _ = run("explain", "MIT", "CC BY-NC 4.0", "--format", "json")
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert [(o["input"], o["expression"]) for o in objects] == [
        ("MIT", "MIT"),
        ("CC BY-NC 4.0", "CC-BY-NC-4.0"),
    ]
    code, out, _ = run("explain", "-", "-f", "json", stdin="Apache-2.0\n\nodc-by\n")
    assert code == 0
    assert [json.loads(line)["input"] for line in out.splitlines()] == ["Apache-2.0", "odc-by"]
    code, out, _ = run("explain", "MIT", "Apache-2.0")
    assert code == 0
    assert out.count("expression") == 2


def test_rules_as_json_and_as_the_committed_markdown() -> None:
    code, out, _ = run("rules", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "rules"
    book = load_rulebook()
    ids = [d.id.value for d in book.rules] + [d.id for d in book.invalid]
    assert [r["id"] for r in data["rules"]] == ids
    assert "invalid-no-metadata" in ids
    assert data["rules"][0]["severity"] == {"commercial": "error", "research": "error"}
    code, out, _ = run("rules", "--format", "markdown")
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert out == committed, "docs/rules.md is stale: auditor rules -f markdown > docs/rules.md"


def test_help_text_is_shown_as_written() -> None:
    code, out, _ = run("scan", "--help")
    assert code == 0
    assert "[default: license, when there is one]" in " ".join(out.split())


def test_piped_tables_are_not_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS")
    value = (
        "Released for non-commercial research by the consortium under "
        "https://creativecommons.org/licenses/by-nc-sa/4.0/legalcode"
    )
    assert len(value) > 80
    code, out, _ = run("explain", value)
    assert code == 0
    assert value in out.splitlines()[0], "one line, as a terminal 80 wide would not show it"


def test_counts_agree_with_their_nouns(tmp_path: Path) -> None:
    manifest = tmp_path / "one.yaml"
    manifest.write_text("version: 1\nname: one\ndatasets:\n  - id: a\n    license: MIT\n")
    _, _, err = run("check", str(manifest))
    assert err.startswith("auditor: PASS under policy 'commercial': 1 dataset (")
    assert ", 0 errors, " in err


def test_an_option_out_of_range_is_refused_not_replaced(tmp_path: Path) -> None:
    rows = ROOT / "tests" / "fixtures" / "scan" / "mixed.csv"
    code, _, err = run("scan", str(rows), "--top-fraction", "0")
    assert code == 2
    assert "--top-fraction" in err and "must be above 0" in err


def test_the_command_names_its_arrow_allocator_unless_the_environment_does() -> None:
    from auditor.cli import ARROW_POOL, prefer_arrow_pool

    chosen: dict[str, str] = {}
    prefer_arrow_pool(chosen)
    named = {"ARROW_DEFAULT_MEMORY_POOL": "system"}
    prefer_arrow_pool(named)
    assert named == {"ARROW_DEFAULT_MEMORY_POOL": "system"}
    if _POOL_NAMED:
        assert chosen == {"ARROW_DEFAULT_MEMORY_POOL": ARROW_POOL}
        # Built into this platform's pyarrow: else Arrow would warn and fall back.
        assert ARROW_POOL in pa.supported_memory_backends()
    else:
        assert chosen == {}


_POOL_NAMED = sys.platform == "linux" and platform.machine() in ("x86_64", "AMD64")


def test_a_scan_from_the_command_line_allocates_with_the_allocator_named(tmp_path: Path) -> None:
    """In a process of its own, as a user runs it: the pool is named before pyarrow loads, and
    Arrow has nothing to warn about."""
    path = tmp_path / "urls.csv"
    path.write_text("url,license\nhttps://example.org/a.jpg,CC0-1.0\n")
    code = (
        "import atexit, importlib, sys\n"
        "pool = lambda: importlib.import_module('pyarrow').default_memory_pool().backend_name\n"
        "atexit.register(lambda: print(pool()))\n"
        f"sys.argv = ['auditor', 'scan', {str(path)!r}, '--format', 'json']\n"
        "from auditor.cli import main\n"
        "main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "ARROW_DEFAULT_MEMORY_POOL" not in done.stderr and "backend" not in done.stderr
    default = subprocess.run(
        [sys.executable, "-c", "import pyarrow; print(pyarrow.default_memory_pool().backend_name)"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert done.stdout.splitlines()[-1] == ("jemalloc" if _POOL_NAMED else default)
