"""``check -`` reads standard input as a file of the same content is read: the content is
sniffed by the code that reads files, so a plain list of references or a YAML list of ids on
stdin is recognised as in a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.readers import read, read_text
from auditor.readers.text_list import sniff
from tests.conftest import fixture_path

runner = CliRunner()
LIST = "# the mix\ntatsu-lab/alpaca\n\nhf://openai/gsm8k  # maths\n"


def datasets(report: str) -> list[tuple[str, int]]:
    return [(d["id"], d["location"]["line"]) for d in json.loads(report)["datasets"]]


def check(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", "--offline", "-f", "json", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("list.txt", LIST),
        ("list.yaml", "- tatsu-lab/alpaca\n- hf://openai/gsm8k\n"),
        ("list.json", '["tatsu-lab/alpaca", "hf://openai/gsm8k"]'),
        ("list", LIST),
    ],
)
def test_stdin_reads_what_a_file_of_that_content_reads(
    name: str, text: str, tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_text(text)
    code, from_file, err = check(str(path))
    assert code == 1, err
    code, from_stdin, err = check("-", stdin=text)
    assert code == 1, err
    assert err.startswith("auditor: FAIL"), err
    assert datasets(from_stdin) == datasets(from_file)
    assert sorted(i for i, _ in datasets(from_stdin)) == ["hf://openai/gsm8k", "tatsu-lab/alpaca"]


def test_a_plain_list_keeps_its_line_numbers() -> None:
    manifest = read_text(LIST, "<stdin>")
    assert manifest.format == "text-list"
    assert [d.location.line for d in manifest.datasets] == [2, 4]


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nname: x\ndatasets: []\n",
        "tatsu-lab/alpaca\nlicense: mit\n",
        "null\n",
        "42\n",
        "- a/b\n",
        "'a/b'\n",
        "# only a comment\n",
        "a/b:\n",
        "just\nwords\n",
    ],
)
def test_sniffing_leaves_yaml_to_yaml(text: str) -> None:
    assert not sniff(text)


def test_a_yaml_list_of_ids_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mix.yaml"
    path.write_text("- tatsu-lab/alpaca\n- openai/gsm8k\n")
    manifest = read(path)
    assert manifest.format == "text-list"
    assert [(d.id, d.location.line) for d in manifest.datasets] == [
        ("tatsu-lab/alpaca", 1),
        ("openai/gsm8k", 2),
    ]


@pytest.mark.parametrize(
    ("fixture", "fmt"),
    [
        ("readers/spdx2.dataset.spdx", "spdx2"),
        ("readers/hf-card/gated-modern/README.md", "hf-card"),
        ("readers/references.txt", "text-list"),
    ],
)
def test_content_sniffed_from_stdin_reads_as_the_file(
    fixture: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fixture_path(fixture)
    monkeypatch.chdir(path.parent)  # a card on stdin is named after the working folder
    from_file = read(path)
    from_stdin = read_text(path.read_text(encoding="utf-8"), "<stdin>")
    assert from_file.format == from_stdin.format == fmt
    read_from_file = [d.model_dump_json() for d in from_file.datasets]
    read_from_stdin = [d.model_dump_json() for d in from_stdin.datasets]
    assert read_from_stdin == [
        f.replace(f'"{from_file.path}"', '"<stdin>"') for f in read_from_file
    ]
