"""CycloneDX 1.5-1.7 BOMs (JSON), parsed directly: cyclonedx-python-lib drops data components.

Datasets are the components of type ``data``, at any depth of ``components`` (and the BOM's own
``metadata.component``), plus what machine-learning models were trained on:
``modelCard.modelParameters.datasets`` items are either ``{"ref": ...}`` (the data component with
that ``bom-ref``; a dataset of its own if the BOM lacks it) or inline ``componentData``, which is a
dataset without a license (CycloneDX puts licenses on components only).

Licenses: each ``licenses`` entry is ``{"license": {"id" | "name", "url", "text"}}`` or
``{"expression": ...}``. An entry of another shape is kept as its JSON text, which resolves to
unknown, so one malformed component does not fail the BOM. ``licensing.licenseTypes`` (``academic``,
``evaluation``...) are terms. ``pedigree.ancestors`` is lineage; an ancestor that is a
machine-learning model is a generator.

Nothing is left out unread: a component ``type`` is compared without case or surrounding spaces
(``Data`` is ``data``), and a type CycloneDX does not define, a component that is not an object,
or a ``components``, ``licenses``, ``pedigree`` or model ``datasets`` value of the wrong type is an
input error at its line. A BOM with no dataset in it is an input error too: it has nothing to gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from auditor.document import Document, PathKey
from auditor.errors import InputError
from auditor.model import Dataset, Fact, Location
from auditor.readers.references import unique_ids

FORMAT = "cyclonedx"

_DATA = "data"
_MODEL = "machine-learning-model"
# Component types of CycloneDX 1.5-1.7.
_TYPES = frozenset(
    {
        "application",
        "framework",
        "library",
        "container",
        "platform",
        "operating-system",
        "device",
        "device-driver",
        "firmware",
        "file",
        _MODEL,
        _DATA,
        "cryptographic-asset",
    }
)
_SOURCE_REFERENCES = ("distribution", "website", "vcs")


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and data.get("bomFormat") == "CycloneDX"


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a CycloneDX BOM must be a JSON object with 'bomFormat'")

    components = list(_components(doc, data))
    by_ref = {
        ref: component
        for _, component, _ in components
        if isinstance(ref := component.get("bom-ref"), str)
    }
    # (key, the component or componentData, whether it is a full component)
    entries: list[tuple[PathKey, dict[str, Any], bool]] = []
    seen_refs: set[str] = set()
    for key, component, kind in components:
        if kind == _DATA:
            entries.append((key, component, True))
            if isinstance(component.get("bom-ref"), str):
                seen_refs.add(component["bom-ref"])
    for key, component, kind in components:
        if kind != _MODEL:
            continue
        card_key: PathKey = (*key, "modelCard")
        card = doc.mapping(card_key, component.get("modelCard"))
        params = doc.mapping((*card_key, "modelParameters"), card.get("modelParameters"))
        datasets_key: PathKey = (*card_key, "modelParameters", "datasets")
        for index, item in enumerate(doc.items(datasets_key, params.get("datasets"))):
            item_key = (*datasets_key, index)
            if not isinstance(item, dict):
                raise doc.wrong_type(item_key, "an object (a ref or componentData)", item)
            ref = item.get("ref")
            if isinstance(ref, str):
                if ref not in seen_refs:  # named but not in this BOM: a dataset we know nothing of
                    seen_refs.add(ref)
                    entries.append((item_key, by_ref.get(ref, {"bom-ref": ref}), True))
            else:
                entries.append((item_key, item, False))
    if not entries:
        raise doc.error(
            (),
            "no datasets: the BOM has no component of type 'data' and no machine-learning "
            "model that names the datasets it was trained on",
        )

    ids = unique_ids(_raw_id(entry, key) for key, entry, _ in entries)
    ids_by_ref = {
        entry["bom-ref"]: ident
        for (_, entry, _), ident in zip(entries, ids, strict=True)
        if isinstance(entry.get("bom-ref"), str)
    }
    datasets_out = tuple(
        _dataset(doc, entry, key, ident, full, ids_by_ref)
        for (key, entry, full), ident in zip(entries, ids, strict=True)
    )
    _validate(doc, data, [(key, kind) for key, _, kind in components])
    metadata = data.get("metadata")
    subject = metadata.get("component") if isinstance(metadata, dict) else None
    name = subject.get("name") if isinstance(subject, dict) else None
    return (name if isinstance(name, str) else None), datasets_out


def _components(
    doc: Document, data: dict[str, Any]
) -> Iterator[tuple[PathKey, dict[str, Any], str]]:
    """Every component with its key path and type: the BOM's subject, then ``components`` at any
    depth."""
    metadata = doc.mapping(("metadata",), data.get("metadata"))
    if metadata.get("component") is not None:
        yield from _walk(doc, metadata["component"], ("metadata", "component"))
    for index, component in enumerate(doc.items(("components",), data.get("components"))):
        yield from _walk(doc, component, ("components", index))


def _walk(
    doc: Document, component: Any, key: PathKey
) -> Iterator[tuple[PathKey, dict[str, Any], str]]:
    if not isinstance(component, dict):
        raise doc.wrong_type(key, "a component (an object)", component)
    yield key, component, _kind(doc, component, key)
    for index, child in enumerate(doc.items((*key, "components"), component.get("components"))):
        yield from _walk(doc, child, (*key, "components", index))


def _kind(doc: Document, component: dict[str, Any], key: PathKey) -> str:
    """The component's type, read without case or spaces; an input error if it is none of
    CycloneDX's, since the type decides whether the component is audited."""
    raw = component.get("type")
    if not isinstance(raw, str):
        raise doc.wrong_type((*key, "type"), "a component type (a string)", raw)
    kind = raw.strip().lower()
    if kind not in _TYPES:
        raise doc.error(
            (*key, "type"),
            f"unknown component type {raw!r} (CycloneDX types: {', '.join(sorted(_TYPES))})",
        )
    return kind


def _list(node: Any) -> list[Any]:
    return node if isinstance(node, list) else []


def _text(node: Any) -> str | None:
    return node.strip() if isinstance(node, str) and node.strip() else None


def _raw_id(entry: dict[str, Any], key: PathKey) -> str:
    name = _text(entry.get("name"))
    version = _text(entry.get("version"))
    named = f"{name}@{version}" if name and version else name
    return _text(entry.get("bom-ref")) or named or "/".join(str(k) for k in key)


def _dataset(
    doc: Document,
    entry: dict[str, Any],
    key: PathKey,
    ident: str,
    full: bool,
    ids_by_ref: dict[str, str],
) -> Dataset:
    def at(key: PathKey) -> Location:
        return Location(path=doc.path, line=doc.line(key))

    licenses: list[Fact] = []
    notes: list[Fact] = []
    terms: list[Fact] = []
    urls: list[str] = []
    owned = doc.items((*key, "licenses"), entry.get("licenses")) if full else []
    for index, item in enumerate(owned):
        _license(item, at((*key, "licenses", index)), licenses, notes, terms, urls)
    derived: dict[str, Fact] = {}
    generators: dict[str, Fact] = {}
    pedigree = doc.mapping((*key, "pedigree"), entry.get("pedigree"))
    ancestors_key: PathKey = (*key, "pedigree", "ancestors")
    for index, ancestor in enumerate(doc.items(ancestors_key, pedigree.get("ancestors"))):
        if not isinstance(ancestor, dict):
            raise doc.wrong_type((*ancestors_key, index), "a component (an object)", ancestor)
        where = at((*ancestors_key, index))
        if _kind(doc, ancestor, (*ancestors_key, index)) == _MODEL:
            model = _text(ancestor.get("name")) or _reference(ancestor, ids_by_ref)
            if model:
                generators.setdefault(model, Fact(value=model, location=where, origin="pedigree"))
            continue
        upstream = _reference(ancestor, ids_by_ref)
        if upstream:
            derived.setdefault(upstream, Fact(value=upstream, location=where, origin="pedigree"))
    return Dataset(
        id=ident,
        name=_text(entry.get("name")),
        location=at(key),
        licenses=tuple(licenses),
        license_notes=tuple(notes),
        license_url=urls[0] if urls else None,
        source=_source(entry),
        derived_from=tuple(derived.values()),
        generated_by=tuple(generators.values()),
        terms=tuple(terms),
        creators=_creators(doc, entry, key, at),
        attribution=_attribution(doc, entry, key, at),
    )


def _creators(
    doc: Document, entry: dict[str, Any], key: PathKey, at: Callable[[PathKey], Location]
) -> tuple[Fact, ...]:
    """Who created the data: the component's ``authors`` (1.6, contacts with a name), else its
    legacy ``author`` text."""
    found: list[Fact] = []
    for index, author in enumerate(doc.items((*key, "authors"), entry.get("authors"))):
        name = _text(author.get("name")) if isinstance(author, dict) else None
        if name:
            found.append(Fact(value=name, location=at((*key, "authors", index)), origin="authors"))
    legacy = _text(entry.get("author"))
    if not found and legacy:
        found.append(Fact(value=legacy, location=at((*key, "author")), origin="author"))
    return tuple(found)


def _attribution(
    doc: Document, entry: dict[str, Any], key: PathKey, at: Callable[[PathKey], Location]
) -> tuple[Fact, ...]:
    """The credit the licensor asks for, as auditor's own ML-BOM records it (an
    ``auditor:attribution`` property; CycloneDX has no field of its own for it)."""
    found: list[Fact] = []
    for index, prop in enumerate(doc.items((*key, "properties"), entry.get("properties"))):
        if isinstance(prop, dict) and prop.get("name") == "auditor:attribution":
            value = _text(prop.get("value"))
            if value:
                where = at((*key, "properties", index))
                found.append(Fact(value=value, location=where, origin="auditor:attribution"))
    return tuple(found)


def _license(
    item: Any,
    where: Location,
    licenses: list[Fact],
    notes: list[Fact],
    terms: list[Fact],
    urls: list[str],
) -> None:
    """One ``licenses`` entry: a license object or an SPDX expression."""
    if isinstance(item, dict) and isinstance(item.get("expression"), str):
        licenses.append(Fact(value=item["expression"], location=where, origin="expression"))
        return
    lic = item.get("license") if isinstance(item, dict) else None
    if not isinstance(lic, dict):
        raw = json.dumps(item, sort_keys=True)
        licenses.append(Fact(value=raw, location=where, origin="licenses"))
        return
    ident, name, url = _text(lic.get("id")), _text(lic.get("name")), _text(lic.get("url"))
    value = ident or name or url or json.dumps(lic, sort_keys=True)
    licenses.append(Fact(value=value, location=where, origin="license.id" if ident else "license"))
    if ident and name:
        notes.append(Fact(value=name, location=where, origin="license.name"))
    if url:
        urls.append(url)
        if value != url:
            notes.append(Fact(value=url, location=where, origin="license.url"))
    text = lic.get("text")
    if isinstance(text, dict) and text.get("encoding") != "base64":
        content = _text(text.get("content"))
        if content:
            notes.append(Fact(value=content, location=where, origin="license.text"))
    licensing = lic.get("licensing")
    kinds = licensing.get("licenseTypes") if isinstance(licensing, dict) else None
    if kinds is not None and not (
        isinstance(kinds, list) and all(isinstance(kind, str) for kind in kinds)
    ):
        message = "'licensing.licenseTypes' must be a list of strings"
        raise InputError(where.path, message, where.line)
    for kind in kinds or []:
        terms.append(Fact(value=kind, location=where, origin="licensing.licenseTypes"))


def _reference(component: dict[str, Any], ids_by_ref: dict[str, str]) -> str | None:
    """An upstream: its dataset id in this BOM, else its purl, URL, bom-ref or name."""
    ref = component.get("bom-ref")
    if isinstance(ref, str) and ref in ids_by_ref:
        return ids_by_ref[ref]
    return (
        _text(component.get("purl"))
        or _source(component)
        or _text(ref)
        or _text(component.get("name"))
    )


def _source(entry: dict[str, Any]) -> str | None:
    """Where the data lives: a distribution or website reference, or the contents' URL."""
    references = [r for r in _list(entry.get("externalReferences")) if isinstance(r, dict)]
    for kind in _SOURCE_REFERENCES:
        for reference in references:
            if reference.get("type") == kind and _text(reference.get("url")):
                return _text(reference.get("url"))
    contents = entry.get("contents")
    if isinstance(contents, dict) and _text(contents.get("url")):
        return _text(contents.get("url"))
    for item in _list(entry.get("data")):
        inner = item.get("contents") if isinstance(item, dict) else None
        if isinstance(inner, dict) and _text(inner.get("url")):
            return _text(inner.get("url"))
    return None


# The JSON schema of each CycloneDX version read, bundled (auditor/schemas/README.md).
SCHEMAS = Path(__file__).parent.parent / "schemas" / "cyclonedx"
_VERSIONS = ("1.5", "1.6", "1.7")


def _validate(doc: Document, data: dict[str, Any], kinds: list[tuple[PathKey, str]]) -> None:
    """Fail on a BOM its own CycloneDX version's JSON schema refuses: one line at the line of the
    value refused, saying where in the BOM and why. Component types are checked as they were
    read (without case or spaces, as above); everything else as written."""
    version = data.get("specVersion")
    if version not in _VERSIONS:
        known = ", ".join(_VERSIONS)
        message = f"CycloneDX specVersion {version!r} is not read (read: {known})"
        raise doc.error(("specVersion",), message)
    from jsonschema.exceptions import best_match

    checked = json.loads(json.dumps(data))
    for key, kind in kinds:
        node: Any = checked
        for part in key:
            node = node[part]
        node["type"] = kind
    error = best_match(_validator(str(version)).iter_errors(checked))
    if error is None:
        return
    key = tuple(error.absolute_path)
    where = ".".join(str(part) for part in key) or "(top level)"
    raise doc.error(key, f"not valid CycloneDX {version}: {where}: {_reason(error)}")


def _key_name(error: Any) -> str:
    path = list(error.absolute_path)
    return str(path[-1]) if path else ""


def _reason(error: Any) -> str:
    """The schema's complaint in words a BOM's author can act on, on one line."""
    match error.validator:
        case "oneOf" if "is valid under each of" in error.message:
            required = [
                " + ".join(f"'{k}'" for k in option.get("required", ()))
                for option in error.validator_value
                if isinstance(option, dict) and option.get("required")
            ]
            why = f"give exactly one of {' or '.join(required)}, not several"
        case "oneOf" | "anyOf":
            count = len(error.validator_value)
            why = f"matches none of the {count} forms CycloneDX allows here"
            if _key_name(error) == "licenses":
                why += " (a list of {'license': ...} entries, or one {'expression': ...})"
        case "enum":
            allowed = ", ".join(str(v) for v in error.validator_value[:12])
            more = ", ..." if len(error.validator_value) > 12 else ""
            why = f"{error.instance!r} is not one of: {allowed}{more}"
        case _:
            why = " ".join(error.message.split())
    return why if len(why) <= 200 else why[:199] + "…"


@cache
def _validator(version: str) -> Any:
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource

    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    registry = Registry().with_resources(resources)
    schema = json.loads((SCHEMAS / f"bom-{version}.schema.json").read_text(encoding="utf-8"))
    return Draft7Validator(schema, registry=registry)
