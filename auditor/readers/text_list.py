"""A plain list of dataset references (``.txt``): one per line, ``#`` starts a comment.

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
    entries: list[str] = []
    lines: dict[PathKey, int] = {(): 1}
    for number, line in enumerate(document.read_text(path).split("\n"), start=1):
        text = _COMMENT.sub("", line).strip()
        if text:
            lines[(len(entries),)] = number
            entries.append(text)
    return Document(path.as_posix(), References(tuple(entries)), lines)


def detect(doc: Document) -> bool:
    return isinstance(doc.data, References)


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    refs = doc.data
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
