"""``auditor scan`` over keyed samples: WebDataset shards, saved Hugging Face datasets, MDS.

Every input is built here, small and real: shards as img2dataset and video2dataset write them
(a media placeholder, a caption, a ``.json`` with ``url``/``key``/``status``/``license``), a
``save_to_disk`` folder (Arrow stream files, ``state.json``, ``dataset_info.json``) and MDS
shards in the layout ``streaming``'s MDSWriter writes.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import struct
import subprocess
import sys
import tarfile
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
import typer
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from auditor.cli import app as cli_app
from auditor.errors import InputError
from auditor.scan.command import scan as scan_command
from auditor.scan.loader import BlockedKeys, escape_field, unescape_field
from auditor.scan.shards import Tape, expand_braces
from auditor.summary import load_scan

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.command()(scan_command)
runner = CliRunner()

YOUTUBE = "https://www.youtube.com/watch?v=FAKE"  # platform terms: blocked
OPEN = "https://example.org/img.jpg"


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


# --- building inputs --------------------------------------------------------------------------


def _add(tar: tarfile.TarFile, name: str, data: bytes, kind: bytes = tarfile.REGTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.type = kind
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


Sample = tuple[str, dict[str, Any] | bytes | None]  # key, metadata (None: no .json member)


def img2dataset(key: str, url: str, license_: str | None = None) -> Sample:
    return key, {"url": url, "key": key, "status": "success", "license": license_}


def write_shard(path: Path, samples: Sequence[Sample], *, media: bytes = b"\xff\xd8JPEG") -> Path:
    """One shard: each sample's .jpg, .txt and .json, in that order (as img2dataset does)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for key, meta in samples:
            _add(tar, f"{key}.jpg", media + key.encode())
            _add(tar, f"{key}.txt", f"caption of {key}".encode())
            if meta is not None:
                raw = meta if isinstance(meta, bytes) else json.dumps(meta, indent=4).encode()
                _add(tar, f"{key}.json", raw)
    data = buffer.getvalue()
    match path.name.rsplit(".", 1)[-1]:
        case "gz":
            data = gzip.compress(data, mtime=0)
        case "bz2":
            data = bz2.compress(data)
        case "xz":
            data = lzma.compress(data)
        case "zst":
            data = pa.compress(data, "zstd", asbytes=True)
            # pa.compress writes a raw frame: a zstd frame is what zstd files hold
    path.write_bytes(data)
    return path


def mixed(shard: int) -> list[Sample]:
    """Four samples: allowed, blocked (platform), blocked (license), invalid (no metadata)."""
    return [
        img2dataset(f"{shard:05d}0000", OPEN, "cc-by-4.0"),
        img2dataset(f"{shard:05d}0001", YOUTUBE),
        img2dataset(f"{shard:05d}0002", OPEN, "cc-by-nc-4.0"),
        (f"{shard:05d}0003", None),
    ]


@pytest.fixture
def shards(tmp_path: Path) -> Path:
    folder = tmp_path / "shards"
    folder.mkdir()
    for shard in range(3):
        write_shard(folder / f"{shard:05d}.tar", mixed(shard))
    return folder


def tar_keys(path: Path) -> list[str]:
    with Tape(path) as tape, tarfile.open(fileobj=io.BytesIO(tape.read())) as tar:
        return list(dict.fromkeys(m.name.split(".", 1)[0] for m in tar.getmembers()))


def members_end(path: Path) -> int:
    """Where the last member of a plain shard ends (its data padded to a block)."""
    with tarfile.open(path) as tar:
        last = tar.getmembers()[-1]
    return last.offset_data + -(-last.size // 512) * 512


def lines(path: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("\t")) for line in path.read_text().splitlines()]  # type: ignore[misc]


# --- WebDataset -------------------------------------------------------------------------------


def test_shards_are_split_into_allowed_blocked_and_invalid(shards: Path, tmp_path: Path) -> None:
    keys, allowed, rest = tmp_path / "blocked.tsv", tmp_path / "allowed", tmp_path / "rest"
    report = tmp_path / "report.json"
    code, _, err = run(
        shards, "--write-blocked-keys", keys, "--write-allowed", allowed,
        "--write-blocked", rest, "-f", "json", "-o", report,
    )  # fmt: skip
    assert code == 1, err
    data = json.loads(report.read_text())
    assert data["input_format"] == "webdataset"
    assert data["rows"] == 12 and data["samples"]["shards"] == 3
    assert data["verdicts"] == {"allowed": 3, "review": 0, "blocked": 6, "invalid": 3}
    assert data["invalid"] == {"no-metadata": 3}
    assert data["samples"]["blocked_total"] == 9
    listed = [(s["shard"], s["key"], s["verdict"]) for s in data["samples"]["blocked"]]
    assert listed[:3] == [
        ("00000.tar", "000000001", "blocked"),
        ("00000.tar", "000000002", "blocked"),
        ("00000.tar", "000000003", "invalid"),
    ]
    assert lines(keys) == [(shard, key) for shard, key, _ in listed]
    every = {key for shard in range(3) for key, _ in mixed(shard)}
    kept = {key for path in sorted(allowed.iterdir()) for key in tar_keys(path)}
    out = {key for path in sorted(rest.iterdir()) for key in tar_keys(path)}
    blocked = {key for _, key, verdict in listed if verdict == "blocked"}
    invalid = {key for _, key, verdict in listed if verdict == "invalid"}
    assert kept == {f"{shard:05d}0000" for shard in range(3)}
    assert kept | blocked | invalid == every
    assert not kept & blocked and not kept & invalid and not blocked & invalid
    assert out == blocked | invalid


def test_a_failed_split_of_shards_leaves_nothing_even_if_cleaning_up_fails(
    shards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while writing is reported in one line; every writer is aborted and its files
    removed, even when closing one fails again during the clean-up (a full disk)."""
    from auditor.scan import samples
    from auditor.scan.shards import ShardWriter

    def full(self: object, *args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(samples._KeysFile, "write", full)
    real_shut = ShardWriter._shut

    def shut_fails(self: ShardWriter) -> None:
        real_shut(self)
        raise OSError(28, "No space left on device (close)")

    monkeypatch.setattr(ShardWriter, "_shut", shut_fails)
    keys, allowed, rest = tmp_path / "blocked.tsv", tmp_path / "allowed", tmp_path / "rest"
    code, _, err = run(
        shards, "--write-blocked-keys", keys, "--write-allowed", allowed, "--write-blocked", rest
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "No space left on device" in err and "(close)" not in err
    assert not keys.exists() and not list(tmp_path.glob(".blocked.tsv*"))
    for folder in (allowed, rest):
        assert not folder.exists() or not list(folder.iterdir())


def test_many_hosts_are_forgotten_between_shards_and_counted_in_a_bounded_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keyed samples are counted as the URL scan counts rows: the classifier's cache of hosts is
    emptied between batches once it holds too many, and the domain table keeps its bound as
    the scan goes. Neither changes a verdict, a rule or a count of rows."""
    from auditor.scan import samples
    from auditor.scan.classify import Classifier

    folder = tmp_path / "many"
    folder.mkdir()
    for shard in range(4):
        write_shard(
            folder / f"{shard:05d}.tar",
            [
                img2dataset(f"{shard:05d}h{i:04d}", f"https://h{shard}-{i}.example{i % 7}.org/a")
                for i in range(40)
            ]
            + mixed(shard),
        )
    code, out, err = run(folder, "-f", "json")
    assert code == 1, err
    whole = json.loads(out)
    forgotten = []
    real = Classifier.forget_hosts

    def forget(self: Classifier) -> None:
        if hasattr(self, "_known"):  # not the classifier's own first call, which makes the cache
            forgotten.append(self.hosts_held)
        real(self)

    monkeypatch.setattr(samples, "HOST_CACHE", 10)
    monkeypatch.setattr(Classifier, "forget_hosts", forget)
    code, out, err = run(folder, "-f", "json", "--max-domain-entries", "3")
    assert code == 1, err
    small = json.loads(out)
    assert forgotten and all(held > 10 for held in forgotten)
    assert small["domains_bounded"]["max_entries"] == 3
    for field in ("rows", "invalid", "verdicts", "rules", "split", "platforms", "licenses"):
        assert small[field] == whole[field], field
    # example0.org to example6.org, example.org and youtube.com, counted exactly
    assert whole["domains_bounded"] is None and whole["domains_total"] == 9


def test_filtered_shards_copy_members_byte_for_byte(shards: Path, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    code, _, err = run(shards, "--write-allowed", allowed, "--max-blocked-share", "1")
    assert code == 0, err
    source = {}
    for path in sorted(shards.iterdir()):
        raw = path.read_bytes()
        with tarfile.open(path) as tar:
            for m in tar.getmembers():
                source[m.name] = raw[m.offset : m.offset_data + m.size]
    (out,) = sorted(allowed.iterdir())
    raw = out.read_bytes()
    with tarfile.open(out) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [
        f"{s:05d}0000.{ext}" for s in range(3) for ext in ("jpg", "txt", "json")
    ]
    for m in members:
        assert raw[m.offset : m.offset_data + m.size] == source[m.name]


def test_filtered_shards_keep_about_the_input_shard_size(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for shard in range(6):
        samples = [img2dataset(f"{shard}{i:04d}", OPEN, "cc0-1.0") for i in range(40)]
        samples[::2] = [img2dataset(f"{shard}{i:04d}", YOUTUBE) for i in range(0, 40, 2)]
        write_shard(folder / f"{shard}.tar", samples, media=bytes(3000))
    size = max(p.stat().st_size for p in folder.iterdir())
    code, _, err = run(folder, "--write-allowed", tmp_path / "out", "--max-blocked-share", "1")
    assert code == 0, err
    written = sorted((tmp_path / "out").iterdir())
    assert [p.name for p in written] == ["00000.tar", "00001.tar", "00002.tar"]
    assert all(size - 8 * 1024 <= p.stat().st_size <= size for p in written[:-1])
    assert sum(len(tar_keys(p)) for p in written) == 6 * 20


@pytest.mark.parametrize("suffix", ["tar.gz", "tar.bz2", "tar.xz", "tar.zst"])
def test_compressed_shards(tmp_path: Path, suffix: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for shard in range(2):
        write_shard(folder / f"{shard:05d}.{suffix}", mixed(shard))
    keys = tmp_path / "k.tsv"
    pattern = str(folder / ("{00000..00001}." + suffix))
    code, _, err = run(pattern, "--write-blocked-keys", keys, "--write-allowed", tmp_path / "o")
    assert code == 1, err
    assert len(lines(keys)) == 6
    (out,) = (tmp_path / "o").iterdir()
    assert out.name == "00000." + suffix
    assert tar_keys(out) == ["000000000", "000010000"]


def test_video2dataset_metadata_gives_yt_dlp_fields(tmp_path: Path) -> None:
    info = {"webpage_url": "https://vimeo.com/1", "license": "cc-by-nc-4.0", "id": "1"}
    meta = {"url": None, "key": "0", "status": "success", "yt_meta_dict": {"info": info}}
    write_shard(tmp_path / "0.tar", [("0", meta)])
    code, out, err = run(tmp_path / "0.tar", "-f", "json")
    assert code == 1, err
    data = json.loads(out)
    assert [d["domain"] for d in data["domains"]] == ["vimeo.com"]
    assert [lic["raw"] for lic in data["licenses"]] == ["cc-by-nc-4.0"]


def test_brace_patterns() -> None:
    assert expand_braces("s/{00008..00011}.tar") == [f"s/{n:05d}.tar" for n in range(8, 12)]
    assert expand_braces("{a,b}/{1..2}.tar") == ["a/1.tar", "a/2.tar", "b/1.tar", "b/2.tar"]
    assert expand_braces("{3..1}") == ["3", "2", "1"]
    assert expand_braces("{x}.tar") == ["{x}.tar"]
    with pytest.raises(ValueError, match="more than 10"):
        expand_braces("{0..5}{0..5}", limit=10)


def test_a_missing_shard_of_a_pattern_is_an_input_error(shards: Path) -> None:
    code, out, err = run(str(shards / "{00000..00003}.tar"))
    assert (code, out) == (2, "")
    assert err == f"error: {shards / '00003.tar'}: no such file\n"


def test_the_example_shards_are_those_the_script_writes() -> None:
    script = Path(__file__).parent.parent / "scripts" / "make_example_shards.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


# --- hostile shards ---------------------------------------------------------------------------


def hostile_shard(path: Path, members: Iterable[tuple[str, bytes, bytes]]) -> Path:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data, kind in members:
            _add(tar, name, data, kind)
    path.write_bytes(buffer.getvalue())
    return path


def test_hostile_members_make_their_samples_invalid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_MAX_LINE_BYTES", "200")
    good = json.dumps({"url": OPEN, "license": "cc0-1.0"}).encode()
    reg = tarfile.REGTYPE
    shard = hostile_shard(
        tmp_path / "h.tar",
        [
            ("ok.json", good, reg),
            ("../escape.json", good, reg),
            ("/abs.json", good, reg),
            ("link.jpg", b"", tarfile.SYMTYPE),
            ("link.json", good, reg),
            ("dev.jpg", b"", tarfile.CHRTYPE),
            ("dev.json", good, reg),
            ("big.json", b"{" + b" " * 300 + b"}", reg),
            ("text.json", b"not json", reg),
            ("list.json", b"[1, 2]", reg),
            ("latin.json", b'{"url": "\xe9"}', reg),
            ("twice.json", good, reg),
            ("twice.json", good, reg),
            ("noext", b"ignored", reg),
            ("media.mp4", b"....", reg),
        ],
    )
    keys = tmp_path / "k.tsv"
    code, out, err = run(shard, "-f", "json", "--write-blocked-keys", keys)
    assert code == 1, err
    data = json.loads(out)
    assert data["rows"] == 11
    assert data["invalid"] == {
        "bad-encoding": 1,
        "bad-record": 3,
        "no-metadata": 1,
        "metadata-too-large": 1,
        "unsafe-member": 4,
    }
    assert data["verdicts"]["allowed"] == 1
    assert [k for _, k in lines(keys)] == [
        "../escape", "/abs", "link", "dev", "big", "text", "list", "latin", "twice", "media",
    ]  # fmt: skip


def test_a_key_seen_again_later_in_its_shard_is_invalid(tmp_path: Path) -> None:
    good = json.dumps({"url": OPEN, "license": "cc0-1.0"}).encode()
    reg = tarfile.REGTYPE
    members = [("a.json", good, reg), ("b.json", good, reg), ("a.jpg", b"x", reg)]
    members.append(("tab\tkey.json", good, reg))
    shard = hostile_shard(tmp_path / "d.tar", members)
    keys = tmp_path / "k.tsv"
    code, out, _ = run(shard, "-f", "json", "--write-blocked-keys", keys)
    assert code == 1
    data = json.loads(out)
    assert data["invalid"] == {"bad-record": 1, "unsafe-member": 1}
    # Three samples, each counted once: "a" was once allowed and once invalid.
    assert data["rows"] == 3
    assert data["verdicts"] == {"allowed": 1, "review": 0, "blocked": 0, "invalid": 2}
    assert keys.read_text() == "d.tar\ta\nd.tar\ttab\\tkey\n"
    assert BlockedKeys.from_file(keys).blocks("tab\tkey", "d.tar")


def test_review_samples_are_kept_out_only_when_failing_on_warnings(tmp_path: Path) -> None:
    vimeo = img2dataset("v", "https://vimeo.com/1", "cc-by-4.0")
    write_shard(tmp_path / "0.tar", [vimeo])
    code, out, _ = run(tmp_path / "0.tar", "-f", "json", "--method", "api")
    data = json.loads(out)
    assert data["verdicts"]["review"] == 1
    assert (code, data["samples"]["blocked_total"]) == (0, 0)
    code, out, _ = run(tmp_path / "0.tar", "-f", "json", "--method", "api", "--fail-on", "warning")
    assert (code, json.loads(out)["samples"]["blocked"][0]["verdict"]) == (1, "review")


@pytest.mark.parametrize("mid_member", [True, False])
def test_a_truncated_shard_is_an_input_error(tmp_path: Path, mid_member: bool) -> None:
    shard = write_shard(tmp_path / "t.tar", mixed(0)[:1], media=bytes(1000))
    end = members_end(shard)
    shard.write_bytes(shard.read_bytes()[: 900 if mid_member else end])
    code, out, err = run(shard)
    assert (code, out) == (2, "")
    reason = "unexpected end of data" if mid_member else f"no end-of-archive block at byte {end}"
    assert err.startswith(f"error: {shard}: not a readable tar shard: {reason}")
    assert "Traceback" not in err and err.count("\n") == 1


def test_a_bad_shard_leaves_no_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("auditor.scan.shards._SAMPLES_PER_BATCH", 4)
    folder = tmp_path / "in"
    folder.mkdir()
    for shard in range(3):  # all allowed: the first filtered shard is full before the third
        samples = [img2dataset(f"{shard}{i}", OPEN, "cc0-1.0") for i in range(4)]
        write_shard(folder / f"{shard}.tar", samples)
    (folder / "2.tar").write_bytes((folder / "2.tar").read_bytes()[:600])
    out, keys = tmp_path / "out", tmp_path / "k.tsv"
    code, _, err = run(folder, "--write-allowed", out, "--write-blocked-keys", keys)
    assert code == 2, err
    assert list(out.iterdir()) == [] and not keys.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "out"]


def test_garbage_after_the_members_is_an_input_error(tmp_path: Path) -> None:
    shard = write_shard(tmp_path / "g.tar", mixed(0)[:1])
    end = members_end(shard)
    shard.write_bytes(shard.read_bytes()[:end] + b"x" * 512 + bytes(1024))
    code, _, err = run(shard)
    assert code == 2
    assert err == (
        f"error: {shard}: not a readable tar shard: no end-of-archive block at byte {end}: "
        "truncated or corrupt\n"
    )


@pytest.mark.parametrize("data", [b"", b"plain text, not a tar" * 40, gzip.compress(b"x" * 600)])
def test_a_file_that_is_no_tar_is_an_input_error(tmp_path: Path, data: bytes) -> None:
    shard = tmp_path / "n.tar"
    shard.write_bytes(data)
    code, out, err = run(shard)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {shard}: not a readable tar shard") and err.count("\n") == 1


def test_output_folders_are_checked_before_scanning(shards: Path, tmp_path: Path) -> None:
    code, _, err = run(shards, "--write-allowed", shards / "clean")
    assert code == 2 and "inside the scanned folder" in err
    full = tmp_path / "full"
    full.mkdir()
    write_shard(full / "0.tar", mixed(0))
    code, _, err = run(shards, "--write-allowed", full)
    assert code == 2 and "already holds shards" in err


def test_blocked_keys_need_keyed_samples(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"url": OPEN}) + "\n")
    code, _, err = run(rows, "--write-blocked-keys", tmp_path / "k.tsv")
    assert code == 2
    assert "--write-blocked-keys is for keyed samples" in err


def test_a_shard_scan_report_fits_the_scan_schema(shards: Path, tmp_path: Path) -> None:
    report = tmp_path / "scan.json"
    run(shards, "-f", "json", "-o", report)
    loaded = load_scan(report)
    assert loaded.samples is not None and loaded.samples.blocked_total == 9
    schema = json.loads(runner.invoke(cli_app, ["schema", "--report", "scan"]).stdout)
    assert list(Draft202012Validator(schema).iter_errors(json.loads(report.read_text()))) == []


def test_the_table_and_the_page_name_the_samples_kept_out(shards: Path, tmp_path: Path) -> None:
    code, out, _ = run(shards)
    assert code == 1
    assert "Samples kept out (first 9 of 9)" in out
    assert "000020003" in out
    code, _, _ = run(shards, "-f", "html", "-o", tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "9 samples kept out in 3 shards" in page
    assert page.count("<code>00002.tar</code>") == 3


# --- Hugging Face save_to_disk ----------------------------------------------------------------


def save_to_disk(folder: Path, table: pa.Table, license_: str | None, *, files: int = 1) -> Path:
    """A folder as ``Dataset.save_to_disk`` writes it: Arrow stream files, state.json,
    dataset_info.json."""
    folder.mkdir(parents=True)
    names = [f"data-{i:05d}-of-{files:05d}.arrow" for i in range(files)]
    per = -(-table.num_rows // files)
    for i, name in enumerate(names):
        with pa.ipc.new_stream(folder / name, table.schema) as writer:
            writer.write_table(table.slice(i * per, per), max_chunksize=2)
    state = {"_data_files": [{"filename": n} for n in names], "_fingerprint": "x"}
    (folder / "state.json").write_text(json.dumps(state))
    info = {"description": "", "license": license_ or "", "features": {}}
    (folder / "dataset_info.json").write_text(json.dumps(info))
    return folder


def test_a_saved_dataset_takes_its_dataset_level_license(tmp_path: Path) -> None:
    table = pa.table({"url": [OPEN] * 5, "text": list("abcde")})
    saved = save_to_disk(tmp_path / "nc", table, "cc-by-nc-4.0", files=2)
    keys = tmp_path / "k.tsv"
    code, out, err = run(saved, "-f", "json", "--write-blocked-keys", keys)
    assert code == 1, err
    data = json.loads(out)
    assert data["input_format"] == "hf-disk"
    assert data["verdicts"]["blocked"] == 5
    assert data["samples"]["dataset_license"]["raw"] == "cc-by-nc-4.0"
    assert "license-noncommercial" in data["samples"]["dataset_license"]["rules"]
    assert lines(keys) == [(".", str(i)) for i in range(5)]


def test_a_dataset_level_license_applies_beside_the_rows_own(tmp_path: Path) -> None:
    table = pa.table({"url": [OPEN] * 3, "license": ["cc-by-4.0", None, "mit"]})
    saved = save_to_disk(tmp_path / "nc", table, "cc-by-nc-4.0")
    code, out, _ = run(saved, "-f", "json")
    assert code == 1
    assert json.loads(out)["verdicts"]["blocked"] == 3  # the NC claim holds for every row
    open_ = save_to_disk(tmp_path / "open", table, "cc-by-4.0")
    code, out, _ = run(open_, "-f", "json", "--write-blocked-keys", tmp_path / "k.tsv")
    assert json.loads(out)["verdicts"]["allowed"] == 3
    assert code == 0
    assert lines(tmp_path / "k.tsv") == []


def test_a_dataset_dict_keys_rows_by_split(tmp_path: Path) -> None:
    root = tmp_path / "dict"
    save_to_disk(root / "train", pa.table({"image_url": [OPEN, YOUTUBE]}), "cc0-1.0")
    save_to_disk(root / "test", pa.table({"image_url": [YOUTUBE]}), "cc0-1.0")
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    keys = tmp_path / "k.tsv"
    code, out, err = run(root, "-f", "json", "--write-blocked-keys", keys)
    assert code == 1, err
    assert json.loads(out)["url_column"] == "image_url"
    assert lines(keys) == [("train", "1"), ("test", "0")]


@pytest.mark.parametrize("option", ["--write-allowed", "--write-blocked"])
def test_filtered_copies_are_for_shards_only(tmp_path: Path, option: str) -> None:
    saved = save_to_disk(tmp_path / "d", pa.table({"url": [OPEN]}), None)
    code, out, err = run(saved, option, tmp_path / "out")
    assert (code, out) == (2, "")
    assert err == (
        f"error: {tmp_path / 'out'}: filtered copies are written for WebDataset shards only; "
        "for a saved dataset use --write-blocked-keys and filter it when loading\n"
    )


def test_shards_are_scanned_on_the_local_engine(shards: Path) -> None:
    code, _, err = run(shards, "--engine", "ray")
    assert code == 2
    assert err == f"error: {shards}: keyed samples are scanned with --engine local only\n"


def test_an_arrow_cache_file(tmp_path: Path) -> None:
    cache = tmp_path / "cache-0123.arrow"
    table = pa.table({"url": [OPEN, YOUTUBE], "license": ["cc0-1.0", None]})
    with pa.ipc.new_file(cache, table.schema) as writer:
        writer.write_table(table)
    keys = tmp_path / "k.tsv"
    code, _, err = run(cache, "--write-blocked-keys", keys)
    assert code == 1, err
    assert lines(keys) == [("cache-0123.arrow", "1")]


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"_data_files": [{"filename": "../x.arrow"}]}, "leaves the dataset folder"),
        ({"_data_files": "x"}, "no '_data_files' list"),
    ],
)
def test_a_broken_saved_dataset_is_an_input_error(
    tmp_path: Path, state: dict[str, Any], message: str
) -> None:
    saved = save_to_disk(tmp_path / "d", pa.table({"url": [OPEN]}), None)
    (saved / "state.json").write_text(json.dumps(state))
    code, _, err = run(saved)
    assert code == 2 and message in err and err.count("\n") == 1


# --- MosaicML MDS ---------------------------------------------------------------------------


def write_mds(folder: Path, rows: list[dict[str, Any]], columns: dict[str, str]) -> Path:
    """One MDS shard and its index.json, laid out as MDSWriter writes them (version 2)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = sorted(columns)
    sizes = [8 if columns[n] == "int" else None for n in names]
    samples = []
    for row in rows:
        head, body = b"", b""
        for name in names:
            value = row[name]
            match columns[name]:
                case "str":
                    datum = value.encode() if isinstance(value, str) else value
                case "json":  # bytes: the JSON text as is
                    datum = value if isinstance(value, bytes) else json.dumps(value).encode()
                case _:
                    datum = struct.pack("<q", value)
            if columns[name] != "int":
                head += struct.pack("<I", len(datum))
            body += datum
        samples.append(head + body)
    config = b"{}"
    start = 4 + 4 * (len(samples) + 1) + len(config)
    offsets = [start]
    for sample in samples:
        offsets.append(offsets[-1] + len(sample))
    data = struct.pack(f"<I{len(offsets)}I", len(samples), *offsets) + config + b"".join(samples)
    (folder / "shard.00000.mds").write_bytes(data)
    entry = {
        "column_encodings": [columns[n] for n in names],
        "column_names": names,
        "column_sizes": sizes,
        "compression": None,
        "format": "mds",
        "hashes": [],
        "raw_data": {"basename": "shard.00000.mds", "bytes": len(data), "hashes": {}},
        "samples": len(samples),
        "size_limit": 1 << 26,
        "version": 2,
        "zip_data": None,
    }
    (folder / "index.json").write_text(json.dumps({"shards": [entry], "version": 2}))
    return folder


def test_mds_str_columns(tmp_path: Path) -> None:
    rows = [
        {"url": OPEN, "license": "cc-by-4.0", "n": 1},
        {"url": YOUTUBE, "license": "cc-by-4.0", "n": 2},
        {"url": OPEN, "license": b"\xff", "n": 3},
    ]
    mds = write_mds(tmp_path / "mds", rows, {"url": "str", "license": "str", "n": "int"})
    keys = tmp_path / "k.tsv"
    code, out, err = run(mds, "-f", "json", "--write-blocked-keys", keys)
    assert code == 1, err
    data = json.loads(out)
    assert data["input_format"] == "mds"
    assert data["verdicts"] == {"allowed": 1, "review": 0, "blocked": 1, "invalid": 1}
    assert data["invalid"] == {"bad-encoding": 1}
    assert lines(keys) == [("shard.00000.mds", "1"), ("shard.00000.mds", "2")]


def test_mds_json_column(tmp_path: Path) -> None:
    rows = [{"meta": {"url": OPEN, "license": "cc-by-nc-4.0"}}, {"meta": {"url": OPEN}}]
    mds = write_mds(tmp_path / "mds", rows, {"meta": "json"})
    code, out, err = run(mds, "-f", "json")
    assert code == 1, err
    assert json.loads(out)["verdicts"]["blocked"] == 2  # NC, and no license at all


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"compression": "zstd"}, "compressed MDS shards (zstd) are not supported"),
        ({"format": "jsonl"}, "format 'jsonl' is not supported"),
        ({"samples": 5}, "holds 1 samples, index.json says 5"),
        ({"column_encodings": ["pkl"]}, "has encoding 'pkl'; only str and json columns are read"),
    ],
)
def test_unsupported_mds_is_an_input_error(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    mds = write_mds(tmp_path / "mds", [{"url": OPEN}], {"url": "str"})
    index = json.loads((mds / "index.json").read_text())
    index["shards"][0].update(change)
    (mds / "index.json").write_text(json.dumps(index))
    code, _, err = run(mds)
    assert code == 2 and message in err and err.count("\n") == 1


def test_a_truncated_mds_shard_is_an_input_error(tmp_path: Path) -> None:
    mds = write_mds(tmp_path / "mds", [{"url": OPEN}, {"url": OPEN}], {"url": "str"})
    shard = mds / "shard.00000.mds"
    shard.write_bytes(shard.read_bytes()[:-3])
    code, _, err = run(mds)
    assert code == 2 and "truncated or corrupt" in err


# --- the loader side --------------------------------------------------------------------------


def test_the_loader_drops_what_the_scan_kept_out(shards: Path, tmp_path: Path) -> None:
    keys = tmp_path / "k.tsv"
    run(shards, "--write-blocked-keys", keys)
    blocked = BlockedKeys.from_file(keys)
    assert blocked.count == 9
    keep = blocked.keep_sample
    assert keep({"__key__": "000000000", "__url__": str(shards / "00000.tar")})
    assert not keep({"__key__": "000000001", "__url__": str(shards / "00000.tar")})
    assert not keep({"__key__": "000000001", "__url__": "pipe:aws s3 cp s3://b/00000.tar -"})
    assert keep({"__key__": "000000001", "__url__": "s3://b/00001.tar"})  # another shard
    assert keep({"__key__": "000000001", "__url__": "s3://b/x00000.tar"})
    assert not keep({"__key__": "000000001"})  # no shard: dropped if kept out anywhere
    samples = [{"__key__": key, "__url__": "00002.tar"} for key, _ in mixed(2)]
    assert [s["__key__"] for s in blocked.filter_iterable(samples)] == ["000020000"]


def test_the_loader_filters_rows_by_index_and_wraps_torch_datasets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocked = BlockedKeys([("train", "1"), ("train", "3"), (".", "0")])
    keep = blocked.keep_index("train")
    assert [i for i in range(5) if keep({}, i)] == [0, 2, 4]
    assert [i for i in range(3) if blocked.keep_index()({}, i)] == [1, 2]

    class IterableDataset:  # stands for torch.utils.data.IterableDataset
        pass

    torch = types.ModuleType("torch")
    torch.utils = types.SimpleNamespace(data=types.SimpleNamespace(IterableDataset=IterableDataset))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    rows = [("train", i) for i in range(5)]
    wrapped = blocked.filter_iterable(rows, keep=lambda row: keep(None, row[1]))
    assert isinstance(wrapped, IterableDataset)
    assert [i for _, i in wrapped] == [0, 2, 4]
    assert [i for _, i in wrapped] == [0, 2, 4]  # iterable again, as each epoch needs


def test_the_loader_reads_a_report_only_when_it_lists_every_sample(
    shards: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = tmp_path / "r.json"
    run(shards, "-f", "json", "-o", report)
    assert BlockedKeys.from_report(report).count == 9
    monkeypatch.setattr("auditor.scan.samples.LISTED", 2)
    run(shards, "-f", "json", "-o", report)
    with pytest.raises(InputError, match="lists 2 of 9 samples"):
        BlockedKeys.from_report(report)


def test_the_loader_is_light_to_import() -> None:
    code = "import sys, auditor.scan.loader; print(sorted(m.split('.')[0] for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.strip("[]\n").replace("'", "").split(", "))
    assert not loaded & {"pyarrow", "numpy", "pydantic", "torch", "webdataset", "datasets"}


def test_keys_with_tabs_and_newlines_survive_the_file(tmp_path: Path) -> None:
    for text in ["a\tb", "line\nfeed\r", "back\\slash", "plain"]:
        assert unescape_field(escape_field(text)) == text
        assert "\t" not in escape_field(text) and "\n" not in escape_field(text)
    path = tmp_path / "k.tsv"
    shard, key = escape_field("s\t1"), escape_field("k\n2")
    path.write_text(f"{shard}\t{key}\n")
    assert BlockedKeys.from_file(path).blocks("k\n2", "s\t1")
    path.write_text("only-one-field\n")
    with pytest.raises(InputError, match=r"k.tsv:1: expected 'shard<TAB>key'"):
        BlockedKeys.from_file(path)


# --- every format judges the same facts the same way --------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b'{"url": "https://example.com/z", "license": "CC-BY-NC-4.0", "license": "CC0-1.0"}',
        b'{"url": "https://www.youtube.com/watch?v=x", "url": "https://example.com/z", '
        b'"license": "CC0-1.0"}',
    ],
)
def test_a_repeated_json_key_in_a_shard_is_a_bad_record(tmp_path: Path, raw: bytes) -> None:
    shard = write_shard(tmp_path / "k.tar", [("k", raw)])
    code, out, err = run(shard, "-f", "json")
    assert code == 1, err
    data = json.loads(out)
    assert data["verdicts"]["allowed"] == 0
    assert data["invalid"] == {"bad-record": 1}


def test_a_repeated_json_key_in_an_mds_json_column_is_a_bad_record(tmp_path: Path) -> None:
    raw = b'{"url": "https://example.com/z", "license": "CC-BY-NC-4.0", "license": "CC0-1.0"}'
    mds = write_mds(tmp_path / "mds", [{"meta": raw}], {"meta": "json"})
    code, out, err = run(mds, "-f", "json")
    assert code == 1, err
    assert json.loads(out)["invalid"] == {"bad-record": 1}


@pytest.mark.parametrize("name", ["License", "licence", "LICENSES"])
def test_the_license_column_is_found_by_its_usual_spellings_in_every_format(
    tmp_path: Path, name: str
) -> None:
    nc = "CC-BY-NC-4.0"
    csv = tmp_path / "rows.csv"
    csv.write_text(f"url,{name}\n{OPEN},{nc}\n")
    jsonl = tmp_path / "rows.jsonl"
    jsonl.write_text(json.dumps({"url": OPEN, name: nc}) + "\n")
    shard = write_shard(tmp_path / "s.tar", [("k", {"url": OPEN, name: nc})])
    saved = save_to_disk(tmp_path / "saved", pa.table({"url": [OPEN], name: [nc]}), None)
    mds = write_mds(tmp_path / "mds", [{"url": OPEN, name: nc}], {"url": "str", name: "str"})
    for path in (csv, jsonl, shard, saved, mds):
        code, out, err = run(path, "-f", "json")
        assert code == 1, (path, err)
        data = json.loads(out)
        assert data["verdicts"]["blocked"] == 1, path
        assert "license-noncommercial" in {r["rule"] for r in data["rules"]}, path


def test_samples_without_any_license_are_license_unknown_in_every_format(tmp_path: Path) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text(f"url\n{OPEN}\n")
    shard = write_shard(tmp_path / "s.tar", [("k", {"url": OPEN})])
    saved = save_to_disk(tmp_path / "saved", pa.table({"url": [OPEN]}), None)
    bare = save_to_disk(tmp_path / "bare", pa.table({"url": [OPEN]}), None)
    (bare / "dataset_info.json").unlink()
    mds = write_mds(tmp_path / "mds", [{"url": OPEN}], {"url": "str"})
    for path in (csv, shard, saved, bare, mds):
        code, out, err = run(path, "-f", "json")
        assert code == 1, (path, err)
        data = json.loads(out)
        assert data["verdicts"]["blocked"] == 1, path
        assert [r["rule"] for r in data["rules"]] == ["license-unknown"], path


def test_the_loader_matches_a_shard_url_without_its_query_or_fragment() -> None:
    blocked = BlockedKeys([("00000.tar", "bad"), ("sub/00001.tar", "bad")])
    for url in (
        "https://host/x/00000.tar?token=1",
        "https://huggingface.co/d/resolve/main/00000.tar?download=true#frag",
        "pipe:curl -s https://host/sub/00001.tar?X-Amz-Signature=abc",
        "/data/odd/00000.tar",
    ):
        assert not blocked.keep_sample({"__key__": "bad", "__url__": url}), url
    assert blocked.keep_sample({"__key__": "bad", "__url__": "https://host/00000.tar.bak?x=1"})
    assert blocked.keep_sample({"__key__": "good", "__url__": "https://host/00000.tar?x=1"})


def test_each_split_of_a_dataset_dict_takes_its_own_license(tmp_path: Path) -> None:
    root = tmp_path / "dict"
    save_to_disk(root / "train", pa.table({"url": [OPEN]}), "cc0-1.0")
    save_to_disk(root / "test", pa.table({"url": [OPEN], "license": ["cc0-1.0"]}), "cc-by-nc-4.0")
    (root / "dataset_dict.json").write_text(json.dumps({"splits": ["train", "test"]}))
    keys = tmp_path / "k.tsv"
    code, out, err = run(root, "-f", "json", "--write-blocked-keys", keys)
    assert code == 1, err
    data = json.loads(out)
    assert data["verdicts"] == {"allowed": 1, "review": 0, "blocked": 1, "invalid": 0}
    assert lines(keys) == [("test", "0")]  # the NC claim of the test split holds for its rows
    assert any("different licenses" in note for note in data["notes"])


def empty_inputs(tmp_path: Path) -> Iterable[Path]:
    folder = tmp_path / "empty"
    folder.mkdir()
    yield folder
    yield hostile_shard(tmp_path / "none.tar", [])
    lz4 = tmp_path / "lz4"
    lz4.mkdir()
    (lz4 / "00000.tar.lz4").write_bytes(b"\x04\x22\x4d\x18")
    yield lz4
    linked = tmp_path / "linked"
    linked.mkdir()
    shards = tmp_path / "shards"
    shards.mkdir()
    write_shard(shards / "00000.tar", mixed(0))
    (linked / "to-shards").symlink_to(shards, target_is_directory=True)
    yield linked
    mds = write_mds(tmp_path / "mds", [], {"url": "str"})
    yield mds
    nomds = tmp_path / "nomds"
    nomds.mkdir()
    (nomds / "index.json").write_text(json.dumps({"shards": [], "version": 2}))
    yield nomds
    yield save_to_disk(tmp_path / "saved", pa.table({"url": pa.array([], pa.string())}), "cc0-1.0")
    csv = tmp_path / "head.csv"
    csv.write_text("url,license\n")
    yield csv


def test_a_scan_that_reads_nothing_is_an_input_error(tmp_path: Path) -> None:
    for path in empty_inputs(tmp_path):
        code, out, err = run(path)
        assert code == 2, (path, err)
        assert out == ""
        assert err.count("\n") == 1 and "nothing to scan" in err, err


@pytest.mark.parametrize(
    ("name", "document", "message"),
    [
        ("dataset_dict.json", {"splits": []}, "'splits' is empty: nothing to scan"),
        ("state.json", {"_data_files": []}, "'_data_files' is empty: nothing to scan"),
    ],
)
def test_a_saved_dataset_of_no_split_says_so(
    tmp_path: Path, name: str, document: dict[str, Any], message: str
) -> None:
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / name).write_text(json.dumps(document))
    code, _, err = run(folder)
    assert code == 2
    assert err == f"error: {folder / name}: {message}\n"


def test_an_mds_license_column_error_names_the_license_flag(tmp_path: Path) -> None:
    mds = write_mds(tmp_path / "mds", [{"url": OPEN}], {"url": "str"})
    code, _, err = run(mds, "--license-column", "nope")
    assert code == 2
    assert "no license column 'nope'" in err and "--license-column" in err, err
    assert "--url-column" not in err


def test_the_summary_line_counts_each_sample_once_as_the_report_does(shards: Path) -> None:
    code, out, err = run(shards, "-f", "json")
    assert code == 1
    data = json.loads(out)
    verdicts = data["verdicts"]
    assert sum(verdicts.values()) == data["rows"]
    words = ", ".join(f"{n} {verdict}" for verdict, n in verdicts.items())
    kept_out = data["split"]["blocked"]
    assert err.startswith(f"auditor scan: FAIL - {data['rows']} rows: {words}; {kept_out} kept out")


def test_fields_that_differ_only_in_case_are_never_read_one_for_the_other(tmp_path: Path) -> None:
    """``license`` CC0 beside ``License`` CC BY-NC: reading either alone could pass what the
    other forbids. A column input is an input error; a sample's metadata is a bad record."""
    csv = tmp_path / "rows.csv"
    csv.write_text(f"url,license,License\n{OPEN},CC0-1.0,CC-BY-NC-4.0\n")
    code, out, err = run(csv)
    assert (code, out) == (2, "")
    assert (
        err
        == f"error: {csv}: the fields 'license' and 'License' differ only in case: which to read?\n"
    )
    shard = write_shard(
        tmp_path / "s.tar", [("k", {"url": OPEN, "license": "CC0-1.0", "License": "CC-BY-NC-4.0"})]
    )
    code, out, err = run(shard, "-f", "json")
    assert code == 1, err
    assert json.loads(out)["invalid"] == {"bad-record": 1}
