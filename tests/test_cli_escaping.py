"""What users type and name reaches a terminal or CI log escaped: explain's table, every error
line (its path and its message), and standard input that is not UTF-8 is one input error."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app

runner = CliRunner()
HOSTILE = "\x1b[2J::error::pwn\u202eCC0"


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def assert_inert(text: str) -> None:
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert not any(line.lstrip().startswith("::") for line in text.splitlines())


@pytest.mark.parametrize("command", ["check", "explain"])
def test_stdin_that_is_not_utf8_is_one_input_error(command: str) -> None:
    code, out, err = run(command, "-", stdin=b"MIT\n\xff\xfe")
    assert (code, out) == (2, "")
    assert err == "error: <stdin>:2: file is not valid UTF-8\n"


def test_explain_table_escapes_controls_bidi_and_colons() -> None:
    code, out, err = run("explain", HOSTILE)
    assert (code, err) == (0, "")
    assert_inert(out)
    assert "\\x1b[2J\\x3a\\x3aerror\\x3a\\x3apwn\\u202eCC0" in out


def test_explain_json_keeps_the_value_exactly() -> None:
    code, out, _ = run("explain", HOSTILE, "--format", "json")
    assert code == 0
    assert '"input":"\\u001b[2J::error::pwn\u202eCC0"' in out


@pytest.mark.parametrize("command", ["check", "scan"])
def test_error_line_escapes_the_path(command: str, tmp_path: Path) -> None:
    path = tmp_path / "e\x1b[31m\u202ex.tar"
    path.write_bytes(b"xx")
    code, out, err = run(command, str(path))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1, err
    assert_inert(err)
    assert err.startswith(f"error: {tmp_path}/e\\x1b[31m\\u202ex")


def test_missing_file_with_controls_in_its_name(tmp_path: Path) -> None:
    code, out, err = run("check", str(tmp_path / "\x1b[31mnope::x.yaml"))
    assert (code, out) == (2, "")
    assert err == f"error: {tmp_path}/\\x1b[31mnope\\x3a\\x3ax.yaml: no such file\n"


def test_yaml_key_with_a_control_character_is_one_line_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "ctl.yaml"
    path.write_text("datasets:\n  - id: x\n    \x1bkey: 1\n")
    code, out, err = run("check", "--offline", str(path))
    assert (code, out) == (2, "")
    assert err == f"error: {path}:3: invalid YAML: character #x001b is not allowed\n"


def test_github_annotation_percent_encodes_the_file_property(tmp_path: Path) -> None:
    folder = tmp_path / "gh"
    folder.mkdir()
    manifest = folder / "x,line=99::evil.yaml"
    manifest.write_text("version: 1\nname: m\ndatasets:\n  - id: nc\n    license: CC-BY-NC-4.0\n")
    code, out, err = run(
        "check", "--offline", "--format", "github", "--sarif-root", str(tmp_path), str(manifest)
    )
    assert code == 1
    assert err.startswith("auditor: FAIL"), err
    assert out.splitlines()[0].startswith(
        "::error file=gh/x%2Cline=99%3A%3Aevil.yaml,line=5,title=auditor%3A license-noncommercial::"
    ), out
