"""Data Provenance Initiative data summaries: a JSON object from dataset id to its record.

The text, video and speech collections share the record shape: ``Licenses`` (a list of
``{License, License URL}``), ``License Notes``, ``Model Generated`` (the models that wrote the
content; empty when none did), ``Creators`` (who made the dataset), ``Bibtex`` (the citation its
creators ask for), ``Derived from Datasets`` and
the sources of the content
(``Text Sources``, ``Video Sources``, speech ``Source``). A source that is a domain or URL
(``wikipedia.org``) is a collection; so is a platform the DPI vocabulary names without its domain
(``youtube``, ``reddit``). Other sources ("crowdsourced", "news") say nothing a check can use and
are not kept.

``Inferred Metadata`` holds licenses the project's crawler found elsewhere (the Hugging Face card's
YAML and config, Papers with Code). They are kept as *inferred* license notes: hints shown beside
the audited ``Licenses``, never applied on their own (the project's audit found Hub tags wrong in
about half the cases it checked), so an audited "Unspecified" stays unknown whatever a re-upload
says. The repository's ``GitHub License`` is never used: it covers the code, not the data.

The schema's ``_template.json`` has the same shape with type descriptions as values
(``"string: ..."``): a record whose identifier is such a description is documentation, not a
dataset, and is an input error (a file of template records would otherwise audit nothing). So is a
field of the wrong type (``Licenses`` that is not a list, a ``License`` that is not a string): a
record is read whole or not at all, never with a license or a generator left out. Only the
``Inferred Metadata`` hints, never applied, are skipped when they are not text.
"""

from __future__ import annotations

import re
from typing import Any

from auditor.document import Document, PathKey
from auditor.model import Collection, Dataset, Fact, Location

FORMAT = "dpi"

_ID = "Unique Dataset Identifier"
_SOURCES = ("Text Sources", "Video Sources", "Source")
_DOMAIN = re.compile(r"^(https?://)?([a-z0-9-]+\.)+[a-z]{2,}(/\S*)?$", re.IGNORECASE)
# Platforms the DPI vocabulary names without a domain, and the site each name stands for.
_PLATFORMS = {
    "youtube": "youtube.com",
    "reddit": "reddit.com",
    "twitter": "twitter.com",
    "github": "github.com",
    "facebook": "facebook.com",
    "instagram": "instagram.com",
    "tiktok": "tiktok.com",
    "vimeo": "vimeo.com",
    "flickr": "flickr.com",
    "tumblr": "tumblr.com",
    "quora": "quora.com",
    "linkedin": "linkedin.com",
    "giphy": "giphy.com",
    "vine": "vine.co",
    "metacafe": "metacafe.com",
    "zhihu": "zhihu.com",
    "yelp": "yelp.com",
    "tripadvisor": "tripadvisor.com",
    "leetcode": "leetcode.com",
    "getty-images": "gettyimages.com",
    "ted talks": "ted.com",
}
# "Model Generated" values that name no model: rule-based templates, and an unnamed model.
_TEMPLATES = "templates"
# License values that name a model provider's terms rather than a license.
_PROVIDER_TERMS = frozenset({"openai", "anthropic"})
_UNNAMED = "other"
_CUSTOM = "custom"
_INFERRED = ("HF Yaml License", "HF Config License", "PwC License Name")
_URLS = ("Hugging Face URL", "Dataset URL", "GitHub URL", "Website URL", "Paper URL")
# The template describes each field by its type: "string: ...", "list[str] (null): ...".
_TYPE_DESCRIPTION = re.compile(r"^(string|int|bool|list\[[^\]]*\])\b[^:]*:")


def detect(doc: Document) -> bool:
    data = doc.data
    return (
        isinstance(data, dict)
        and bool(data)
        and all(
            isinstance(record, dict)
            and isinstance(record.get("Licenses"), list)
            and (_ID in record or "Dataset Name" in record)
            for record in data.values()
        )
    )


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a Data Provenance summary must map dataset ids to records")
    records: dict[str, dict[str, Any]] = {}
    for key, record in data.items():
        if not isinstance(record, dict):
            raise doc.wrong_type((key,), "a dataset record (an object)", record)
        if _is_template(record):
            raise doc.error(
                (key, _ID),
                f"record '{key}' is the schema template's example, not a dataset: its "
                f"'{_ID}' is a type description",
            )
        records[key] = record
    if not records:
        raise doc.error((), "no datasets: the summary holds no dataset records")
    # Lineage names another record by its key, identifier or name.
    known: dict[str, str] = {}
    for key, record in records.items():
        for alias in (key, record.get(_ID), record.get("Dataset Name")):
            if isinstance(alias, str) and alias.strip():
                known.setdefault(alias.strip().lower(), key)
    datasets = tuple(_dataset(doc, key, record, known) for key, record in records.items())
    collections = {c for r in records.values() if isinstance(c := r.get("Collection"), str)}
    name = next(iter(collections)) if len(collections) == 1 else None
    return name, datasets


def _is_template(record: dict[str, Any]) -> bool:
    ident = record.get(_ID)
    return isinstance(ident, str) and bool(_TYPE_DESCRIPTION.match(ident))


def _text(node: Any) -> str | None:
    return node.strip() if isinstance(node, str) and node.strip() else None


def _dataset(doc: Document, key: str, record: dict[str, Any], known: dict[str, str]) -> Dataset:
    def at(*path: str | int) -> Location:
        full: PathKey = (key, *path)
        return Location(path=doc.path, line=doc.line(full))

    def strings(field: str) -> list[tuple[int, str]]:
        """A list of strings; null or absent is an empty list, anything else an error."""
        out = []
        for index, item in enumerate(doc.items((key, field), record.get(field))):
            text = doc.text((key, field, index), item)
            if text:
                out.append((index, text))
        return out

    licenses: list[Fact] = []
    url_places: list[tuple[int, str]] = []
    provider_terms: list[Fact] = []
    for index, item in enumerate(doc.items((key, "Licenses"), record.get("Licenses"))):
        where_item: PathKey = (key, "Licenses", index)
        if isinstance(item, dict):
            value = doc.text((*where_item, "License"), item.get("License"))
            url = doc.text((*where_item, "License URL"), item.get("License URL"))
        elif isinstance(item, str) or item is None:
            value, url = doc.text(where_item, item), None
        else:
            raise doc.wrong_type(where_item, "a license (an object or a string)", item)
        if url and not (value and value.lower() == _CUSTOM):
            url_places.append((index, url))
        if value and value.lower() in _PROVIDER_TERMS:
            # DPI records "OpenAI" as a license where OpenAI's terms of use govern the data: it is
            # the output terms of the generator, checked as such, not a license.
            where = at("Licenses", index, "License")
            provider_terms.append(Fact(value=value, location=where, origin="Licenses"))
        elif value and value.lower() == _CUSTOM and url:
            # A custom license is identified by its URL: the claim is the URL (a known license's
            # URL resolves; any other is a license whose terms are unknown).
            where = at("Licenses", index, "License URL")
            licenses.append(Fact(value=url, location=where, origin="Licenses (Custom)"))
        elif value:
            where = at("Licenses", index, "License")
            licenses.append(Fact(value=value, location=where, origin="Licenses"))
    # Each license's URL documents where the annotators found it (a license deed, a repository,
    # a paper): a claim when it identifies a license, silent when it does not.
    notes = [
        Fact(value=url, location=at("Licenses", index, "License URL"), origin="License URL")
        for index, url in url_places
    ]
    license_notes = doc.text((key, "License Notes"), record.get("License Notes"))
    if license_notes:
        notes.append(
            Fact(value=license_notes, location=at("License Notes"), origin="License Notes")
        )
    inferred = record.get("Inferred Metadata")
    if isinstance(inferred, dict):
        for field in _INFERRED:
            value = _text(inferred.get(field))
            if value:
                notes.append(
                    Fact(
                        value=value,
                        location=at("Inferred Metadata", field),
                        origin=f"Inferred Metadata.{field}",
                        inferred=True,
                    )
                )
    generators = list(provider_terms)
    machine_generated = False
    for index, model in strings("Model Generated"):
        if model.lower() == _UNNAMED:
            machine_generated = True
        elif model.lower() != _TEMPLATES:
            generators.append(
                Fact(value=model, location=at("Model Generated", index), origin="Model Generated")
            )
    derived: dict[str, Fact] = {}
    for index, upstream in strings("Derived from Datasets"):
        ref = known.get(upstream.lower(), upstream)
        if ref != key:
            derived.setdefault(
                ref,
                Fact(
                    value=ref,
                    location=at("Derived from Datasets", index),
                    origin="Derived from Datasets",
                ),
            )
    creators = tuple(
        Fact(value=creator, location=at("Creators", index), origin="Creators")
        for index, creator in strings("Creators")
    )
    bibtex = _text(record.get("Bibtex"))
    collected: dict[str, Collection] = {}
    for field in _SOURCES:
        for index, source in strings(field):
            found = _collection(source, at(field, index))
            if found is not None:
                collected.setdefault(found.target, found)
    return Dataset(
        id=key,
        name=_text(record.get("Dataset Name")),
        location=at(),
        licenses=tuple(licenses),
        license_notes=tuple(notes),
        source=_first_url(record),
        derived_from=tuple(derived.values()),
        generated_by=tuple(generators),
        creators=creators,
        attribution=(Fact(value=bibtex, location=at("Bibtex"), origin="Bibtex"),) if bibtex else (),
        collected_from=tuple(collected.values()),
        machine_generated=machine_generated and not generators,
    )


def _first_url(record: dict[str, Any]) -> str | None:
    """Where the dataset lives: its Hugging Face page, else its site, repository or paper."""
    for field in _URLS:
        value = record.get(field)
        for item in value if isinstance(value, list) else [value]:
            text = _text(item)
            if text:
                return text
    return None


def _collection(source: str, location: Location) -> Collection | None:
    """A source as a collection: a URL, a domain, or a platform the vocabulary names."""
    if _DOMAIN.match(source):
        if "://" in source:
            return Collection(url=source, location=location)
        return Collection(domain=source.lower(), location=location)
    platform = _PLATFORMS.get(source.lower())
    return Collection(domain=platform, location=location) if platform else None
