"""Readers: one per manifest format, each turning a file into :class:`auditor.model.Dataset` values.

The registry is an explicit tuple, most specific detection first. Each reader says whether a parsed
document is its format (``detect``) and reads it (``read``). The first reader that claims a
document reads it.

Most formats are YAML or JSON, which :func:`auditor.document.load` parses. The few that are not
(a dataset card's Markdown, a plain list of references, SPDX tag-value) are parsed by their own
reader's ``load``, listed in ``LOADERS``; each claims files by name and returns ``None`` for others.

A gate must never pass on what a reader did not read, so no reader drops anything silently. What
is well formed but not understood is kept as a claim: a license value of an unknown shape is kept
as its raw text, which resolves to unknown and blocks. What cannot be read is an input error at
its line: a field of the wrong type (``Licenses`` that is not a list, an ``spdxId`` that is not a
string), an element of a kind the format does not define (a CycloneDX component type outside the
specification), a record that is documentation (the Data Provenance template), and a file in
which the reader finds no dataset at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from auditor import document
from auditor.document import Document
from auditor.errors import AuditorError, InputError, UnexpectedError
from auditor.model import Dataset
from auditor.readers import (
    axolotl,
    croissant,
    cyclonedx,
    datapackage,
    dpi,
    hf_card,
    llamafactory,
    mixer,
    native,
    spdx2,
    spdx3,
    text_list,
)


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


class Loader(Protocol):
    def load(self, path: Path) -> Document | None: ...


READERS: tuple[Reader, ...] = (
    native,
    spdx2,
    spdx3,
    cyclonedx,
    croissant,
    hf_card,
    dpi,
    datapackage,
    mixer,
    axolotl,
    llamafactory,
    text_list,
)
FORMATS: tuple[str, ...] = tuple(r.FORMAT for r in READERS)
LOADERS: tuple[Loader, ...] = (hf_card, spdx2, text_list)


def read(path: Path, *, fmt: str | None = None) -> Manifest:
    """Read ``path``, detecting its format unless ``fmt`` names one.

    A file in which the reader finds no dataset is an input error: a manifest that names nothing
    to audit must not pass a gate. An exception no reader expected is raised as an
    :class:`UnexpectedError` naming the file.
    """
    try:
        return _read(path, fmt)
    except (AuditorError, UnexpectedError):
        raise
    except Exception as exc:
        raise UnexpectedError(path.as_posix(), exc) from exc


def read_text(text: str, name: str, *, fmt: str | None = None) -> Manifest:
    """Read a manifest given as text (standard input, the Python API's dicts) as :func:`read`
    reads a file of that content: JSON when it starts as JSON, else what :func:`_parse` finds;
    ``name`` stands for its path."""
    try:
        json_like = text.lstrip().startswith(("{", "["))
        return _from_document(_parse(text, name, json_like=json_like), fmt)
    except (AuditorError, UnexpectedError):
        raise
    except Exception as exc:
        raise UnexpectedError(name, exc) from exc


def _read(path: Path, fmt: str | None) -> Manifest:
    doc = next((d for loader in LOADERS if (d := loader.load(path)) is not None), None)
    if doc is None:
        json_like = path.suffix.lower() in {".json", ".jsonld"}
        doc = _parse(document.read_text(path), path.as_posix(), json_like=json_like)
    return _from_document(doc, fmt)


def _parse(text: str, name: str, *, json_like: bool) -> Document:
    """Text no loader claimed by its file name (standard input has none): JSON, else what its
    content is (a plain list of references, SPDX tag-value, a dataset card's front matter),
    else YAML. Files and standard input share this, so ``-`` reads whatever a file of that
    content would."""
    if json_like:
        return document.parse_json(text, name)
    if text_list.sniff(text):
        return text_list.parse(text, name)
    if spdx2.sniff(text):
        return spdx2.parse_tag_value(text, name)
    if hf_card.sniff(text):
        return hf_card.parse(text, name)
    return document.parse_yaml(text, name)


def _from_document(doc: Document, fmt: str | None) -> Manifest:
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
    if not datasets:
        raise InputError(doc.path, f"no datasets: the file reads as {chosen.FORMAT} but names none")
    return Manifest(path=doc.path, format=chosen.FORMAT, name=name, datasets=datasets)
