"""Frictionless Data Packages (``datapackage.json``, or the same as YAML): each resource a dataset.

The package's ``licenses`` (objects with ``name`` and/or ``path``, and a ``title``) apply to every
resource; a resource with its own ``licenses`` uses those instead, as the spec says a resource
inherits the package's licenses only "if not specified". The legacy single ``license`` (a string or
an object) is read as a one-item list. ``sources`` (package-level and per resource) say where the
content came from: a ``path`` that is a URL or a domain is kept as a collection. A package without
resources is read as one dataset, the package itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from auditor.document import Document, PathKey
from auditor.model import Collection, Dataset, Fact, Location
from auditor.readers.references import unique_ids

FORMAT = "datapackage"

_PACKAGE_KEYS = ("name", "profile", "licenses", "license", "title", "$schema")

At = Callable[[PathKey], Location]


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
    resources = data.get("resources")
    if resources is not None and not isinstance(resources, list):
        raise doc.error(("resources",), "'resources' must be a list")

    def at(key: PathKey) -> Location:
        return Location(path=doc.path, line=doc.line(key))

    package_name = _text(data.get("name"))
    package = _Parts.of(data, (), at)
    entries: list[tuple[PathKey, dict[str, Any]]] = [
        (("resources", index), resource)
        for index, resource in enumerate(resources or [])
        if isinstance(resource, dict)
    ]
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
        own = _Parts.of(resource, key, at)
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
    def of(cls, node: dict[str, Any], key: PathKey, at: At) -> _Parts:
        parts = cls([], [], [], [])
        items: list[tuple[PathKey, Any]] = []
        if isinstance(node.get("licenses"), list):
            items = [((*key, "licenses", i), item) for i, item in enumerate(node["licenses"])]
        elif node.get("license") is not None:
            items = [((*key, "license"), node["license"])]
        for item_key, item in items:
            parts._license(item, at(item_key), str(item_key[len(key)]))
        for index, source in enumerate(node.get("sources") or []):
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
        value = name or path or title
        if value is None:
            return
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
