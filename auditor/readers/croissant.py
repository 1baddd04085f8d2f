"""MLCommons Croissant 1.0 and 1.1 metadata (JSON-LD), read as plain JSON: one dataset per file.

``license`` is "MANY": a URL, a plain string, a ``CreativeWork`` object (``name``/``url``), a list
of these, ``null`` or absent; every value is kept as found. Lineage comes from schema.org
``isBasedOn`` and PROV-O (1.1): ``prov:wasDerivedFrom`` entities, and the entities an activity in
``prov:wasGeneratedBy`` used. A software agent counts as a generator of the content only where
the file says so: the dataset is ``prov:wasAttributedTo`` it, or it is associated with an activity
that says it generates or synthesises. ``usageInfo`` (DUO / ODRL) and ``conditionsOfAccess`` are
terms. ``creator`` (a Person or Organization, a name, or a list) names the creators, ``citeAs``
is the credit asked for, and ``version`` the version. Keys are compared in compact form
(``prov:wasDerivedFrom`` or ``wasDerivedFrom``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from auditor.document import Document, PathKey
from auditor.model import Dataset, Fact, Location

FORMAT = "croissant"

_CROISSANT = "mlcommons.org/croissant"
_LOCATIONS = ("prov:atLocation", "prov:locatedAt", "atLocation", "locatedAt", "url", "sameAs")
_LABELS = ("name", "prov:label", "label", "@id", "id")
# ``citeAs`` values that cite nothing (written by exporters that fill every field).
_NO_CITATION = frozenset({"none", "null", "n/a", "unknown"})
_GENERATES = re.compile(r"generat|synthes", re.IGNORECASE)
_ACTIVITY_TEXT = ("@id", "name", "description", "prov:description", "@type", "type", "prov:type")
_AGENT_KEYS = (
    "prov:wasAssociatedWith",
    "wasAssociatedWith",
    "prov:isAssociatedWith",  # not PROV-O, but written so in real files
    "isAssociatedWith",
)
_USED_KEYS = ("prov:used", "used", "usage", "prov:usage")
_PROV_KEYS = frozenset(
    {"wasDerivedFrom", "wasGeneratedBy", "wasAttributedTo", "wasAssociatedWith", "isAssociatedWith"}
)

At = Callable[[PathKey], Location]


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and (
        _mentions(data.get("conformsTo")) or _mentions(data.get("@context"))
    )


def _mentions(node: Any) -> bool:
    """Whether a ``conformsTo`` or ``@context`` value names the Croissant vocabulary."""
    if isinstance(node, str):
        return _CROISSANT in node
    if isinstance(node, list):
        return any(_mentions(item) for item in node)
    if isinstance(node, dict):
        return any(isinstance(v, str) and _CROISSANT in v for v in node.values())
    return False


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a Croissant file must be one JSON-LD object (an sc:Dataset)")
    kind = data.get("@type")
    if kind is not None and "Dataset" not in json.dumps(kind):
        raise doc.error(("@type",), f"a Croissant file describes an sc:Dataset, not {kind!r}")

    def at(key: PathKey) -> Location:
        return Location(path=doc.path, line=doc.line(key))

    licenses: list[Fact] = []
    notes: list[Fact] = []
    urls: list[str] = []
    for key, item in _values(data, _schema("license")):
        _license(item, key, at, licenses, notes, urls)
    # A copyright notice may state terms ("All rights reserved. No commercial use."): prose, read
    # for the licenses and restrictions it names, silent otherwise.
    notes.extend(
        Fact(value=text, location=at(key), origin="copyrightNotice")
        for key, item in _values(data, _schema("copyrightNotice"))
        if (text := _text(item))
    )

    agents = _agents(data)
    derived: dict[str, Fact] = {}
    generators: dict[str, Fact] = {}
    for key, item in (
        *_values(data, _schema("isBasedOn")),
        *_values(data, _prov("wasDerivedFrom")),
    ):
        ref = _entity_ref(item, agents)
        if ref:
            derived.setdefault(ref, Fact(value=ref, location=at(key), origin=str(key[0])))
    for key, activity in _values(data, _prov("wasGeneratedBy")):
        if not isinstance(activity, dict):
            continue
        for used_key, used in _values(activity, _USED_KEYS, key):
            ref = _entity_ref(used, agents)
            if ref:
                derived.setdefault(ref, Fact(value=ref, location=at(used_key), origin=str(key[0])))
        generates = any(
            isinstance(activity.get(k), str) and _GENERATES.search(activity[k])
            for k in _ACTIVITY_TEXT
        )
        if generates:
            for agent_key, agent in _values(activity, _AGENT_KEYS, key):
                _software(agent, agent_key, agents, at, generators)
    for key, agent in _values(data, _prov("wasAttributedTo")):
        _software(agent, key, agents, at, generators)

    terms = [
        Fact(value=text, location=at(key), origin=str(key[0]))
        for field in ("usageInfo", "conditionsOfAccess")
        for key, item in _values(data, _schema(field))
        if (text := _describe(item))
    ]
    creators = [
        Fact(value=who, location=at(key), origin="creator")
        for key, item in _values(data, _schema("creator"))
        if (who := _text(item.get("name")) if isinstance(item, dict) else _text(item))
    ]
    attribution = [
        Fact(value=cited, location=at(key), origin="citeAs")
        for key, item in _values(data, ("citeAs", "cr:citeAs"))
        if (cited := _text(item)) and cited.lower() not in _NO_CITATION
    ]
    versions = (_scalar(item) for _, item in _values(data, _schema("version")))
    version = next((v for v in versions if v), None)
    name = _text(data.get("name"))
    url = _text(data.get("url"))
    dataset = Dataset(
        id=_text(data.get("@id")) or name or Path(doc.path).stem,
        name=name,
        location=at(()),
        licenses=tuple(licenses),
        license_notes=tuple(notes),
        license_url=urls[0] if urls else None,
        source=url,
        derived_from=tuple(derived.values()),
        generated_by=tuple(generators.values()),
        creators=tuple(creators),
        attribution=tuple(attribution),
        terms=tuple(terms),
        version=version,
    )
    return name, (dataset,)


def _text(node: Any) -> str | None:
    """A JSON-LD scalar as text: a string, or a value object ``{"@value": ...}``."""
    if isinstance(node, dict):
        node = node.get("@value")
    if isinstance(node, str) and node.strip():
        return node.strip()
    return None


def _scalar(node: Any) -> str | None:
    """A JSON-LD scalar as text, numbers included (a ``version`` may be written ``1.0``)."""
    if isinstance(node, int | float) and not isinstance(node, bool):
        return str(node)
    return _text(node)


def _values(
    node: dict[str, Any], keys: tuple[str, ...], at: PathKey = ()
) -> Iterator[tuple[PathKey, Any]]:
    """The values under any of ``keys`` with their key paths; a list is many values."""
    for key in keys:
        value = node.get(key)
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield (*at, key, index), item
        elif value is not None:
            yield (*at, key), value


def _schema(field: str) -> tuple[str, ...]:
    return (field, f"sc:{field}")


def _prov(field: str) -> tuple[str, ...]:
    return (f"prov:{field}", field)


def _license(
    item: Any,
    key: PathKey,
    at: At,
    licenses: list[Fact],
    notes: list[Fact],
    urls: list[str],
) -> None:
    """One ``license`` value: a URL or text, or a CreativeWork with a name and/or a URL."""
    where = at(key)
    if isinstance(item, dict) and "@value" not in item:
        name = _text(item.get("name"))
        link = _text(item.get("url")) or _text(item.get("@id"))
        value = name or link or json.dumps(item, sort_keys=True)
        licenses.append(Fact(value=value, location=where, origin="license"))
        if link:
            urls.append(link)
            if name:
                notes.append(Fact(value=link, location=where, origin="license.url"))
        description = _text(item.get("description"))
        if description:
            notes.append(Fact(value=description, location=where, origin="license.description"))
        return
    if item is None or (isinstance(item, str) and not item.strip()):
        return  # null: no license stated
    if isinstance(item, bool | int | float):
        text = str(item)
    else:  # text, a value object, or a shape of no meaning (kept as its JSON: unknown)
        text = _text(item) or json.dumps(item, sort_keys=True)
    licenses.append(Fact(value=text, location=where, origin="license"))
    if "://" in text:
        urls.append(text)


def _agents(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Nodes with an ``@id`` declared in the PROV values, so ``{"@id": "x"}`` can be looked up."""
    index: dict[str, dict[str, Any]] = {}

    def visit(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            ident = node.get("@id") or node.get("id")
            if isinstance(ident, str) and len(node) > 1:
                index.setdefault(ident, node)
            for value in node.values():
                visit(value)

    for key, value in data.items():
        if key.startswith("prov:") or key in _PROV_KEYS:
            visit(value)
    return index


def _entity_ref(node: Any, index: dict[str, dict[str, Any]]) -> str | None:
    """How to name an upstream: its location, else its id or name."""
    if isinstance(node, str):
        found = index.get(node)
        return _entity_ref(found, {}) if found is not None else (node.strip() or None)
    if not isinstance(node, dict):
        return None
    ident = node.get("@id") or node.get("id")
    if isinstance(ident, str) and ident in index and index[ident] is not node:
        node = {**index[ident], **node}
    for key in (*_LOCATIONS, *_LABELS):
        text = _text(node.get(key))
        if text:
            return text
    return None


def _software(
    agent: Any, key: PathKey, index: dict[str, dict[str, Any]], at: At, out: dict[str, Fact]
) -> None:
    """Record ``agent`` as a generator if it is a software agent (a model, an API)."""
    if isinstance(agent, str):
        agent = index.get(agent, {"@id": agent})
    if not isinstance(agent, dict):
        return
    ident = agent.get("@id") or agent.get("id")
    if isinstance(ident, str) and ident in index:
        agent = {**index[ident], **agent}
    if "SoftwareAgent" not in json.dumps(agent.get("@type") or agent.get("type") or ""):
        return
    name = _text(agent.get("name")) or _text(agent.get("prov:label")) or _text(ident)
    if name:
        out.setdefault(name, Fact(value=name, location=at(key), origin=str(key[0])))


def _describe(node: Any) -> str:
    """A JSON-LD value as readable text: its strings (names, codes, ids) in document order."""
    parts: list[str] = []

    def visit(value: Any) -> None:
        if isinstance(value, str):
            if value.strip():
                parts.append(value.strip())
        elif isinstance(value, list):
            for item in value:
                visit(item)
        elif isinstance(value, dict):
            for k, item in value.items():
                if k not in ("@type", "@context", "type"):
                    visit(item)

    visit(node)
    return "; ".join(parts)
