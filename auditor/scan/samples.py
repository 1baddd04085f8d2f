"""``auditor scan`` over keyed samples: what a training job reads, sample by sample.

Three inputs, each read by its own module into batches of :class:`Rows` (the sample's shard
and key, its URL, its license and why it is invalid, if it is):

* WebDataset tar shards (:mod:`auditor.scan.shards`): a folder, a brace pattern or one shard;
* Hugging Face datasets saved to disk, and the Arrow cache files ``datasets`` leaves
  (:mod:`auditor.scan.arrowdisk`): a row's key is its index in its split;
* MosaicML streaming MDS shards (:mod:`auditor.scan.mds`): a row's key is its sample index.

Each batch is classified as ``scan`` classifies any rows, and then each sample is in exactly one
of three sets: allowed, blocked, invalid. Every sample that is not allowed (blocked, invalid, and
under review when ``--fail-on warning``) is written to ``--write-blocked-keys`` as a
``shard<TAB>key`` line, in input order, so a loader can skip it (:mod:`auditor.scan.loader`);
the report lists the first of them. A dataset-level license (``dataset_info.json``) is a claim
like the rows' own: a row without a license takes it, and its rules apply to every valid row.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.errors import InputError
from auditor.output import create_beside
from auditor.scan.classify import Classifier, rules_of, with_claim
from auditor.scan.engine import (
    HOST_CACHE,
    ScanOptions,
    classifier_for,
    nothing_read,
    scan_settings,
)
from auditor.scan.formats import InputFormat
from auditor.scan.loader import escape_field
from auditor.scan.report import (
    DatasetLicense,
    SampleRef,
    Samples,
    ScanReport,
    build_report,
)
from auditor.scan.tally import ScanTally

SAMPLE_FORMATS = (InputFormat.WEBDATASET, InputFormat.HF_DISK, InputFormat.MDS)
LISTED = 1000  # blocked samples named in the report; the keys file names them all


@dataclass(frozen=True)
class Rows:
    """One batch of samples: Arrow arrays of equal length."""

    shards: pa.Array  # string: the shard (or split) each sample is in
    keys: pa.Array  # string: its key in that shard
    urls: pa.Array  # string
    licenses: pa.Array | None  # string; None: the input has no license field
    invalid: pa.Array | None  # int64 invalid bits, 0 for a usable sample
    samples: Sequence[object] = ()  # the reader's own record of each sample, for its writer
    dataset_license: str | None = None  # the license the batch's split declares


class SampleSource(Protocol):
    """An input of keyed samples."""

    label: str  # the input as given
    format: InputFormat
    url_field: str
    license_field: str | None
    dataset_license: str | None  # a license the whole dataset declares
    shards: int

    def batches(self) -> Iterator[Rows]: ...
    def writer(self, folder: Path) -> SplitWriter: ...


class SplitWriter(Protocol):
    """Writes the samples of each batch that ``keep`` marks (filtered shards)."""

    def write(self, rows: Rows, keep: Sequence[bool]) -> None: ...
    def commit(self) -> None: ...
    def abort(self) -> None: ...


def detect_sample_format(path: Path) -> InputFormat | None:
    """The keyed-sample format of ``path``, or None when it is none of them."""
    from auditor.scan.shards import is_shard_name

    text = str(path)
    if "{" in text and not path.exists():
        return InputFormat.WEBDATASET if is_shard_name(text) else None
    if path.is_file():
        name = path.name.lower()
        if is_shard_name(name):
            return InputFormat.WEBDATASET
        if name.endswith(".arrow"):
            return InputFormat.HF_DISK
        return InputFormat.MDS if name == "index.json" else None
    if not path.is_dir():
        return None
    if (path / "index.json").is_file():
        return InputFormat.MDS
    markers = ("state.json", "dataset_dict.json", "dataset_info.json")
    if any((path / name).is_file() for name in markers) or next(path.glob("*.arrow"), None):
        return InputFormat.HF_DISK
    if next(path.rglob("*.info.json"), None) is None:
        for child in path.rglob("*"):
            if is_shard_name(child.name):
                return InputFormat.WEBDATASET
    return None


def open_source(
    path: Path, fmt: InputFormat, *, url_field: str, license_field: str | None
) -> SampleSource:
    match fmt:
        case InputFormat.WEBDATASET:
            from auditor.scan.shards import ShardSource

            return ShardSource(path, url_field=url_field, license_field=license_field)
        case InputFormat.HF_DISK:
            from auditor.scan.arrowdisk import SavedDataset

            return SavedDataset(path, url_field=url_field, license_field=license_field)
        case InputFormat.MDS:
            from auditor.scan.mds import MdsDataset

            return MdsDataset(path, url_field=url_field, license_field=license_field)
    raise InputError(path, f"not a keyed-sample format: {fmt.value}")


def scan_input(
    path: Path,
    fmt: InputFormat,
    options: ScanOptions,
    *,
    url_field: str,
    license_field: str | None,
    blocked_keys: Path | None,
    progress: Callable[[int], None] | None = None,
) -> ScanReport:
    """``auditor scan`` over keyed samples: ``options.write_allowed`` and ``write_blocked``
    name folders of filtered shards here."""
    source = open_source(path, fmt, url_field=url_field, license_field=license_field)
    folders = [(options.write_allowed, True), (options.write_blocked, False)]
    writers = []
    for folder, allowed in folders:
        if folder is not None:
            _check_folder(folder, path, "--write-allowed" if allowed else "--write-blocked")
            writers.append((source.writer(folder), allowed))
    return scan_samples(
        source, options, blocked_keys=blocked_keys, writers=writers, progress=progress
    )


def _check_folder(folder: Path, spec: Path, option: str) -> None:
    """A folder for filtered shards: not a file, not in the scanned folder, holding no shards."""
    from auditor.scan.shards import is_shard_name

    if folder.exists() and not folder.is_dir():
        raise InputError(folder, f"{option}: not a folder")
    where = folder.resolve()
    if spec.is_dir() and where.is_relative_to(spec.resolve()):
        raise InputError(folder, f"{option}: inside the scanned folder {spec}")
    if not spec.is_dir() and where == spec.parent.resolve():
        raise InputError(folder, f"{option}: the folder of the scanned shards")
    if folder.is_dir() and any(is_shard_name(p.name) for p in folder.iterdir()):
        raise InputError(folder, f"{option}: already holds shards; name an empty folder")


def scan_samples(
    source: SampleSource,
    options: ScanOptions,
    *,
    blocked_keys: Path | None = None,
    writers: Sequence[tuple[SplitWriter, bool]] = (),
    progress: Callable[[int], None] | None = None,
) -> ScanReport:
    """Scan every sample; write the keys of those kept out, and filtered shards, if asked.

    ``writers`` pairs a writer with True for the allowed samples, False for the others."""
    classifier = classifier_for(options, options.method, source.label)
    excluded = classifier.excluded_bits(options.fail_on)
    tally = ScanTally(classifier, options.max_domain_entries)
    declared_by: set[str | None] = set()  # the dataset-level licenses of the rows' splits
    listed: list[SampleRef] = []
    total = read = 0
    keys_file = _KeysFile(blocked_keys) if blocked_keys is not None else None
    try:
        for rows in source.batches():
            licenses = rows.licenses
            declared = rows.dataset_license or source.dataset_license
            if declared is not None:
                base = licenses if licenses is not None else pa.nulls(len(rows.urls), pa.string())
                licenses = pc.fill_null(base, declared)
            claim = _dataset_claim(classifier, declared)
            found = classifier.classify(rows.urls, licenses, rows.invalid, rows=True)
            tally.add(found, claim)
            declared_by.add(declared)
            assert found.host is not None
            slot = pc.add(found.license, 1) if found.license is not None else None
            mask = with_claim(classifier.masks(found.host, slot), claim)
            out = pc.not_equal(pc.bit_wise_and(mask, excluded), 0)
            total += pc.sum(out).as_py() or 0
            kept_out = pc.filter(pa.table({"s": rows.shards, "k": rows.keys, "m": mask}), out)
            if keys_file is not None:
                keys_file.write(kept_out.column("s").to_pylist(), kept_out.column("k").to_pylist())
            if len(listed) < LISTED:
                listed.extend(_refs(kept_out.slice(0, LISTED - len(listed)), classifier))
            if writers:
                keep = pc.invert(out).to_pylist()
                for writer, allowed in writers:
                    writer.write(rows, keep if allowed else [not k for k in keep])
            read += len(rows.urls)
            if classifier.hosts_held > HOST_CACHE:  # no class is held past the batch
                classifier.forget_hosts()
            if progress is not None:
                progress(len(rows.urls))
        if not read:
            raise nothing_read(source.label, source.format.value, "samples")
    except BaseException:
        # Every writer is aborted, even when one fails again while cleaning up (a full disk):
        # the scan's own failure is what is raised.
        for cleanup in [w.abort for w, _ in writers] + ([keys_file.abort] if keys_file else []):
            with suppress(Exception):
                cleanup()
        raise
    for writer, _ in writers:
        writer.commit()
    if keys_file is not None:
        keys_file.commit()
    settings = scan_settings(
        options,
        label=source.label,
        input_format=source.format.value,
        method=options.method,
        url_column=source.url_field,
        license_column=source.license_field,
    )
    report = build_report(
        tally.counts(),
        tally.license_rows(),
        classifier,
        settings,
        classifier.snapshots,
        tally.domains,
    )
    dataset_license = None
    notes = list(report.notes)
    if source.dataset_license is not None:
        resolved = classifier.license_class(source.dataset_license)
        dataset_license = DatasetLicense(
            raw=source.dataset_license,
            status=resolved.resolution.status.value,
            rules=rules_of(resolved.mask),
        )
        notes.append(
            "The dataset declares a license of its own: rows without one take it, and its "
            "rules apply to every valid row."
        )
    elif len(declared_by) > 1:
        named = ", ".join(sorted(repr(raw) for raw in declared_by))
        notes.append(
            f"The splits declare different licenses ({named}): each applies to its own "
            "split as a dataset-level license would."
        )
    samples = Samples(
        shards=source.shards,
        dataset_license=dataset_license,
        blocked_total=total,
        blocked=tuple(listed),
        blocked_keys_file=str(blocked_keys) if blocked_keys is not None else None,
    )
    return report.model_copy(update={"notes": tuple(notes), "samples": samples})


def _dataset_claim(classifier: Classifier, raw: str | None) -> int:
    """The rule bits of a dataset-level license (0 without one)."""
    return classifier.license_class(raw).mask if raw is not None else 0


def _refs(table: pa.Table, classifier: Classifier) -> Iterator[SampleRef]:
    for shard, key, mask in zip(
        table.column("s").to_pylist(),
        table.column("k").to_pylist(),
        table.column("m").to_pylist(),
        strict=True,
    ):
        yield SampleRef(
            shard=shard, key=key, verdict=classifier.verdict(mask), rules=rules_of(mask)
        )


# --- the blocked-keys file ---------------------------------------------------------------------


class _KeysFile:
    """``shard<TAB>key`` lines, written beside the target and renamed into place at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        handle, self._tmp = create_beside(path)
        self._out = os.fdopen(handle, "w", encoding="utf-8", newline="\n")

    def write(self, shards: list[str], keys: list[str]) -> None:
        self._out.writelines(
            f"{escape_field(s)}\t{escape_field(k)}\n" for s, k in zip(shards, keys, strict=True)
        )

    def commit(self) -> None:
        self._out.close()
        self._tmp.replace(self.path)

    def abort(self) -> None:
        try:
            self._out.close()
        finally:
            self._tmp.unlink(missing_ok=True)
