"""SPDX 3.0 JSON-LD documents, read as plain JSON: each ``dataset_DatasetPackage`` is a dataset.

spdx-tools cannot read SPDX 3.0.1, and the format is simple enough to walk: elements sit in
``@graph``, keyed by ``spdxId``. A package's licenses are not properties but ``Relationship``
elements (``hasDeclaredLicense``, ``hasConcludedLicense``) whose ``to`` is a
``simplelicensing_LicenseExpression``, an ``expandedlicensing_CustomLicense`` (its name is the
value, its text a license note), a license set or operator, or a listed-license IRI
(``https://spdx.org/licenses/CC-BY-4.0`` is ``CC-BY-4.0``).

Lineage: ``descendantOf`` / ``ancestorOf`` / ``copiedTo`` between elements, and a Build's
``hasInput`` feeding its ``hasOutput``; an ``ai_AIPackage`` that ``generates`` a dataset is its
generator. ``dataset_datasetAvailability``: ``clickthrough`` and ``registration`` mean terms must be
accepted before access (kept as terms); ``scrapingScript`` means the package is a script that
fetches the content from elsewhere, so the data is a pointer to content hosted by others.
Models and files are not datasets; a model's ``trainedOn`` targets are read only where they are
``dataset_DatasetPackage`` elements themselves.

An element that cannot be read is an input error at its line, never skipped: a graph item that is
not an object, an ``spdxId`` or ``type`` that is not a string (a list of types is read), a
relationship whose type, ``from`` or ``to`` is not text. So is a document without a dataset.

Then each element is checked against the SPDX 3.0.1 model with the SPDX project's own bindings
(spdx-python-model), which refuse unknown types and properties, values outside a vocabulary and
malformed dates: an element they refuse is an input error at its line, naming the element.
References between elements are not resolved (a document may import elements from others).
"""

from __future__ import annotations

import re
from typing import Any

from auditor.document import Document, PathKey
from auditor.model import Dataset, Fact, Location

FORMAT = "spdx3"

_DATASET = "dataset_DatasetPackage"
_MODEL = "ai_AIPackage"
_LICENSE_RELATIONSHIPS = ("hasDeclaredLicense", "hasConcludedLicense")
_LISTED = "https://spdx.org/licenses/"
_TERMS_AVAILABILITY = frozenset({"clickthrough", "registration"})
_POINTER_AVAILABILITY = "scrapingScript"
_NO_ASSERTION = frozenset({"noassertion", "noassertionlicense"})
_NONE = frozenset({"none", "nonelicense"})
_NOT_IN_ID = re.compile(r"[^A-Za-z0-9.-]+")
_SOURCES = ("software_downloadLocation", "software_packageUrl", "software_homePage")
# Fields of license elements that name other elements: each must be an identifier.
_LICENSE_FIELDS = (
    "expandedlicensing_member",
    "expandedlicensing_subjectLicense",
    "expandedlicensing_subjectExtendableLicense",
    "expandedlicensing_subjectAddition",
)


def detect(doc: Document) -> bool:
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("@graph"), list):
        return False
    context = data.get("@context")
    contexts = context if isinstance(context, list) else [context]
    return any(isinstance(c, str) and "spdx.org/rdf/3" in c for c in contexts)


def _types(element: dict[str, Any]) -> tuple[str, ...]:
    kind = element.get("type", element.get("@type"))
    if isinstance(kind, str):
        return (kind,)
    if isinstance(kind, list) and all(isinstance(k, str) for k in kind):
        return tuple(kind)
    return ()


def _type(element: dict[str, Any]) -> str:
    """The element's SPDX type (the first, when JSON-LD lists several)."""
    return next(iter(_types(element)), "")


def _id(element: dict[str, Any]) -> str | None:
    ident = element.get("spdxId", element.get("@id"))
    return ident if isinstance(ident, str) else None


def _targets(node: Any) -> list[str]:
    items = node if isinstance(node, list) else [node]
    return [item for item in items if isinstance(item, str)]


def _identifiers(node: Any) -> bool:
    """Whether ``node`` is an identifier or a list of them."""
    return all(isinstance(item, str) for item in (node if isinstance(node, list) else [node]))


def _check(doc: Document, index: int, element: Any) -> dict[str, Any]:
    """A graph element, checked for the fields the reader relies on."""
    key: PathKey = ("@graph", index)
    if not isinstance(element, dict):
        raise doc.wrong_type(key, "an element (an object)", element)
    for field in ("spdxId", "@id"):
        if field in element and not isinstance(element[field], str):
            raise doc.wrong_type((*key, field), "an identifier (a string)", element[field])
    for field in ("type", "@type"):
        if field in element and not _types(element):
            raise doc.wrong_type((*key, field), "a type name (a string)", element[field])
    kinds = _types(element)
    if any(kind.endswith("Relationship") for kind in kinds):
        for field in ("relationshipType", "from"):
            if not isinstance(element.get(field), str):
                raise doc.wrong_type((*key, field), "a string", element.get(field))
    if _DATASET in kinds:
        if not _id(element):
            raise doc.error(key, f"a {_DATASET} needs an 'spdxId'")
        availability = element.get("dataset_datasetAvailability")
        if availability is not None and not isinstance(availability, str):
            field = "dataset_datasetAvailability"
            raise doc.wrong_type((*key, field), "a string", availability)
    for field in ("to", *_LICENSE_FIELDS):
        value = element.get(field)
        if value is not None and not _identifiers(value):
            raise doc.wrong_type((*key, field), "element identifiers (strings)", value)
    return element


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    graph = data.get("@graph") if isinstance(data, dict) else None
    if not isinstance(graph, list):
        raise doc.error((), "an SPDX 3 document must be a JSON-LD object with an '@graph' list")

    def at(key: PathKey) -> Location:
        return Location(path=doc.path, line=doc.line(key))

    checked = [_check(doc, index, element) for index, element in enumerate(graph)]
    elements: dict[str, dict[str, Any]] = {}
    relationships: list[tuple[int, dict[str, Any]]] = []
    document_name: str | None = None
    for index, element in enumerate(checked):
        ident = _id(element)
        if ident is not None:
            elements.setdefault(ident, element)
        kinds = _types(element)
        if any(kind.endswith("Relationship") for kind in kinds):
            # Relationship, LifecycleScopedRelationship
            relationships.append((index, element))
        elif "SpdxDocument" in kinds and isinstance(element.get("name"), str):
            document_name = element["name"]
    datasets = {
        ident: index
        for index, element in enumerate(checked)
        if _DATASET in _types(element) and (ident := _id(element))
    }
    if not datasets:
        raise doc.error((), f"no datasets: the document has no {_DATASET} element")
    found = {ident: _Found() for ident in datasets}

    def ref(ident: str) -> str:
        """An upstream: its dataset id in this file, else where the element lives, else its IRI."""
        element = elements.get(ident, {})
        if ident in datasets:
            return ident
        return _location(element) or ident

    build_inputs: dict[str, list[tuple[str, PathKey]]] = {}
    build_outputs: dict[str, list[str]] = {}
    for index, rel in relationships:
        kind, source = rel["relationshipType"], rel["from"]
        targets = _targets(rel.get("to"))
        key: PathKey = ("@graph", index)
        if kind in _LICENSE_RELATIONSHIPS and source in found:
            for k, target in enumerate(targets):
                value, notes = _license(target, elements)
                where = at((*key, "to", k))
                found[source].licenses.append(Fact(value=value, location=where, origin=kind))
                for origin, text in notes:
                    found[source].notes.setdefault(
                        text, Fact(value=text, location=where, origin=origin)
                    )
        elif kind == "descendantOf" and source in found:
            for target in targets:
                found[source].derived(ref(target), at(key), kind)
        elif kind in ("ancestorOf", "copiedTo"):
            for target in targets:
                if target in found:
                    found[target].derived(ref(source), at(key), kind)
        elif kind == "generates":
            generator = elements.get(source, {})
            for target in (t for t in targets if t in found):
                if _MODEL in _types(generator):
                    name = generator.get("name")
                    value = name if isinstance(name, str) and name else source
                    found[target].generated_by.append(
                        Fact(value=value, location=at(key), origin=kind)
                    )
                elif source in datasets:
                    found[target].derived(source, at(key), kind)
        elif kind == "hasInput":
            build_inputs.setdefault(source, []).extend((t, key) for t in targets)
        elif kind == "hasOutput":
            build_outputs.setdefault(source, []).extend(targets)
    for build, outputs in build_outputs.items():
        for target in (t for t in outputs if t in found):
            for upstream, key in build_inputs.get(build, []):
                if upstream != target:
                    found[target].derived(ref(upstream), at(key), "hasInput")

    out = [
        _dataset(graph[index], ident, at(("@graph", index)), found[ident], elements)
        for ident, index in datasets.items()
    ]
    _validate(doc, data, graph)
    return document_name, tuple(out)


class _Found:
    """What the relationships say about one dataset, gathered while walking them."""

    def __init__(self) -> None:
        self.licenses: list[Fact] = []
        self.notes: dict[str, Fact] = {}  # by text: declared and concluded often share one
        self.generated_by: list[Fact] = []
        self.lineage: dict[str, Fact] = {}

    def derived(self, upstream: str, location: Location, origin: str) -> None:
        self.lineage.setdefault(upstream, Fact(value=upstream, location=location, origin=origin))


def _dataset(
    element: dict[str, Any],
    ident: str,
    location: Location,
    found: _Found,
    elements: dict[str, dict[str, Any]],
) -> Dataset:
    availability = element.get("dataset_datasetAvailability")
    terms = (
        (Fact(value=availability, location=location, origin="dataset_datasetAvailability"),)
        if availability in _TERMS_AVAILABILITY
        else ()
    )
    name = element.get("name")
    return Dataset(
        id=ident,
        name=name if isinstance(name, str) else None,
        location=location,
        licenses=tuple(found.licenses),
        license_notes=tuple(found.notes.values()),
        source=_location(element),
        derived_from=tuple(found.lineage.values()),
        generated_by=tuple(found.generated_by),
        terms=terms,
        pointer=availability == _POINTER_AVAILABILITY,
        creators=_originators(element, elements, location),
        attribution=tuple(
            Fact(value=text, location=location, origin="software_attributionText")
            for text in _strings(element.get("software_attributionText"))
        ),
    )


def _strings(node: Any) -> list[str]:
    items = node if isinstance(node, list) else [node]
    return [item.strip() for item in items if isinstance(item, str) and item.strip()]


def _originators(
    element: dict[str, Any], elements: dict[str, dict[str, Any]], location: Location
) -> tuple[Fact, ...]:
    """Who created the data: the names of the Agents ``originatedBy`` (or the references as
    written, where the Agent is not in the document)."""
    found: list[Fact] = []
    for ref in _strings(element.get("originatedBy")):
        agent = elements.get(ref, {})
        name = agent.get("name") if isinstance(agent.get("name"), str) else None
        found.append(Fact(value=name or ref, location=location, origin="originatedBy"))
    return tuple(found)


def _location(element: dict[str, Any]) -> str | None:
    """Where a package lives: its download location, package URL or home page."""
    return next((element[k] for k in _SOURCES if isinstance(element.get(k), str)), None)


def _license(ref: str, elements: dict[str, dict[str, Any]]) -> tuple[str, list[tuple[str, str]]]:
    """A license target as an expression string, and the notes (license text) that explain it."""
    notes: list[tuple[str, str]] = []

    def render(node: str, depth: int = 0) -> str:
        element = elements.get(node)
        if element is None or depth > 20:
            return _named(node)
        kind = _type(element)
        if kind == "simplelicensing_LicenseExpression":
            expression = element.get("simplelicensing_licenseExpression")
            return expression if isinstance(expression, str) and expression else _named(node)
        if kind.endswith(("ConjunctiveLicenseSet", "DisjunctiveLicenseSet")):
            joiner = " AND " if "Conjunctive" in kind else " OR "
            members = [
                render(m, depth + 1) for m in _targets(element.get("expandedlicensing_member"))
            ]
            return f"({joiner.join(members)})" if len(members) > 1 else "".join(members)
        if kind.endswith("OrLaterOperator"):
            subject = element.get("expandedlicensing_subjectLicense")
            return f"{render(subject, depth + 1)}+" if isinstance(subject, str) else _named(node)
        if kind.endswith("WithAdditionOperator"):
            subject = element.get("expandedlicensing_subjectExtendableLicense")
            addition = element.get("expandedlicensing_subjectAddition")
            if isinstance(subject, str) and isinstance(addition, str):
                return f"{render(subject, depth + 1)} WITH {render(addition, depth + 1)}"
            return _named(node)
        text = element.get("simplelicensing_licenseText") or element.get(
            "expandedlicensing_additionText"
        )
        if isinstance(text, str) and text.strip() and not node.startswith(_LISTED):
            notes.append(("simplelicensing_licenseText", text.strip()))
        name = element.get("name")
        if isinstance(name, str) and name.strip() and not node.startswith(_LISTED):
            # Inside an expression a name must be one token: "LicenseRef-IAM-Database-Terms".
            return f"LicenseRef-{_NOT_IN_ID.sub('-', name.strip())}" if depth else name.strip()
        return _named(node)

    return render(ref), notes


def _named(ref: str) -> str:
    """A license IRI as its identifier: listed licenses by id, NoAssertion and None as in SPDX 2."""
    if ref.startswith(_LISTED):
        return ref[len(_LISTED) :].removesuffix(".html").removesuffix(".json")
    last = ref.rstrip("/").rsplit("/", 1)[-1].rsplit("_", 1)[-1].lower()
    if last in _NO_ASSERTION:
        return "NOASSERTION"
    if last in _NONE:
        return "NONE"
    return ref


_TERMS_IRI = re.compile(r"https://spdx\.org/rdf/3\.0\.1/terms/(?:\w+/)*")


def _validate(doc: Document, data: dict[str, Any], graph: list[Any]) -> None:
    """Each element through the SPDX 3.0.1 model bindings, one at a time, so a refusal names its
    element and line."""
    from spdx_python_model import v3_0_1 as spdx

    context = data.get("@context")
    for index, element in enumerate(graph):
        kinds = _types(element)
        if isinstance(element.get("type"), list) and kinds:
            # A list of types is read (above); the model takes one: the dataset's, if listed.
            element = {**element, "type": _DATASET if _DATASET in kinds else kinds[0]}
        try:
            spdx.JSONLDDeserializer().deserialize_data(
                {"@context": context, "@graph": [element]}, spdx.SHACLObjectSet()
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            why = " ".join(_TERMS_IRI.sub("", str(text)).split())
            if len(why) > 200:
                why = why[:199] + "…"
            ident = _id(element)
            name = f"{ident} ({', '.join(kinds)})" if ident else f"@graph[{index}]"
            raise doc.error(("@graph", index), f"not valid SPDX 3.0.1: {name}: {why}") from exc
