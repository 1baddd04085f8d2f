"""Hugging Face datasets on disk: ``save_to_disk`` folders and the Arrow cache files.

``Dataset.save_to_disk`` writes Arrow IPC *stream* files (``data-00000-of-00001.arrow``...), a
``state.json`` listing them in order under ``_data_files``, and a ``dataset_info.json`` whose
``license`` field is the dataset's own license claim; ``DatasetDict.save_to_disk`` writes one
such folder per split and a ``dataset_dict.json`` naming the splits. The cache ``datasets``
keeps under ``~/.cache/huggingface/datasets`` holds Arrow files of the same kind, with a
``dataset_info.json`` beside them. Only the URL and license columns are read, a record batch at a
time from a memory map.

A sample's shard is its split (``.`` for a folder of one dataset, the file name for an Arrow file
given alone or a folder of cache files) and its key is its row index there: the index
``Dataset.filter(..., with_indices=True)`` passes, for the dataset as saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any, overload

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.document import file_status, read_bytes
from auditor.errors import InputError
from auditor.scan.arrays import binary_as_text
from auditor.scan.classify import Invalid, invalid_bit
from auditor.scan.formats import AmbiguousFieldError, InputFormat
from auditor.scan.formats import license_field as find_license
from auditor.scan.formats import url_field as find_url
from auditor.scan.samples import Rows, SplitWriter


class SavedDataset:
    """A saved dataset (or Arrow cache files) as a source of keyed samples."""

    format = InputFormat.HF_DISK

    def __init__(self, path: Path, *, url_field: str, license_field: str | None) -> None:
        if not path.exists():
            raise InputError(path, "no such file or directory")
        self.label = str(path)
        self.parts = _parts(path)  # (split, arrow files)
        self.shards = len(self.parts)
        self.split_licenses = _split_licenses(path, self.parts)
        claims = set(self.split_licenses.values())
        # The report names the dataset's license when every split declares the same one.
        self.dataset_license = claims.pop() if len(claims) == 1 else None
        names = self._columns()
        self.url_field = _pick(path, names, url_field, "URL", "--url-column")
        self.license_field: str | None = None
        if license_field is not None:
            self.license_field = _pick(path, names, license_field, "license", "--license-column")
        else:
            self.license_field = _pick(path, names, None, "license", "")

    def _columns(self) -> tuple[str, ...]:
        for _, files in self.parts:
            for file in files:
                with _open(file) as reader:
                    return tuple(reader.schema.names)
        return ()

    def batches(self) -> Iterator[Rows]:
        wanted = [self.url_field, *([self.license_field] if self.license_field else [])]
        for split, files in self.parts:
            row = 0
            for file in files:
                with _open(file) as reader:
                    missing = [n for n in wanted if n not in reader.schema.names]
                    if missing:
                        raise InputError(file, f"no column '{missing[0]}' in this file")
                    try:
                        for batch in reader:
                            yield _rows(
                                batch.select(wanted),
                                split,
                                row,
                                self.license_field,
                                self.split_licenses[split],
                            )
                            row += batch.num_rows
                    except pa.ArrowException as exc:
                        raise InputError(file, f"cannot read the Arrow data: {exc}") from exc

    def writer(self, folder: Path) -> SplitWriter:
        raise InputError(
            folder,
            "filtered copies are written for WebDataset shards only; for a saved dataset use "
            "--write-blocked-keys and filter it when loading",
        )


class _Reader:
    """An Arrow IPC file or stream, opened from a memory map."""

    def __init__(self, path: Path) -> None:
        file_status(path)
        self.path = path
        self._source = pa.memory_map(str(path))
        try:
            self._reader: Any = pa.ipc.open_stream(self._source)
            self._batches: Iterator[pa.RecordBatch] = iter(self._reader)
        except pa.ArrowInvalid:
            try:
                self._reader = pa.ipc.open_file(self._source)
            except pa.ArrowException as exc:
                self._source.close()
                raise InputError(path, f"not an Arrow file: {exc}") from exc
            file = self._reader
            self._batches = (file.get_batch(i) for i in range(file.num_record_batches))
        self.schema = self._reader.schema

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        return self._batches

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._source.close()


def _open(path: Path) -> _Reader:
    try:
        return _Reader(path)
    except OSError as exc:
        raise InputError(path, f"cannot read the Arrow file: {exc.strerror or exc}") from exc


def _rows(
    batch: pa.RecordBatch,
    split: str,
    start: int,
    license_field: str | None,
    claim: str | None,
) -> Rows:
    n = batch.num_rows
    urls, bad = _text(batch.column(0))
    licenses = None
    if license_field is not None:
        licenses, bad_license = _text(batch.column(1))
        if bad_license is not None:
            bad = bad_license if bad is None else pc.or_(bad, bad_license)
    invalid = None
    if bad is not None:
        invalid = pc.if_else(bad, invalid_bit(Invalid.BAD_ENCODING), 0).cast(pa.int64())
    keys = pc.cast(pa.array(range(start, start + n), pa.int64()), pa.string())
    return Rows(
        pa.repeat(split, n) if n else pa.array([], pa.string()),
        keys,
        urls,
        licenses,
        invalid,
        dataset_license=claim,
    )


def _text(array: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """A column as UTF-8 strings, and which rows were not UTF-8 (None: all were). Other types
    (numbers, lists) are read as their text."""
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        return array.cast(pa.string()), None
    if pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type):
        return binary_as_text(array)
    try:
        return array.cast(pa.string()), None
    except pa.ArrowNotImplementedError:
        text = [json.dumps(v, sort_keys=True) if v is not None else None for v in array.to_pylist()]
        return pa.array(text, pa.string()), None


@overload
def _pick(path: Path, names: tuple[str, ...], given: str, what: str, flag: str) -> str: ...
@overload
def _pick(path: Path, names: tuple[str, ...], given: None, what: str, flag: str) -> str | None: ...
def _pick(
    path: Path, names: tuple[str, ...], given: str | None, what: str, flag: str
) -> str | None:
    """The column to read; ``given`` None: the usual spellings of a license column, if any."""
    try:
        found = find_url(names, given or "url") if what == "URL" else find_license(names, given)
    except AmbiguousFieldError as exc:
        raise InputError(path, str(exc)) from exc
    if found is not None or given is None:
        return found
    raise InputError(
        path, f"no {what} column '{given}' (columns: {', '.join(names)}); name it with {flag}"
    )


# --- the layout on disk ------------------------------------------------------------------------


def _parts(path: Path) -> list[tuple[str, list[Path]]]:
    """The splits of a saved dataset, each with its Arrow files in order."""
    if path.is_file():
        return [(path.name, [path])]
    if (path / "dataset_dict.json").is_file():
        document = _json(path / "dataset_dict.json")
        splits = document.get("splits") if isinstance(document, dict) else None
        if not isinstance(splits, list) or not all(isinstance(s, str) for s in splits):
            raise InputError(path / "dataset_dict.json", "'splits' is not a list of names")
        if not splits:
            raise InputError(path / "dataset_dict.json", "'splits' is empty: nothing to scan")
        return [(split, _data_files(path / _relative(path, split))) for split in splits]
    if (path / "state.json").is_file():
        return [(".", _data_files(path))]
    files = sorted(path.glob("*.arrow"))
    if not files:
        raise InputError(path, "no state.json, dataset_dict.json or .arrow files here")
    return [(file.name, [file]) for file in files]


def _data_files(folder: Path) -> list[Path]:
    state = _json(folder / "state.json")
    entries = state.get("_data_files") if isinstance(state, dict) else None
    if not isinstance(entries, list):
        raise InputError(folder / "state.json", "no '_data_files' list")
    if not entries:
        raise InputError(folder / "state.json", "'_data_files' is empty: nothing to scan")
    files = []
    for entry in entries:
        name = entry.get("filename") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise InputError(folder / "state.json", "a '_data_files' entry has no 'filename'")
        files.append(folder / _relative(folder / "state.json", name))
    return files


def _relative(where: Path, name: str) -> str:
    """A file name a JSON file gives, refused if it leaves the folder."""
    pure = PurePosixPath(name)
    if not name or pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise InputError(where, f"the file name {name!r} leaves the dataset folder")
    return name


def _split_licenses(path: Path, parts: list[tuple[str, list[Path]]]) -> dict[str, str | None]:
    """The license each split declares: the ``license`` of the ``dataset_info.json`` in its own
    folder (each split of a ``DatasetDict`` has one), else of the one beside the data; None if
    absent or empty."""
    folder = path.parent if path.is_file() else path
    top = _info_license(folder / "dataset_info.json")
    if not (path / "dataset_dict.json").is_file():
        return dict.fromkeys((split for split, _ in parts), top)
    licenses = {}
    for split, _ in parts:
        own = path / _relative(path, split) / "dataset_info.json"
        licenses[split] = _info_license(own) if own.is_file() else top
    return licenses


def _info_license(info: Path) -> str | None:
    if not info.is_file():
        return None
    document = _json(info)
    value = document.get("license") if isinstance(document, dict) else None
    if value is not None and not isinstance(value, str):
        raise InputError(info, "'license' is not text")
    return value.strip() or None if value else None


def _json(path: Path) -> Any:
    try:
        return json.loads(read_bytes(path).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InputError(path, f"not valid JSON: {exc}") from exc
