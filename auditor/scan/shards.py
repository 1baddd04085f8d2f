"""WebDataset shards: tar files whose members are grouped into samples by key, read as a stream.

A shard is read front to back once (``tarfile`` in streaming mode over the decompressed bytes),
media members are skipped without being read, and only each sample's ``.json`` member is read,
up to ``AUDITOR_MAX_LINE_BYTES``. The WebDataset convention names a sample's members
``<key>.<extension>``: the key is the member's path up to the first dot of its file name, and
consecutive members with one key form one sample (webdataset's ``group_by_keys``). The metadata
is what img2dataset and video2dataset write: ``url``, ``key``, ``status``, often ``license``, and
for video2dataset the yt-dlp info dict under ``yt_meta_dict.info``.

A sample is invalid, with its key, when it has no ``.json`` member, when that member is larger
than the cap, not UTF-8 or not a JSON object, when it repeats an extension or a key of its shard,
or when one of its members is not a regular file (a symbolic or hard link, a device, a FIFO, a
sparse file) or has a name that leaves the shard's folder (absolute, ``..``) or holds a control
character. A shard that is not a tar archive, or that ends before its end-of-archive block
(truncated, or garbage after the last member), is an input error: nothing in it can be trusted.

Filtered shards (``--write-allowed DIR``) are written by copying the allowed samples' members
byte for byte from the decompressed input, headers included (so extended pax or GNU long-name
headers too), in their order, into new shards of about the size of the input ones.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import re
import tarfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

import pyarrow as pa  # type: ignore[import-untyped]

from auditor.document import file_status, limits
from auditor.errors import InputError
from auditor.output import create_beside
from auditor.scan.arrays import encodable
from auditor.scan.classify import Invalid, invalid_bit
from auditor.scan.formats import AmbiguousFieldError, InputFormat, unique_pairs
from auditor.scan.formats import license_field as find_license
from auditor.scan.formats import url_field as find_url
from auditor.scan.samples import Rows

SHARD_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst", ".tar.zstd")
MAX_SHARDS = 1_000_000  # shards a brace pattern may name
_BLOCK = 512
_RECORD = 20 * _BLOCK  # tar files are padded to whole records, as tar and tarfile write them
_SAMPLES_PER_BATCH = 8192
_COPY = 1 << 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAGIC = (
    (b"\x1f\x8b", "gz"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zst"),
)


# --- naming the shards -----------------------------------------------------------------------


def expand_braces(pattern: str, limit: int = MAX_SHARDS) -> list[str]:
    """The names a brace pattern stands for, in order: ``{00000..00099}`` is a numeric range
    (zero-padded to the width of its bounds when they are), ``{a,b}`` a list; the leftmost
    group varies slowest, as in a shell. More than ``limit`` names is an error, so a hostile
    pattern cannot exhaust memory. Braces holding neither are kept as they are."""
    match = re.search(r"\{([^{}]*)\}", pattern)
    if match is None:
        return [pattern]
    head, body, tail = pattern[: match.start()], match[1], pattern[match.end() :]
    rests = expand_braces(tail, limit)
    span = re.fullmatch(r"(\d+)\.\.(\d+)", body)
    if span:
        first, last = int(span[1]), int(span[2])
        count = abs(last - first) + 1
        if count * len(rests) > limit:
            raise ValueError(f"the pattern names more than {limit:,} shards")
        width = len(span[1]) if span[1].startswith("0") or span[2].startswith("0") else 0
        step = 1 if last >= first else -1
        parts = [f"{n:0{width}d}" for n in range(first, last + step, step)]
    elif "," in body:
        parts = body.split(",")
        if len(parts) * len(rests) > limit:
            raise ValueError(f"the pattern names more than {limit:,} shards")
    else:
        parts = ["{" + body + "}"]
    return [head + part + rest for part in parts for rest in rests]


def is_shard_name(name: str) -> bool:
    return name.lower().endswith(SHARD_SUFFIXES)


def shard_paths(spec: Path) -> tuple[Path, ...]:
    """The shards a spec names: a brace pattern, a folder (its shards, at any depth, sorted by
    path) or one tar file. Every named shard must be a regular file."""
    text = str(spec)
    if "{" in text and not spec.exists():
        try:
            paths = tuple(Path(name) for name in expand_braces(text))
        except ValueError as exc:
            raise InputError(spec, str(exc)) from exc
    elif spec.is_dir():
        paths = tuple(sorted(p for p in spec.rglob("*") if is_shard_name(p.name) and p.is_file()))
        if not paths:
            raise InputError(spec, f"no tar shards in the folder ({', '.join(SHARD_SUFFIXES)})")
    else:
        paths = (spec,)
    for path in paths:
        file_status(path)
    return paths


def shard_labels(paths: Sequence[Path], spec: Path) -> tuple[str, ...]:
    """How each shard is named in the report and the blocked-keys file: its path relative to
    the folder given (or to the folder the shards share), in POSIX form."""
    parents = [str(p.parent) for p in paths]
    root = spec if spec.is_dir() else Path(os.path.commonpath(parents) if parents else ".")
    return tuple(
        p.relative_to(root).as_posix() if p.is_relative_to(root) else p.name for p in paths
    )


# --- reading one shard -----------------------------------------------------------------------


def compression_of_shard(path: Path) -> str | None:
    """The compression of a shard from its first bytes (its name may not say): gz, bz2, xz,
    zst, or None for a plain tar."""
    with path.open("rb") as handle:
        head = handle.read(8)
    return next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)


class Tape:
    """A shard's decompressed bytes read front to back, counting the position and keeping the
    last two reads, so the end-of-archive block can be checked once tarfile has read it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = compression_of_shard(path)
        self._file: IO[bytes] = path.open("rb")
        self._raw: Any
        match self.kind:
            case "gz":
                self._raw = gzip.GzipFile(fileobj=self._file, mode="rb")
            case "bz2":
                self._raw = bz2.BZ2File(self._file, mode="rb")
            case "xz":
                self._raw = lzma.LZMAFile(self._file, mode="rb")  # noqa: SIM115 - closed by close()
            case "zst":
                self._raw = pa.CompressedInputStream(pa.OSFile(str(path)), "zstd")
            case _:
                self._raw = self._file
        self.position = 0
        self._held: list[tuple[int, bytes]] = []

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._raw.read(size) if size >= 0 else self._raw.read()
        self._held = [*self._held[-1:], (self.position, data)]
        self.position += len(data)
        return data

    def tell(self) -> int:
        return self.position

    def skip_to(self, offset: int) -> None:
        """Move forward to ``offset`` (seeking in a plain tar, reading through otherwise)."""
        if self.kind is None:
            self._file.seek(offset)
            self.position = offset
            self._held = []
            return
        while self.position < offset:
            if not self.read(min(_COPY, offset - self.position)):
                raise InputError(self.path, "the shard changed while it was being copied")

    def held(self, offset: int, size: int) -> bytes | None:
        """The ``size`` bytes at ``offset`` if the last two reads hold them."""
        if not self._held:
            return None
        start = self._held[0][0]
        data = b"".join(chunk for _, chunk in self._held)
        if offset < start or offset + size > start + len(data):
            return None
        return data[offset - start : offset - start + size]

    def close(self) -> None:
        try:
            if self._raw is not self._file:
                self._raw.close()
        finally:
            self._file.close()

    def __enter__(self) -> Tape:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(slots=True)
class Sample:
    """One sample of a shard: its key, what its metadata says, and where its members lie."""

    shard: int  # index into the scanned shards
    key: str
    url: str | None = None
    license: str | None = None
    invalid: Invalid | None = None
    metadata: bytes | None = None
    extensions: set[str] = field(default_factory=set)
    spans: list[tuple[int, int]] = field(default_factory=list)  # members: (header, end)


@dataclass(frozen=True)
class Fields:
    """Which metadata fields hold the URL and the license (None: the usual spellings)."""

    url: str = "url"
    license: str | None = None


def read_shard(
    path: Path, index: int, fields: Fields, *, spans: bool = False, cap: int | None = None
) -> Iterator[Sample]:
    """The samples of one shard, in order; ``spans`` records where each member lies."""
    cap = limits().line_bytes if cap is None else cap
    try:
        with Tape(path) as tape:
            yield from _samples(tape, index, fields, spans, cap)
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, pa.ArrowException) as exc:
        raise InputError(path, f"not a readable tar shard: {_one_line(exc)}") from exc
    except OSError as exc:
        raise InputError(path, f"cannot read the shard: {exc.strerror or _one_line(exc)}") from exc


def _samples(tape: Tape, index: int, fields: Fields, spans: bool, cap: int) -> Iterator[Sample]:
    archive = tarfile.open(fileobj=cast("IO[bytes]", tape), mode="r|")  # noqa: SIM115
    stream = archive.fileobj
    assert stream is not None
    current: Sample | None = None
    seen: set[str] = set()
    try:
        while (member := archive.next()) is not None:
            archive.members.clear()  # type: ignore[attr-defined]  # tarfile keeps each member
            if member.isdir():
                continue
            key, extension = _key(member.name)
            if key is None:
                continue  # no extension: webdataset skips such a member, so does the scan
            if current is None or key != current.key:
                if current is not None:
                    yield _finished(current, fields)
                current = Sample(index, key)
                if key in seen:
                    current.invalid = Invalid.BAD_RECORD
                seen.add(key)
            if spans:
                current.spans.append((member.offset, member.offset_data + _padded(member.size)))
            if extension in current.extensions:
                current.invalid = current.invalid or Invalid.BAD_RECORD
            current.extensions.add(extension)
            if not member.isreg() or member.issparse() or not _safe(member.name):
                current.invalid = Invalid.UNSAFE_MEMBER
            elif extension == "json" and current.invalid is None:
                if member.size > cap:
                    current.invalid = Invalid.METADATA_TOO_LARGE
                else:  # read from the stream itself: extractfile's file object costs more
                    current.metadata = stream.read(member.size)
                    if len(current.metadata) != member.size:
                        raise tarfile.ReadError("unexpected end of data")
        end = archive.offset
    finally:
        archive.close()
    if tape.held(end, _BLOCK) != bytes(_BLOCK):
        raise tarfile.ReadError(f"no end-of-archive block at byte {end}: truncated or corrupt")
    if current is not None:
        yield _finished(current, fields)


def _padded(size: int) -> int:
    return -(-size // _BLOCK) * _BLOCK


def _key(name: str) -> tuple[str | None, str]:
    """The sample key and extension of a member name (WebDataset: the path up to the first dot
    of the file name; the extension, lowercased, is the rest)."""
    folder, slash, base = name.rpartition("/")
    stem, dot, extension = base.partition(".")
    if not dot or not stem:
        return None, ""
    return folder + slash + stem, extension.lower()


def _safe(name: str) -> bool:
    """Whether a member name stays in the shard's folder and holds no control character (string
    tests: a path object per member would cost more than the rest of the scan)."""
    return not (
        name.startswith(("/", "../"))
        or name == ".."
        or name.endswith("/..")
        or "/../" in name
        or _CONTROL.search(name)
    )


def _finished(sample: Sample, fields: Fields) -> Sample:
    if sample.invalid is None and "json" not in sample.extensions:
        sample.invalid = Invalid.NO_METADATA
    if sample.invalid is None and sample.metadata is not None:
        sample.url, sample.license, sample.invalid = read_metadata(sample.metadata, fields)
    sample.metadata = None
    sample.extensions = set()
    return sample


def read_metadata(raw: bytes, fields: Fields) -> tuple[str | None, str | None, Invalid | None]:
    """The URL and license a sample's ``.json`` gives, or why it gives none."""
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=unique_pairs)
    except UnicodeDecodeError:
        return None, None, Invalid.BAD_ENCODING
    except (ValueError, RecursionError):
        return None, None, Invalid.BAD_RECORD
    if not isinstance(data, dict):
        return None, None, Invalid.BAD_RECORD
    info = data.get("yt_meta_dict")
    info = info.get("info") if isinstance(info, dict) else None
    info = info if isinstance(info, dict) else {}
    try:
        url_name = find_url(data, fields.url) or fields.url
        license_name = find_license(data, fields.license) or ""
        info_license = find_license(info, fields.license) or ""
    except AmbiguousFieldError:  # "license" and "License": a key named twice, in effect
        return None, None, Invalid.BAD_RECORD
    url = _text(data.get(url_name))
    for source, name in ((data, "webpage_url"), (data, "original_url"), (info, "webpage_url")):
        url = url or _text(source.get(name))
    license_ = _text(data.get(license_name))
    if license_ is None:
        license_ = _text(info.get(info_license))
    for value in (url, license_):
        if value is not None and not encodable(value):
            return None, None, Invalid.BAD_ENCODING
    return url, license_, None


def _text(value: object) -> str | None:
    """A JSON value as text: strings as they are, other values as JSON, null as None."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


# --- every shard -----------------------------------------------------------------------------


def shard_batches(
    paths: Sequence[Path], fields: Fields, *, spans: bool = False
) -> Iterator[list[Sample]]:
    """The samples of every shard, in batches of whole shards (a few thousand samples)."""
    batch: list[Sample] = []
    for index, path in enumerate(paths):
        batch.extend(_one_per_key(read_shard(path, index, fields, spans=spans)))
        if len(batch) >= _SAMPLES_PER_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _one_per_key(samples: Iterable[Sample]) -> list[Sample]:
    """A shard's samples with each key once: a key that comes back after another key is one
    sample, invalid (bad-record, or unsafe-member when a member is), whose members are all of
    those the key names, wherever they lie; so every sample is counted once, in one set."""
    first: dict[str, Sample] = {}
    out: list[Sample] = []
    for sample in samples:
        earlier = first.setdefault(sample.key, sample)
        if earlier is sample:
            out.append(sample)
            continue
        unsafe = Invalid.UNSAFE_MEMBER in (earlier.invalid, sample.invalid)
        earlier.invalid = Invalid.UNSAFE_MEMBER if unsafe else Invalid.BAD_RECORD
        earlier.url = earlier.license = None
        earlier.spans.extend(sample.spans)
    return out


class ShardSource:
    """WebDataset shards as a source of keyed samples (see :mod:`auditor.scan.samples`)."""

    format = InputFormat.WEBDATASET

    def __init__(self, spec: Path, *, url_field: str, license_field: str | None) -> None:
        self.label = str(spec)
        self.paths = shard_paths(spec)
        self.labels = shard_labels(self.paths, spec)
        self.shards = len(self.paths)
        self.url_field = url_field
        self.license_field: str | None = license_field or "license"
        self._fields = Fields(url_field, license_field)
        self.dataset_license: str | None = None
        self._spans = False

    def batches(self) -> Iterator[Rows]:
        fields = self._fields
        for samples in shard_batches(self.paths, fields, spans=self._spans):
            yield Rows(
                shards=pa.array([self.labels[s.shard] for s in samples], pa.string()),
                keys=pa.array([s.key for s in samples], pa.string()),
                urls=pa.array([s.url for s in samples], pa.string()),
                licenses=pa.array([s.license for s in samples], pa.string()),
                invalid=pa.array(
                    [invalid_bit(s.invalid) if s.invalid else 0 for s in samples], pa.int64()
                ),
                samples=samples,
            )

    def writer(self, folder: Path) -> ShardWriter:
        self._spans = True
        return ShardWriter(folder, self.paths)


# --- writing filtered shards -----------------------------------------------------------------


class ShardWriter:
    """Writes allowed samples into new shards in ``folder``: ``00000.tar``, ``00001.tar``...
    compressed as the first input shard is. A shard is closed before it would hold more bytes
    (uncompressed) than the largest input shard read so far, so shards keep about their size."""

    def __init__(self, folder: Path, paths: Sequence[Path]) -> None:
        self.folder = folder
        self.paths = paths
        self.kind = compression_of_shard(paths[0]) if paths else None
        self.written: list[Path] = []
        self.target = 0
        self._out: Any = None  # the compressing stream over _raw, or _raw itself
        self._raw: IO[bytes] | None = None
        self._tmp: Path | None = None
        self._size = 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, rows: Rows, keep: Sequence[bool]) -> None:
        """Copy the members of the samples marked ``keep``, shard by shard."""
        samples = [s for s in rows.samples if isinstance(s, Sample)]
        by_shard: dict[int, list[Sample]] = {}
        for sample in samples:
            by_shard.setdefault(sample.shard, [])
        for sample, kept in zip(samples, keep, strict=True):
            if kept:
                by_shard[sample.shard].append(sample)
        ends = [end for sample in samples for _, end in sample.spans]
        self.target = max([self.target, *ends])
        for index, kept_samples in by_shard.items():
            if kept_samples:
                self._copy(self.paths[index], kept_samples)

    def _copy(self, path: Path, samples: list[Sample]) -> None:
        tape = Tape(path)
        try:
            for sample in samples:
                size = sum(end - start for start, end in sample.spans)
                if self._out is None or (self._size and self._size + size > self.target):
                    self._next()
                for start, end in sample.spans:
                    if start < tape.position:  # a key whose members lie apart: read again
                        tape.close()
                        tape = Tape(path)
                    tape.skip_to(start)
                    while tape.position < end:
                        data = tape.read(min(_COPY, end - tape.position))
                        if not data:
                            raise InputError(path, "the shard changed while it was being copied")
                        self._out.write(data)
                self._size += size
        finally:
            tape.close()

    def _next(self) -> None:
        self._close()
        suffix = {"gz": ".tar.gz", "bz2": ".tar.bz2", "xz": ".tar.xz", "zst": ".tar.zst"}
        path = self.folder / f"{len(self.written):05d}{suffix.get(self.kind or '', '.tar')}"
        handle, self._tmp = create_beside(path)
        raw = os.fdopen(handle, "wb")
        match self.kind:
            case "gz":
                self._out = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0)
            case "bz2":
                self._out = bz2.BZ2File(raw, mode="wb")
            case "xz":
                self._out = lzma.LZMAFile(raw, mode="wb")  # noqa: SIM115 - closed by _close()
            case "zst":
                self._out = pa.CompressedOutputStream(pa.PythonFile(raw, "w"), "zstd")
            case _:
                self._out = raw
        self._raw = raw
        self.written.append(path)
        self._size = 0

    def _close(self) -> None:
        if self._out is None:
            return
        end = self._size + 2 * _BLOCK
        self._out.write(bytes(2 * _BLOCK + (-end) % _RECORD))
        self._shut()
        assert self._tmp is not None
        self._tmp.replace(self.written[-1])
        self._tmp = None

    def _shut(self) -> None:
        """Close the compressing stream, then the file under it (a compressor may leave it)."""
        out, raw = self._out, self._raw
        self._out = self._raw = None
        try:
            if out is not None:
                out.close()
        finally:
            if raw is not None and not raw.closed:
                raw.close()

    def commit(self) -> None:
        self._close()

    def abort(self) -> None:
        """Remove what was written: a failed scan leaves no filtered shards behind (even when
        closing the file fails again)."""
        try:
            self._shut()
        finally:
            for path in [*self.written, *([self._tmp] if self._tmp else [])]:
                path.unlink(missing_ok=True)
            self._tmp = None
