"""Frictionless Data Packages (``datapackage.json``, or the same as YAML): each resource a dataset.

The package's ``licenses`` (objects with ``name`` and/or ``path``, and a ``title``) apply to every
resource; a resource with its own ``licenses`` uses those instead, as the spec says a resource
inherits the package's licenses only "if not specified". The legacy single ``license`` (a string or
an object) is read as a one-item list. ``sources`` (package-level and per resource) say where the
content came from: a ``path`` that is a URL or a domain is kept as a collection. A package without
resources is read as one dataset, the package itself.

A license object that names nothing is kept as its JSON text (which resolves to unknown); a
``licenses``, ``resources`` or ``sources`` that is not a list, or an item of them that is neither
text nor an object, is an input error at its line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from auditor.document import Document, PathKey
from auditor.model import Collection, Dataset, Fact, Location
from auditor.readers.references import unique_ids

FORMAT = "datapackage"

_PACKAGE_KEYS = ("name", "profile", "licenses", "license", "title", "$schema")


def detect(doc: Document) -> bool:
    data = doc.data
    return (
        isinstance(data, dict)
        and isinstance(data.get("resources"), list)
        and any(key in data for key in _PACKAGE_KEYS)
    )


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a data package must be an object with 'resources'")
    resources = doc.items(("resources",), data.get("resources"))

    def at(key: PathKey) -> Location:
        return Location(path=doc.path, line=doc.line(key))

    package_name = _text(data.get("name"))
    package = _Parts.of(doc, data, ())
    entries: list[tuple[PathKey, dict[str, Any]]] = []
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            raise doc.wrong_type(("resources", index), "a resource (an object)", resource)
        entries.append((("resources", index), resource))
    if not entries:
        ident = package_name or _text(data.get("id")) or "datapackage"
        dataset = package.dataset(ident, _text(data.get("title")) or package_name, at(()), data)
        return package_name, (dataset,)
    ids = unique_ids(
        _text(resource.get("name")) or _text(resource.get("path")) or f"resource-{key[1]}"
        for key, resource in entries
    )
    datasets = []
    for (key, resource), ident in zip(entries, ids, strict=True):
        own = _Parts.of(doc, resource, key)
        merged = _Parts(
            licenses=own.licenses or package.licenses,
            notes=own.notes if own.licenses else package.notes,
            urls=own.urls if own.licenses else package.urls,
            sources=package.sources + own.sources,
        )
        name = _text(resource.get("title")) or _text(resource.get("name"))
        datasets.append(merged.dataset(ident, name, at(key), resource))
    return package_name, tuple(datasets)


@dataclass
class _Parts:
    """The license and source facts of a package or of one resource."""

    licenses: list[Fact]
    notes: list[Fact]
    urls: list[str]
    sources: list[Collection]

    @classmethod
    def of(cls, doc: Document, node: dict[str, Any], key: PathKey) -> _Parts:
        def at(item_key: PathKey) -> Location:
            return Location(path=doc.path, line=doc.line(item_key))

        parts = cls([], [], [], [])
        items: list[tuple[PathKey, Any]] = []
        if node.get("licenses") is not None:
            licenses = doc.items((*key, "licenses"), node["licenses"])
            items = [((*key, "licenses", i), item) for i, item in enumerate(licenses)]
        elif node.get("license") is not None:
            items = [((*key, "license"), node["license"])]
        for item_key, item in items:
            if not isinstance(item, str | dict):
                raise doc.wrong_type(item_key, "a license (a string or an object)", item)
            parts._license(item, at(item_key), str(item_key[len(key)]))
        for index, source in enumerate(doc.items((*key, "sources"), node.get("sources"))):
            if not isinstance(source, str | dict):
                raise doc.wrong_type((*key, "sources", index), "a string or an object", source)
            path = _text(source.get("path")) if isinstance(source, dict) else _text(source)
            if path is None or " " in path:
                continue
            where = at((*key, "sources", index))
            if "://" in path:
                parts.sources.append(Collection(url=path, location=where))
            elif "." in path.split("/", 1)[0]:
                parts.sources.append(Collection(domain=path, location=where))
        return parts

    def _license(self, item: Any, where: Location, origin: str) -> None:
        if isinstance(item, str):
            if item.strip():
                self.licenses.append(Fact(value=item.strip(), location=where, origin=origin))
            return
        if not isinstance(item, dict):
            return
        name, path, title = (_text(item.get(k)) for k in ("name", "path", "title"))
        value = name or path or title or json.dumps(item, sort_keys=True)
        self.licenses.append(Fact(value=value, location=where, origin=origin))
        if path:
            self.urls.append(path)
        for label, text in (("path", path), ("title", title)):
            if text and text != value:
                self.notes.append(Fact(value=text, location=where, origin=f"{origin}.{label}"))

    def dataset(
        self, ident: str, name: str | None, location: Location, node: dict[str, Any]
    ) -> Dataset:
        path = node.get("path")
        source = path if isinstance(path, str) else _text(node.get("homepage"))
        return Dataset(
            id=ident,
            name=name,
            location=location,
            licenses=tuple(self.licenses),
            license_notes=tuple(self.notes),
            license_url=next((u for u in self.urls if "://" in u), None),
            source=source,
            collected_from=tuple(self.sources),
        )


def _text(node: Any) -> str | None:
    return node.strip() if isinstance(node, str) and node.strip() else None
