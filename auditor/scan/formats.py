"""The record-level input formats ``auditor scan`` reads (kept apart so the CLI can name them
without importing pyarrow)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from enum import StrEnum
from typing import Any


class InputFormat(StrEnum):
    PARQUET = "parquet"
    JSONL = "jsonl"
    CSV = "csv"
    YTDLP_INFO = "yt-dlp-info"
    YTDLP_ARCHIVE = "yt-dlp-archive"
    # Keyed samples (auditor/scan/samples.py): what a training job reads.
    WEBDATASET = "webdataset"
    HF_DISK = "hf-disk"
    MDS = "mds"


# --- the fields every reader looks for ---------------------------------------------------------

# Names read as the URL when none is given, and as the license (compared case-insensitively, in
# this order of preference): every format judges the same columns the same way.
URL_NAMES = ("url", "image_url", "video_url", "source_url", "webpage_url", "link")
LICENSE_NAMES = ("license", "licence", "licenses", "licences", "license_name", "license_type")


def find_field(names: Iterable[str], candidates: Sequence[str]) -> str | None:
    """The first of ``names`` that matches a candidate, case-insensitively, in the candidates'
    order (an exact match first); None when none does."""
    listed = list(names)
    folded: dict[str, list[str]] = {}
    for name in listed:
        folded.setdefault(name.casefold(), []).append(name)
    for candidate in candidates:
        matches = folded.get(candidate.casefold(), [])
        if matches:
            return candidate if candidate in matches else matches[0]
    return None


def url_field(names: Collection[str], given: str) -> str | None:
    """The URL field: ``given`` when present; for the default ``url``, the usual spellings."""
    if given in names:
        return given
    return find_field(names, URL_NAMES) if given == "url" else None


def license_field(names: Collection[str], given: str | None) -> str | None:
    """The license field: ``given`` (None when absent), or the usual spellings when not given.
    A sample's metadata is looked up once per sample, so the plain ``license`` is tried first."""
    if given is not None:
        return given if given in names else None
    if LICENSE_NAMES[0] in names:
        return LICENSE_NAMES[0]
    return find_field(names, LICENSE_NAMES)


class RepeatedKeyError(ValueError):
    """A JSON object names a key twice: which value to judge is anyone's guess."""


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: an object, refused when it repeats a key."""
    record = dict(pairs)
    if len(record) < len(pairs):
        raise RepeatedKeyError("a key appears twice in one object")
    return record
