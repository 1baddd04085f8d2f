"""The native manifest (``version: 1`` with ``datasets:``), YAML or JSON."""

from __future__ import annotations

from pydantic import ValidationError

from auditor.document import Document
from auditor.manifest import DatasetEntry, Manifest
from auditor.model import Collection, Dataset, Fact, Location

FORMAT = "native"


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and "datasets" in data and ("version" in data or "name" in data)


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    if not isinstance(doc.data, dict):
        raise doc.error((), "a manifest must be a mapping with 'version', 'name' and 'datasets'")
    try:
        manifest = Manifest.model_validate(doc.data)
    except ValidationError as exc:
        raise doc.validation_error(exc, "manifest") from exc
    seen: dict[str, int] = {}
    for index, entry in enumerate(manifest.datasets):
        if entry.id in seen:
            raise doc.error(
                ("datasets", index, "id"),
                f"dataset id '{entry.id}' is used twice (first at entry {seen[entry.id] + 1})",
            )
        seen[entry.id] = index
    for index, entry in enumerate(manifest.datasets):
        for j, parent in enumerate(entry.derived_from):
            if parent not in seen and not _is_reference(parent):
                raise doc.error(
                    ("datasets", index, "derived_from", j),
                    f"dataset '{entry.id}' is derived from '{parent}', which is not a dataset "
                    "id in this manifest (name an external dataset as hf://owner/name or a URL)",
                )
    datasets = tuple(_dataset(doc, index, entry) for index, entry in enumerate(manifest.datasets))
    return manifest.name, datasets


def _is_reference(value: str) -> bool:
    """An external dataset reference rather than an id: ``hf://owner/name`` or a URL."""
    return "://" in value


def _dataset(doc: Document, index: int, entry: DatasetEntry) -> Dataset:
    base = ("datasets", index)

    def at(*key: str | int) -> Location:
        return Location(path=doc.path, line=doc.line((*base, *key)))

    licenses = (
        (Fact(value=entry.license, location=at("license"), origin="license"),)
        if entry.license is not None
        else ()
    )
    creators = [Fact(value=entry.creator, location=at("creator"))] if entry.creator else []
    creators += [Fact(value=c, location=at("creators", j)) for j, c in enumerate(entry.creators)]
    return Dataset(
        id=entry.id,
        name=entry.name,
        location=at(),
        licenses=licenses,
        license_notes=(
            *(
                (Fact(value=entry.license_url, location=at("license_url"), origin="license_url"),)
                if entry.license_url is not None
                else ()
            ),
            # A description may state terms ("released for non-commercial research only"): prose,
            # read for the licenses and restrictions it names, silent otherwise.
            *(
                (Fact(value=entry.description, location=at("description"), origin="description"),)
                if entry.description
                else ()
            ),
        ),
        license_url=entry.license_url,
        source=entry.source,
        source_location=at("source") if entry.source is not None else None,
        derived_from=tuple(
            Fact(value=p, location=at("derived_from", j)) for j, p in enumerate(entry.derived_from)
        ),
        generated_by=tuple(
            Fact(value=m, location=at("generated_by", j)) for j, m in enumerate(entry.generated_by)
        ),
        creators=tuple(creators),
        attribution=(
            (Fact(value=entry.attribution, location=at("attribution"), origin="attribution"),)
            if entry.attribution
            else ()
        ),
        collected_from=tuple(
            Collection(
                url=c.url, domain=c.domain, method=c.method, location=at("collected_from", j)
            )
            for j, c in enumerate(entry.collected_from)
        ),
        terms=tuple(
            Fact(value=t, location=at("terms", j), origin="terms")
            for j, t in enumerate(entry.terms)
        ),
        pointer=entry.pointer,
        weight=entry.weight,
        version=entry.version,
        category=entry.category,
        modalities=entry.modalities,
        size=entry.size,
        collection_period=entry.collection_period,
        crawlers=entry.crawlers,
    )
