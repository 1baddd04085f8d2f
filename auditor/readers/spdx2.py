"""SPDX 2.2 / 2.3 documents (JSON, YAML, tag-value, RDF/XML, XML) through spdx-tools: packages are
datasets.

SPDX 2 has no dataset concept, so every package is read as one. ``licenseDeclared`` and
``licenseConcluded`` are license values (the expression as spdx-tools renders it; ``NOASSERTION``
and ``NONE`` as those strings); ``licenseComments`` and the name and text of each ``LicenseRef-``
a package uses (``hasExtractedLicensingInfos``) are license notes. Lineage comes from the
relationships ``DESCENDANT_OF`` / ``ANCESTOR_OF``, ``GENERATED_FROM`` / ``GENERATES``, ``COPY_OF``
and ``VARIANT_OF``.

JSON and YAML documents are parsed one package at a time with spdx-tools' element parsers, so one
malformed package keeps its raw license text (which then resolves to unknown) instead of failing
the file; a package, relationship or extracted license that is not an object is an input error,
and so is a document with no package. Tag-value files (``.spdx``, ``.tag``) are parsed whole by
spdx-tools, which keeps no line numbers: the lines of packages and relationships are found by
scanning their tags. Two costs of its tag-value parser grow faster than the file and are avoided
here (a megabyte took minutes): it builds a new license-expression parser for every license field
(spdx/tools-python#749), and it checks each file's implied CONTAINS relationship against every
relationship before it (spdx/tools-python#891). spdx-tools is imported when a document is read,
not when the CLI starts.

RDF/XML (``.rdf``, ``.rdf.xml``) and XML (``.xml``) documents are parsed whole by spdx-tools (its
RDF parser uses rdflib, its XML parser xmltodict, both installed with it). Neither keeps line
numbers: a package's line is the first line that names its SPDX id, and packages are taken in
the order of those lines (an RDF graph has no order of its own), so the output is the same from
run to run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import document
from auditor.document import Document, PathKey
from auditor.errors import InputError
from auditor.model import Dataset, Fact, Location

if TYPE_CHECKING:
    from spdx_tools.spdx.model.document import Document as SpdxDocument
    from spdx_tools.spdx.model.package import Package as SpdxPackage

FORMAT = "spdx2"

_TAG_VALUE = frozenset({".spdx", ".tag"})
_XML = frozenset({".xml", ".rdf"})
# (relationship type, True when the element is derived from the related element, False when the
# related element is derived from the element)
_LINEAGE = {
    "DESCENDANT_OF": True,
    "GENERATED_FROM": True,
    "COPY_OF": True,
    "VARIANT_OF": True,
    "ANCESTOR_OF": False,
    "GENERATES": False,
}
_LICENSE_REF = re.compile(r"(?:DocumentRef-[\w.-]+:)?LicenseRef-[\w.-]+")
_UNSTATED = frozenset({"NOASSERTION", "NONE"})
_TAG_KEYS = {
    "PackageLicenseDeclared": "licenseDeclared",
    "PackageLicenseConcluded": "licenseConcluded",
    "PackageLicenseComments": "licenseComments",
}


@dataclass(frozen=True)
class TagValue:
    """A tag-value, RDF/XML or XML document as spdx-tools parsed it."""

    document: SpdxDocument


@dataclass(frozen=True)
class _Package:
    spdx_id: str
    name: str | None
    declared: str | None
    concluded: str | None
    comment: str | None
    source: str | None


def load(path: Path) -> Document | None:
    """Parse an SPDX tag-value, RDF/XML or XML file; ``None`` for other files."""
    if path.suffix.lower() in _XML:
        return _load_xml(path)
    if path.suffix.lower() not in _TAG_VALUE:
        return None
    return parse_tag_value(document.read_text(path), path.as_posix())


def sniff(text: str) -> bool:
    """Whether ``text`` (of no known suffix: standard input) is SPDX tag-value: its first tag is
    ``SPDXVersion``, as the specification's documents begin."""
    return _FIRST_TAG.match(text) is not None


_FIRST_TAG = re.compile(r"\s*SPDXVersion:")


def parse_tag_value(text: str, name: str) -> Document:
    """An SPDX 2 tag-value document, through spdx-tools."""
    from spdx_tools.spdx.parser.error import SPDXParsingError

    try:
        parsed: SpdxDocument = _tag_value_parser().parse(text)
    except SPDXParsingError as exc:
        messages: list[str] = exc.messages
        line = _message_line(messages[0]) if messages else None
        raise InputError(name, f"invalid SPDX tag-value: {'; '.join(messages[:3])}", line) from exc
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        # spdx-tools' grammar actions fail with these on some malformed input (a tag where its
        # parser does not expect one): the file is not valid tag-value.
        why = f"{type(exc).__name__} {exc}"
        raise InputError(name, f"invalid SPDX tag-value (the parser stopped: {why})") from exc
    return Document(name, TagValue(parsed), _tag_lines(text))


def _load_xml(path: Path) -> Document:
    """An SPDX 2 RDF/XML (``.rdf``, ``.rdf.xml``) or XML document, through spdx-tools."""
    from spdx_tools.spdx.parser.error import SPDXParsingError

    name = path.as_posix()
    text = document.read_text(path)  # within the size limits, before spdx-tools reads it
    rdf = path.suffix.lower() == ".rdf" or path.name.lower().endswith(".rdf.xml")
    kind = "RDF/XML" if rdf else "XML"
    try:
        parsed = _parse(path, rdf=rdf)
    except SPDXParsingError as exc:
        messages: list[str] = exc.messages
        raise InputError(name, f"invalid SPDX {kind}: {'; '.join(messages[:3])}") from exc
    except Exception as exc:  # the XML, RDF and model layers each raise their own
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        raise InputError(name, f"not a readable SPDX 2 {kind} document ({why})") from exc
    lines = text.splitlines()

    def first_line(spdx_id: str) -> int | None:
        pattern = re.compile(rf"[>#\"]{re.escape(spdx_id)}[<\"]")
        return next((i for i, line in enumerate(lines, 1) if pattern.search(line)), None)

    found = {p.spdx_id: first_line(p.spdx_id) for p in parsed.packages}
    parsed.packages.sort(key=lambda p: (found[p.spdx_id] or len(lines) + 1, p.spdx_id))
    parsed.relationships.sort(
        key=lambda r: (r.spdx_element_id, r.relationship_type.name, str(r.related_spdx_element_id))
    )
    table: dict[PathKey, int] = {(): 1}
    for index, package in enumerate(parsed.packages):
        line = found[package.spdx_id]
        if line is not None:
            table[("packages", index)] = line
    return Document(name, TagValue(parsed), table)


def _parse(path: Path, *, rdf: bool) -> SpdxDocument:
    from spdx_tools.spdx.parser.rdf import rdf_parser
    from spdx_tools.spdx.parser.xml import xml_parser

    parser = rdf_parser if rdf else xml_parser
    document: SpdxDocument = parser.parse_from_file(str(path))
    return document


def _tag_value_parser() -> Any:
    """spdx-tools' tag-value parser, quiet, and linear in the size of the document."""
    from spdx_tools.common.spdx_licensing import spdx_licensing  # type: ignore[import-untyped]
    from spdx_tools.spdx.parser.tagvalue import parser as tagvalue

    # Its other parsers share one license-expression parser; the tag-value parser asks for a new
    # one, tens of milliseconds to build, for every license field (spdx/tools-python#749).
    tagvalue.get_spdx_licensing = lambda: spdx_licensing  # type: ignore[attr-defined]
    # ply would print "Generating LALR tables" and write a table module into site-packages.
    quiet = {"errorlog": _Quiet(), "debug": False, "write_tables": False}
    parser = tagvalue.Parser(**quiet)  # type: ignore[no-untyped-call]
    parser.elements_built["relationships"] = _Relationships()
    return parser


class _Relationships(list[Any]):
    """The relationships spdx-tools builds, with a membership test by value that does not walk
    the list: it tests each file's implied CONTAINS relationship against all those before it
    (spdx/tools-python#891), which made a document of a few thousand files take minutes."""

    def __init__(self) -> None:
        super().__init__()
        self._keys: set[tuple[str, ...]] = set()

    def append(self, item: Any) -> None:
        super().append(item)
        self._keys.add(_relationship_key(item))

    def __contains__(self, item: object) -> bool:
        return _relationship_key(item) in self._keys


def _relationship_key(item: object) -> tuple[str, ...]:
    fields = ("spdx_element_id", "relationship_type", "related_spdx_element_id", "comment")
    return tuple(str(getattr(item, field, None)) for field in fields)


def detect(doc: Document) -> bool:
    data = doc.data
    if isinstance(data, TagValue):
        return True
    return isinstance(data, dict) and str(data.get("spdxVersion", "")).startswith("SPDX-2")


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if isinstance(data, TagValue):
        name, packages, relationships, extracted = _from_model(data.document)
    elif isinstance(data, dict):
        name, packages, relationships, extracted = _from_dict(doc, data)
    else:
        raise doc.error((), "an SPDX 2 document must be an object with 'spdxVersion'")

    def at(key: PathKey) -> Location:
        return Location(path=doc.path, line=doc.line(key))

    ids = {package.spdx_id for package in packages}
    lineage: dict[str, dict[str, Fact]] = {ident: {} for ident in ids}
    for element, kind, related, rel_key in relationships:
        direction = _LINEAGE.get(kind)
        if direction is None or related in _UNSTATED:
            continue
        child, parent = (element, related) if direction else (related, element)
        if child in lineage:
            lineage[child].setdefault(parent, Fact(value=parent, location=at(rel_key), origin=kind))
    if not packages:
        raise doc.error(("packages",), "no datasets: the document has no package")
    datasets = []
    for index, package in enumerate(packages):
        key: PathKey = ("packages", index)
        licenses = [
            Fact(value=value, location=at((*key, field)), origin=field)
            for field, value in (
                ("licenseDeclared", package.declared),
                ("licenseConcluded", package.concluded),
            )
            if value is not None
        ]
        notes = []
        if package.comment:
            notes.append(
                Fact(
                    value=package.comment,
                    location=at((*key, "licenseComments")),
                    origin="licenseComments",
                )
            )
        refs = dict.fromkeys(ref for fact in licenses for ref in _LICENSE_REF.findall(fact.value))
        for ref in refs:
            for origin, text, ref_key in extracted.get(ref, ()):
                notes.append(Fact(value=text, location=at(ref_key), origin=origin))
        datasets.append(
            Dataset(
                id=package.spdx_id,
                name=package.name,
                location=at(key),
                licenses=tuple(licenses),
                license_notes=tuple(notes),
                source=package.source,
                derived_from=tuple(lineage[package.spdx_id].values()),
            )
        )
    return name, tuple(datasets)


# element, type (e.g. DESCENDANT_OF), related element, where it stands
Relationship = tuple[str, str, str, PathKey]
Extracted = dict[str, list[tuple[str, str, PathKey]]]  # LicenseRef -> (origin, text, key)


def _package(p: SpdxPackage) -> _Package:
    """The facts the reader keeps of an spdx-tools package."""
    return _Package(
        spdx_id=p.spdx_id,
        name=p.name,
        declared=_rendered(p.license_declared),
        concluded=_rendered(p.license_concluded),
        comment=p.license_comment,
        source=_location(p.download_location, p.homepage),
    )


def _from_model(
    parsed: SpdxDocument,
) -> tuple[str | None, list[_Package], list[Relationship], Extracted]:
    packages = [_package(p) for p in parsed.packages]
    relationships: list[Relationship] = [
        (element, kind, related, ("relationships", f"{element} {kind} {related}"))
        for r in parsed.relationships
        for element, kind, related in [
            (r.spdx_element_id, r.relationship_type.name, str(r.related_spdx_element_id))
        ]
    ]
    extracted: Extracted = {}
    for index, info in enumerate(parsed.extracted_licensing_info):
        if info.license_id:
            extracted[info.license_id] = _extracted_notes(
                info.license_name if isinstance(info.license_name, str) else None,
                info.extracted_text,
                ("hasExtractedLicensingInfos", index),
            )
    return parsed.creation_info.name, packages, relationships, extracted


def _from_dict(
    doc: Document, data: dict[str, Any]
) -> tuple[str | None, list[_Package], list[Relationship], Extracted]:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.package_parser import PackageParser

    raw_packages = doc.items(("packages",), data.get("packages"))
    parser = PackageParser()  # type: ignore[no-untyped-call]
    packages: list[_Package] = []
    for index, raw in enumerate(raw_packages):
        if not isinstance(raw, dict):
            raise doc.error(("packages", index), "a package must be an object")
        try:
            p = parser.parse_package(raw)
        except SPDXParsingError:
            # Keep what the package says, as written: an unparsable expression resolves to unknown.
            packages.append(
                _Package(
                    spdx_id=str(raw.get("SPDXID") or f"packages[{index}]"),
                    name=_str(raw.get("name")),
                    declared=_str(raw.get("licenseDeclared")),
                    concluded=_str(raw.get("licenseConcluded")),
                    comment=_str(raw.get("licenseComments")),
                    source=_location(raw.get("downloadLocation"), raw.get("homepage")),
                )
            )
            continue
        packages.append(_package(p))
    relationships: list[Relationship] = [
        (
            str(r.get("spdxElementId")),
            str(r.get("relationshipType")),
            str(r.get("relatedSpdxElement")),
            ("relationships", index),
        )
        for index, r in enumerate(_dicts(doc, "relationships", data))
    ]
    extracted: Extracted = {}
    for index, info in enumerate(_dicts(doc, "hasExtractedLicensingInfos", data)):
        license_id = _str(info.get("licenseId"))
        if license_id:
            extracted[license_id] = _extracted_notes(
                _str(info.get("name")),
                _str(info.get("extractedText")),
                ("hasExtractedLicensingInfos", index),
            )
    return _str(data.get("name")), packages, relationships, extracted


def _dicts(doc: Document, field: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    items = doc.items((field,), data.get(field))
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise doc.wrong_type((field, index), "an object", item)
    return items


def _str(node: Any) -> str | None:
    return node.strip() if isinstance(node, str) and node.strip() else None


def _rendered(value: object | None) -> str | None:
    """A license field as text: the expression, ``NOASSERTION`` or ``NONE``; None when absent."""
    return None if value is None else str(value)


def _location(download: object, homepage: object) -> str | None:
    """Where the package lives: its download location, else its home page."""
    for value in (download, homepage):
        text = str(value) if value is not None else ""
        if text and text not in _UNSTATED:
            return text
    return None


def _extracted_notes(
    name: str | None, text: str | None, key: PathKey
) -> list[tuple[str, str, PathKey]]:
    notes = []
    if name and name not in _UNSTATED:
        notes.append(("hasExtractedLicensingInfos.name", name, key))
    if text:
        notes.append(("hasExtractedLicensingInfos.extractedText", text.strip(), key))
    return notes


def _tag_lines(text: str) -> dict[PathKey, int]:
    """Lines of packages, their license fields and relationships in a tag-value file.

    Packages are numbered in file order, as spdx-tools reads them; a relationship is keyed by its
    text (``A DESCENDANT_OF B``), since the parser also adds implicit ones (a package CONTAINS the
    files that follow it).
    """
    lines: dict[PathKey, int] = {(): 1}
    package = extracted = -1
    for number, line in enumerate(text.split("\n"), start=1):
        tag, _, value = line.partition(":")
        tag = tag.strip()
        if tag == "PackageName":
            package += 1
            lines[("packages", package)] = number
        elif tag in _TAG_KEYS and package >= 0:
            lines[("packages", package, _TAG_KEYS[tag])] = number
        elif tag == "Relationship":
            lines.setdefault(("relationships", " ".join(value.split())), number)
        elif tag == "LicenseID":
            extracted += 1
            lines[("hasExtractedLicensingInfos", extracted)] = number
    return lines


class _Quiet:
    """A ply logger that says nothing: only the CLI writes to stderr."""

    def _ignore(self, *args: object, **kwargs: object) -> None:
        return None

    debug = info = warning = error = critical = _ignore


def _message_line(message: str) -> int | None:
    found = re.search(r"[Ll]ine:? (\d+)", message)
    return int(found.group(1)) if found else None
