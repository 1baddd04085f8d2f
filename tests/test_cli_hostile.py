"""Hostile and broken input through the CLI: exit 2 with one line naming the file (and line), no
traceback, no hang, and never a pass. Big inputs are generated here, never committed."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import auditor.engine
import auditor.explanation
from auditor.cli import app
from auditor.readers import native
from tests.conftest import EXAMPLES, fixture_path

runner = CliRunner()
DEBUG_HINT = "(run with --debug for the traceback)"


def check(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", "--offline", *args])
    return result.exit_code, result.stdout, result.stderr


def assert_input_error(path: Path | str, line: int | None, message: str, *args: str) -> None:
    code, out, err = check(str(path), *args)
    assert (code, out) == (2, ""), err
    assert err.count("\n") == 1, err
    where = f"{path}:{line}" if line else f"{path}"
    assert err.startswith(f"error: {where}: {message}"), err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("cyclonedx.no-data-component.json", 1, "no datasets"),
        ("spdx2.no-packages.json", 8, "no datasets"),
        ("spdx3.no-dataset.json", 1, "no datasets"),
        ("dpi.template-like-id.json", 9, "record 'demo-template' is the schema template's"),
        ("cyclonedx.unknown-type.json", 12, "unknown component type 'dataset'"),
        ("spdx3.spdxid-not-a-string.json", 11, "'@graph.1.spdxId' must be an identifier"),
        ("dpi.license-not-text.json", 8, "'demo-real.Licenses.1.License' must be a string"),
        ("cyclonedx.licenses-not-a-list.json", 9, "'components.0.licenses' must be a list"),
        ("datapackage.licenses-not-a-list.json", 3, "'licenses' must be a list"),
        ("json.duplicate-key.json", 5, "duplicate key 'license'"),
        ("yaml.recursive-alias.yaml", 3, "recursive alias '*r'"),
        ("yaml.billion-laughs.yaml", 6, "YAML aliases stand for more than 100,000 values"),
        ("yaml.timestamp.yaml", 6, "invalid YAML value '2020-13-45'"),
        ("manifest.nul-in-source.yaml", 6, "a string holds a NUL character"),
    ],
)
def test_hostile_fixture_exits_2_naming_file_and_line(name: str, line: int, message: str) -> None:
    assert_input_error(fixture_path(f"hostile/{name}"), line, message)


def test_forced_format_on_a_wrongly_typed_dpi_field() -> None:
    path = fixture_path("hostile/dpi.licenses-not-a-list.json")
    assert_input_error(path, 6, "'demo-real.Licenses' must be a list", "--input-format", "dpi")


def test_corpus_boms_without_data_exit_2(corpus: Path) -> None:
    # Four CycloneDX test documents of the corpus describe no data: they passed on "0 datasets".
    for path in sorted(corpus.glob("cyclonedx/valid-license-*-1.6.json")):
        assert_input_error(path, 1, "no datasets")


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("deep.json", "[" * 100_000 + "]" * 100_000, 1, "nested more than 100 levels deep"),
        ("deep.yaml", "a: " + "[" * 990 + "]" * 990 + "\n", 1, "nested more than 100 levels"),
        (
            "digits.yaml",
            "version: 1\nname: n\ndatasets:\n  - id: a\n    weight: " + "9" * 5000 + "\n",
            5,
            "an integer of more than 100 digits",
        ),
        (
            "digits.json",
            '{"version": 1, "name": "n",\n "datasets": [{"id": "a", "weight": '
            + "9" * 5000
            + "}]}",
            2,
            "an integer of more than 100 digits",
        ),
    ],
)
def test_generated_hostile_manifest(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert_input_error(path, line, message)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: _fifo(tmp / "mix.yaml"), "is not a regular file (it is a FIFO)"),
        (lambda tmp: Path("/dev/zero"), "is not a regular file (it is a device)"),
        (lambda tmp: tmp, "is a directory, expected a file"),
    ],
    ids=["fifo", "dev-zero", "directory"],
)
def test_special_files_are_refused_without_reading(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    assert_input_error(make(tmp_path), None, message)


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def test_input_larger_than_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The limit is lowered rather than a file of 16 MiB written; it still covers the bundled rules.
    path = tmp_path / "mix.yaml"
    entry = "  - id: d{i}\n    license: MIT\n"
    path.write_text(
        "version: 1\nname: big\ndatasets:\n" + "".join(entry.format(i=i) for i in range(9999))
    )
    monkeypatch.setenv("AUDITOR_MAX_INPUT_BYTES", "100000")
    assert_input_error(
        path,
        None,
        "the file is larger than 100,000 bytes (raise the limit with AUDITOR_MAX_INPUT_BYTES)",
    )


def test_a_bug_in_a_reader_exits_2_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise KeyError("licence")

    monkeypatch.setattr(native, "read", broken)
    path = EXAMPLES / "clean-commercial.yaml"
    code, out, err = check(str(path))
    assert (code, out) == (2, "")
    assert err == f"error: {path.as_posix()}: unexpected error: KeyError: 'licence' {DEBUG_HINT}\n"
    code, _, err = check(str(path), "--debug")
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert err.endswith(f"KeyError: 'licence' {DEBUG_HINT}\n")


def test_a_bug_while_judging_names_the_manifest(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(auditor.engine, "evaluate", broken)
    path = EXAMPLES / "clean-commercial.yaml"
    code, _, err = check(str(path))
    assert code == 2
    assert err == (
        f"error: {path.as_posix()}: unexpected error: RecursionError: maximum recursion depth "
        f"exceeded {DEBUG_HINT}\n"
    )


def test_a_bug_in_explain_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise ValueError("two\nlines")

    monkeypatch.setattr(auditor.explanation, "explain", broken)
    result = runner.invoke(app, ["explain", "MIT"])
    assert result.exit_code == 2
    expected = f"error: explain: unexpected error: ValueError: two lines {DEBUG_HINT}\n"
    assert result.stderr == expected
