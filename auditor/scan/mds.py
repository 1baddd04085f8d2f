"""MosaicML streaming datasets: MDS shards described by an ``index.json``.

The layout read here is the one ``streaming``'s ``MDSWriter`` writes (format ``mds``, version 2;
source: github.com/mosaicml/streaming, ``streaming/base/format/mds/writer.py`` and
``reader.py``, read 2026-12-07). Each shard entry of ``index.json`` names its file
(``raw_data.basename``), its number of samples and its columns: names, encodings and sizes (a
size for fixed-width encodings, null for variable ones). A shard file is a little-endian
``uint32`` sample count, ``count + 1`` ``uint32`` offsets from the start of the file, the
writer's configuration as JSON, then the samples; a sample is the ``uint32`` sizes of its
variable-width columns, then each column's bytes, columns in index order.

The URL and license are read from columns of encoding ``str`` (UTF-8 text) or, when no column
has the name, from a field of that name in a ``json`` column. Not supported, and refused as an
input error rather than read wrongly: compressed shards (``compression``/``zip_data`` set), other
formats (``csv``, ``tsv``, ``jsonl``), other versions, URL or license columns of other encodings.

A sample's shard is its shard file's name and its key is its index in the whole dataset, the
index ``StreamingDataset[i]`` reads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from auditor.document import file_status, read_bytes
from auditor.errors import InputError
from auditor.scan.classify import Invalid, invalid_bit
from auditor.scan.formats import AmbiguousFieldError, InputFormat, unique_pairs
from auditor.scan.formats import license_field as find_license
from auditor.scan.formats import url_field as find_url
from auditor.scan.samples import Rows, SplitWriter

_TEXT = ("str", "json")


@dataclass(frozen=True)
class _Shard:
    path: Path
    name: str
    samples: int
    names: tuple[str, ...]
    encodings: tuple[str, ...]
    sizes: tuple[int | None, ...]


class MdsDataset:
    """An MDS dataset as a source of keyed samples."""

    format = InputFormat.MDS

    def __init__(self, path: Path, *, url_field: str, license_field: str | None) -> None:
        index = path if path.is_file() else path / "index.json"
        if not index.is_file():
            raise InputError(path, "no index.json here")
        self.label = str(path)
        self.dataset_license: str | None = None
        self._shards = _read_index(index)
        self.shards = len(self._shards)
        names = self._shards[0].names if self._shards else ()
        try:
            self.url_field = find_url(names, url_field) or url_field
            # A license column by one of the usual spellings, else a "license" json field.
            self.license_field: str | None = license_field or find_license(names, None) or "license"
        except AmbiguousFieldError as exc:
            raise InputError(index, str(exc)) from exc
        self._explicit_license = license_field is not None
        for shard in self._shards:
            _where(shard, self.url_field, "URL", required=True)
            if self._explicit_license:
                _where(shard, license_field or "license", "license", required=True)

    def batches(self) -> Iterator[Rows]:
        first = 0
        for shard in self._shards:
            yield self._rows(shard, first)
            first += shard.samples

    def _rows(self, shard: _Shard, first: int) -> Rows:
        data = _shard_bytes(shard)
        offsets = _offsets(shard, data)
        url_at = _where(shard, self.url_field, "URL", required=True)
        license_at = _where(shard, self.license_field or "license", "license", required=False)
        urls: list[str | None] = []
        licenses: list[str | None] = []
        invalid: list[int] = []
        for i in range(shard.samples):
            columns = _columns(shard, data, int(offsets[i]), int(offsets[i + 1]))
            if columns is None:
                raise InputError(shard.path, f"sample {i}: its column sizes overrun the sample")
            url, bad_url = _value(shard, columns, url_at)
            lic, bad_license = _value(shard, columns, license_at)
            bad = bad_url or bad_license
            urls.append(None if bad else url)
            licenses.append(None if bad else lic)
            invalid.append(invalid_bit(bad) if bad else 0)
        n = shard.samples
        return Rows(
            shards=pa.repeat(shard.name, n) if n else pa.array([], pa.string()),
            keys=pa.array([str(first + i) for i in range(n)], pa.string()),
            urls=pa.array(urls, pa.string()),
            licenses=pa.array(licenses, pa.string()) if license_at is not None else None,
            invalid=pa.array(invalid, pa.int64()),
        )

    def writer(self, folder: Path) -> SplitWriter:
        raise InputError(
            folder,
            "filtered copies are written for WebDataset shards only; for MDS use "
            "--write-blocked-keys and skip the listed sample indices when loading",
        )


# Where a field is: (column index, None) for a str column, (column index, field) in a json one.
_Place = tuple[int, str | None]


def _where(shard: _Shard, name: str, what: str, *, required: bool) -> _Place | None:
    if name in shard.names:
        at = shard.names.index(name)
        if shard.encodings[at] not in _TEXT:
            raise InputError(
                shard.path,
                f"the {what} column '{name}' has encoding '{shard.encodings[at]}'; "
                "only str and json columns are read",
            )
        return at, None if shard.encodings[at] == "str" else name
    json_columns = [i for i, e in enumerate(shard.encodings) if e == "json"]
    if json_columns:
        return json_columns[0], name
    if required:
        raise InputError(
            shard.path,
            f"no {what} column '{name}' (columns: {', '.join(shard.names)}); "
            f"name it with {'--url-column' if what == 'URL' else '--license-column'}",
        )
    return None


def _columns(shard: _Shard, data: memoryview, start: int, end: int) -> list[memoryview] | None:
    variable = sum(size is None for size in shard.sizes)
    if end - start < 4 * variable:
        return None
    head = np.frombuffer(data[start : start + 4 * variable], "<u4")
    at = start + 4 * variable
    columns = []
    sizes = iter(head.tolist())
    for size in shard.sizes:
        length = size if size is not None else next(sizes)
        if at + length > end:
            return None
        columns.append(data[at : at + length])
        at += length
    return columns


def _value(
    shard: _Shard, columns: list[memoryview], place: _Place | None
) -> tuple[str | None, Invalid | None]:
    if place is None:
        return None, None
    at, field = place
    try:
        text = bytes(columns[at]).decode("utf-8")
    except UnicodeDecodeError:
        return None, Invalid.BAD_ENCODING
    if field is None or shard.encodings[at] == "str":
        return text, None
    try:
        document = json.loads(text, object_pairs_hook=unique_pairs)
    except (ValueError, RecursionError):
        return None, Invalid.BAD_RECORD
    value = document.get(field) if isinstance(document, dict) else None
    if value is None or isinstance(value, str):
        try:
            (value or "").encode("utf-8")
        except UnicodeEncodeError:
            return None, Invalid.BAD_ENCODING
        return value, None
    return json.dumps(value, sort_keys=True), None


def _shard_bytes(shard: _Shard) -> memoryview:
    status = file_status(shard.path)
    try:
        with shard.path.open("rb") as handle:
            return memoryview(handle.read(status.st_size + 1))
    except OSError as exc:
        raise InputError(shard.path, f"cannot read the shard: {exc.strerror or exc}") from exc


def _offsets(shard: _Shard, data: memoryview) -> Any:
    if len(data) < 4 * (shard.samples + 2):
        raise InputError(shard.path, "shorter than its header: truncated")
    count = int(np.frombuffer(data[:4], "<u4")[0])
    if count != shard.samples:
        raise InputError(shard.path, f"holds {count} samples, index.json says {shard.samples}")
    offsets = np.frombuffer(data[4 : 4 * (count + 2)], "<u4")
    if (count and (offsets[0] < 4 * (count + 2) or offsets[-1] != len(data))) or np.any(
        np.diff(offsets.astype(np.int64)) < 0
    ):
        raise InputError(shard.path, "its sample offsets do not fit the file: truncated or corrupt")
    return offsets


def _read_index(index: Path) -> list[_Shard]:
    try:
        document = json.loads(read_bytes(index).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(index, f"not valid JSON: {exc}") from exc
    entries = document.get("shards") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InputError(index, "no 'shards' list")
    return [_shard(index, i, entry) for i, entry in enumerate(entries)]


def _shard(index: Path, i: int, entry: Any) -> _Shard:
    where = f"shards[{i}]"
    if not isinstance(entry, dict):
        raise InputError(index, f"{where} is not an object")
    fmt, version = entry.get("format"), entry.get("version")
    if fmt != "mds":
        raise InputError(index, f"{where}: format {fmt!r} is not supported (only 'mds')")
    if version != 2:
        raise InputError(index, f"{where}: MDS version {version!r} is not supported (only 2)")
    if entry.get("compression") or entry.get("zip_data"):
        raise InputError(
            index,
            f"{where}: compressed MDS shards ({entry.get('compression')}) are not supported; "
            "decompress them first",
        )
    raw = entry.get("raw_data")
    name = raw.get("basename") if isinstance(raw, dict) else None
    names, encodings, sizes = (
        entry.get(k) for k in ("column_names", "column_encodings", "column_sizes")
    )
    samples = entry.get("samples")
    if (
        not isinstance(name, str)
        or not isinstance(names, list)
        or not isinstance(encodings, list)
        or not isinstance(sizes, list)
        or not isinstance(samples, int)
        or samples < 0
        or not len(names) == len(encodings) == len(sizes)
        or not all(isinstance(n, str) for n in [*names, *encodings])
        or not all(s is None or (isinstance(s, int) and s >= 0) for s in sizes)
    ):
        raise InputError(index, f"{where} is not an MDS shard entry")
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts:
        raise InputError(index, f"{where}: the file name {name!r} leaves the dataset folder")
    return _Shard(index.parent / name, name, samples, tuple(names), tuple(encodings), tuple(sizes))
