"""A plain list of dataset references (``.txt``, or text sniffed as one): one per line, ``#``
starts a comment; or a YAML or JSON list of reference strings.

Each line names a dataset as a training config would: a Hugging Face repo id, a URL or URI, or a
local path. No license: each becomes a dataset with its ``source`` set, for a later stage to
resolve. The file is neither YAML nor JSON, so this reader parses it itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from auditor import document
from auditor.document import Document, PathKey
from auditor.errors import InputError
from auditor.model import Dataset, Location
from auditor.readers.references import reference, unique_ids

FORMAT = "text-list"

_COMMENT = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True)
class References:
    """The references in a list file, in order (their lines are the document's lines)."""

    entries: tuple[str, ...]


def load(path: Path) -> Document | None:
    """Read a ``.txt`` list of references; ``None`` for other files."""
    if path.suffix.lower() != ".txt":
        return None
    return parse(document.read_text(path), path.as_posix())


def parse(text: str, name: str) -> Document:
    """A list of references, one a line; its entries keep their line numbers."""
    entries: list[str] = []
    lines: dict[PathKey, int] = {(): 1}
    for number, line in enumerate(text.split("\n"), start=1):
        entry = _COMMENT.sub("", line).strip()
        if entry:
            lines[(len(entries),)] = number
            entries.append(entry)
    return Document(name, References(tuple(entries)), lines)


# A line that can only be a reference: one word, which YAML would read as a plain string (not
# a key, a list item, a quoted or flow value, a directive, an anchor, a tag or a block scalar),
# with a "/" or ":" as a Hub id, URL, URI or path has (content with no file name to go by needs
# this evidence: a list of plain words is no list of datasets).
_REFERENCE = re.compile(r"[\w./~][^\s]*[/:][^\s]*")
_YAML_WORDS = frozenset({"~", "null", "true", "false", "yes", "no", "on", "off"})
_NUMBER = re.compile(r"[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?")
_LINE = re.compile(r"[^\n]+")


def sniff(text: str) -> bool:
    """Whether ``text`` (a file of no known suffix, standard input) is a list of references:
    every line that is not blank or a comment is one reference, and none reads as YAML would
    read a key or a value of another type. Stops at the first line that is not."""
    found = False
    for line in _LINE.finditer(text):  # lazily: a big YAML manifest stops at its first key
        entry = _COMMENT.sub("", line[0]).strip()
        if not entry:
            continue
        if (
            not _REFERENCE.fullmatch(entry)
            or entry.endswith(":")
            or entry.lower() in _YAML_WORDS
            or _NUMBER.fullmatch(entry)
        ):
            return False
        found = True
    return found


def detect(doc: Document) -> bool:
    """A list file, or a YAML or JSON list whose every item is a reference string."""
    data = doc.data
    return isinstance(data, References) or (
        isinstance(data, list)
        and bool(data)
        and all(isinstance(item, str) and _REFERENCE.fullmatch(item.strip()) for item in data)
    )


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    refs = doc.data
    if isinstance(refs, list) and all(isinstance(item, str) for item in refs):
        refs = References(tuple(item.strip() for item in refs))
    if not isinstance(refs, References):
        raise doc.error((), "not a list of dataset references")
    if not refs.entries:
        raise InputError(doc.path, "no datasets: the list names no dataset references", 1)
    ids = unique_ids(refs.entries)
    datasets = tuple(
        Dataset(
            id=ident,
            name=entry,
            location=Location(path=doc.path, line=doc.line((index,))),
            source=reference(entry),
        )
        for index, (entry, ident) in enumerate(zip(refs.entries, ids, strict=True))
    )
    return None, datasets
