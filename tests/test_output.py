"""Writing the tool's files: atomic, with the usual mode, never over an input, never mkdir."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.errors import InputError
from auditor.output import check_outputs, same_file, write_atomically


@pytest.fixture
def umask() -> Iterator[None]:
    """A known umask (022) for the test, the process's own restored afterwards."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask")
def test_a_written_file_has_the_usual_mode_not_0600(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomically(target, "{}\n")
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert mode(target) == 0o644
    os.umask(0o077)
    write_atomically(target, "[]\n")  # replaced: the umask decides, as for any new file
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_missing_folder_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "report.json", "{}\n")
    assert not (tmp_path / "missing").exists()


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "folder", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "mix.yaml"
    path.write_text("version: 1\n", encoding="utf-8")
    return path


def refusal(outputs: dict[str, Path | None], inputs: list[Path | None]) -> str:
    with pytest.raises(InputError) as caught:
        check_outputs(outputs, inputs)
    return caught.value.message


def test_an_output_that_is_an_input_is_refused(
    manifest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "--output: would overwrite the input" in refusal({"--output": manifest}, [manifest])
    # The same file by another spelling, a symlink, a hard link.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    assert "would overwrite" in refusal({"-o": Path("sub/../mix.yaml")}, [Path("mix.yaml")])
    link = tmp_path / "link.yaml"
    link.symlink_to(manifest)
    assert "would overwrite the input" in refusal({"--output": link}, [manifest])
    hard = tmp_path / "hard.yaml"
    hard.hardlink_to(manifest)
    assert same_file(hard, manifest)
    assert "would overwrite the input" in refusal({"--write-allowed": hard}, [manifest])


def test_two_outputs_on_one_file_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "rows.jsonl"
    message = refusal({"--write-allowed": target, "--write-blocked": target}, [])
    assert message == "--write-blocked: is also the path of --write-allowed"


def test_a_missing_folder_or_a_folder_target_is_refused(manifest: Path, tmp_path: Path) -> None:
    missing = refusal({"--output": tmp_path / "nope" / "r.json"}, [])
    assert missing == f"--output: the folder {tmp_path / 'nope'} does not exist; it is not created"
    assert not (tmp_path / "nope").exists()
    assert "is not a folder" in refusal({"--output": manifest / "r.json"}, [])
    assert "is a folder" in refusal({"--output": tmp_path}, [])


def test_ordinary_outputs_and_missing_inputs_pass(manifest: Path, tmp_path: Path) -> None:
    check_outputs(
        {"--output": tmp_path / "r.json", "--write-allowed": None},
        [manifest, None, tmp_path / "commercial"],
    )
    check_outputs({"--output": Path("commercial")}, [Path("commercial")])


def test_a_symlink_loop_is_not_the_same_file(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert not same_file(loop, tmp_path / "other")
