"""Readers: one per manifest format, each turning a file into :class:`auditor.model.Dataset` values.

The registry is an explicit tuple. Each reader says whether a parsed document is its format
(``detect``) and reads it (``read``). The first reader that claims a document reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from auditor import document
from auditor.document import Document
from auditor.errors import InputError
from auditor.model import Dataset
from auditor.readers import native


@dataclass(frozen=True)
class Manifest:
    """What a reader found in one file."""

    path: str
    format: str
    name: str | None
    datasets: tuple[Dataset, ...]


class Reader(Protocol):
    FORMAT: str

    def detect(self, doc: Document) -> bool: ...

    def read(self, doc: Document) -> tuple[str | None, tuple[Dataset, ...]]: ...


READERS: tuple[Reader, ...] = (native,)
FORMATS: tuple[str, ...] = tuple(r.FORMAT for r in READERS)


def read(path: Path, *, fmt: str | None = None) -> Manifest:
    """Read ``path``, detecting its format unless ``fmt`` names one."""
    doc = document.load(path)
    if doc.data is None:
        raise InputError(doc.path, "the file is empty")
    if fmt is not None:
        chosen = next((r for r in READERS if fmt == r.FORMAT), None)
        if chosen is None:
            raise InputError(doc.path, f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")
    else:
        chosen = next((r for r in READERS if r.detect(doc)), None)
        if chosen is None:
            raise InputError(
                doc.path,
                f"not a recognised manifest (tried: {', '.join(FORMATS)})",
                doc.line(()),
            )
    name, datasets = chosen.read(doc)
    return Manifest(path=doc.path, format=chosen.FORMAT, name=name, datasets=datasets)
