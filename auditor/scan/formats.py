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


class AmbiguousFieldError(ValueError):
    """Two fields differ only in case (``license`` and ``License``): which to read is anyone's
    guess, and reading one could pass what the other forbids."""


def find_field(names: Iterable[str], candidates: Sequence[str]) -> str | None:
    """The first of ``names`` that matches a candidate, case-insensitively, in the candidates'
    order; None when none does. Two names matching one candidate are an ambiguity."""
    folded: dict[str, list[str]] = {}
    for name in names:
        folded.setdefault(name.casefold(), []).append(name)
    for candidate in candidates:
        # One name given twice is left to the reader's own check ("appears 2 times").
        matches = list(dict.fromkeys(folded.get(candidate.casefold(), [])))
        if len(matches) > 1:
            shown = " and ".join(f"'{name}'" for name in matches)
            raise AmbiguousFieldError(f"the fields {shown} differ only in case: which to read?")
        if matches:
            return matches[0]
    return None


def url_field(names: Collection[str], given: str) -> str | None:
    """The URL field: ``given`` when present; for the default ``url``, the usual spellings."""
    if given != URL_NAMES[0]:
        return given if given in names else None
    return find_field(names, URL_NAMES)


def license_field(names: Collection[str], given: str | None) -> str | None:
    """The license field: ``given`` (None when absent), or the usual spellings when not given."""
    if given is not None:
        return given if given in names else None
    return find_field(names, LICENSE_NAMES)


class RepeatedKeyError(ValueError):
    """A JSON object names a key twice: which value to judge is anyone's guess."""


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for ``json.loads``: an object, refused when it repeats a key."""
    record = dict(pairs)
    if len(record) < len(pairs):
        raise RepeatedKeyError("a key appears twice in one object")
    return record
