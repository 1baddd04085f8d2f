"""SPDX 3.0.1 JSON-LD: the audited mix as ``dataset_DatasetPackage`` elements, with its evidence.

Each dataset of the report is a DatasetPackage (``software_primaryPurpose`` ``data``; its
``dataset_datasetType`` is ``noAssertion``, since the report does not know it), its source the
``software_downloadLocation``, where its content was collected from the
``dataset_dataCollectionProcess``, and a pointer dataset (references to content hosted elsewhere)
``dataset_datasetAvailability: scrapingScript``; who created it is ``originatedBy`` (an Agent per
creator claimed), the credit its licensor asks for ``software_attributionText``. As the Dataset
profile asks, each has exactly one ``hasDeclaredLicense`` and one ``hasConcludedLicense``
relationship:

- declared: every license claim the verdict applied, and every SPDX declared license a concluded
  one superseded, as found (see :class:`~auditor.evidence.Claim`);
- concluded: the claims the verdict applied; all of them apply, so the most restrictive reading
  is the conclusion. No claim applied: ``NoAssertion``.

A claim that is an SPDX expression is a ``simplelicensing_LicenseExpression``; any other value a
``expandedlicensing_CustomLicense`` named by it. Lineage is ``descendantOf`` (an upstream that is
not in the report is a ``software_Package`` at its reference), each generating model an
``ai_AIPackage`` that ``generates`` the dataset. The verdict and every finding are ``review``
Annotations on the dataset. The document's creation time is the date the audit judged as of, and
its element ids are derived from the report itself, so the same input gives the same bytes.

Audited again, the document gives the same verdicts where what decided them is in the fields
auditor's SPDX 3 reader reads: licenses, lineage, generators, sources, pointer datasets,
``originatedBy`` and ``software_attributionText``. The reader does not read the collection process,
and access terms are not in the report, so a verdict that rests on them (platform terms) is not
reproduced.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from auditor.evidence import Claim, ClaimRole
from auditor.licensing import Status
from auditor.render import STREAMED, json_chunks
from auditor.report import DatasetReport, Finding, Report, findings_by_dataset

SPEC_VERSION = "3.0.1"
CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
NO_ASSERTION = "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense"
DATA_LICENSE = "CC0-1.0"  # SPDX documents' own license, as the specification requires
CREATION = "_:creationinfo"

Json = dict[str, Any]

_CONCLUDED = frozenset({"licenseConcluded", "hasConcludedLicense"})


class _Graph:
    """The elements of one document, each added once, with ids under the document's namespace."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.elements: dict[str, Json] = {}

    def add(self, kind: str, local: str, **props: Any) -> str:
        ident = self.namespace + local
        self.elements.setdefault(
            ident, {"type": kind, "spdxId": ident, "creationInfo": CREATION, **props}
        )
        return ident

    def relate(self, kind: str, source: str, targets: list[str]) -> None:
        local = f"relationship/{kind}/{len(self.elements)}"
        self.add("Relationship", local, relationshipType=kind, to=targets, **{"from": source})


def render_spdx3(report: Report) -> str:
    """The report as an SPDX 3.0.1 JSON-LD document; byte-for-byte the same for one report."""
    return "".join(spdx3_chunks(report))


def spdx3_chunks(report: Report) -> Iterator[str]:
    """:func:`render_spdx3`'s text in pieces, a batch of elements at a time."""
    digest = hashlib.sha256(report.model_dump_json().encode("utf-8")).hexdigest()[:32]
    graph = _Graph(f"urn:auditor:spdx:{digest}:")
    agent = graph.add("SoftwareAgent", "agent/auditor", name="auditor")
    tool = graph.add("Tool", "tool/auditor", name=f"auditor {report.tool_version}")
    data_license = graph.add(
        "simplelicensing_LicenseExpression",
        "license/document",
        simplelicensing_licenseExpression=DATA_LICENSE,
    )
    repeated = {i for i, n in Counter(ds.id for ds in report.datasets).items() if n > 1}
    packages = {(ds.manifest, ds.id): _package_id(ds, repeated) for ds in report.datasets}
    roots = [
        graph.add(
            "dataset_DatasetPackage",
            packages[ds.manifest, ds.id],
            **_package(ds),
            **_originators(graph, ds),
        )
        for ds in report.datasets
    ]
    found = findings_by_dataset(report.findings)
    for ds, root in zip(report.datasets, roots, strict=True):
        _licenses(graph, ds, root)
        _lineage(graph, ds, root, packages)
        _annotations(graph, ds, root, found.get(ds.id, ()))
    verdict = (
        f"auditor verdict: {report.verdict.value} under policy {report.policy} "
        f"(fail on {report.fail_on.value})"
    )
    document = {
        "type": "SpdxDocument",
        "spdxId": graph.namespace + "document",
        "creationInfo": CREATION,
        "name": f"auditor report ({report.verdict.value})",
        "comment": verdict + _provenance(report),
        "dataLicense": data_license,
        "profileConformance": [
            "core",
            "software",
            "simpleLicensing",
            "expandedLicensing",
            "dataset",
            "ai",
        ],
        "rootElement": roots,
        "element": list(graph.elements),
    }
    creation: Json = {
        "type": "CreationInfo",
        "@id": CREATION,
        "specVersion": SPEC_VERSION,
        "createdBy": [agent],
        "createdUsing": [tool],
    }
    if report.provenance is not None:
        creation["created"] = f"{report.provenance.as_of.isoformat()}T00:00:00Z"
    doc = {"@context": CONTEXT, "@graph": STREAMED}
    return json_chunks(doc, itertools.chain((creation, document), graph.elements.values()))


def _package_id(ds: DatasetReport, repeated: set[str]) -> str:
    """``dataset/<id>``; an id used in several manifests is qualified by its manifest."""
    if ds.id in repeated:
        return f"dataset/{quote(ds.manifest, safe='')}/{quote(ds.id, safe='')}"
    return f"dataset/{quote(ds.id, safe='')}"


def _package(ds: DatasetReport) -> Json:
    props: Json = {
        "name": ds.name or ds.id,
        "software_primaryPurpose": "data",
        "dataset_datasetType": ["noAssertion"],
    }
    if ds.source is not None:
        props["software_downloadLocation"] = ds.source
    if ds.collected_from:
        props["dataset_dataCollectionProcess"] = "; ".join(
            f"collected from {c.target}" + (f" by {c.method}" if c.method else "")
            for c in ds.collected_from
        )
    if ds.pointer:
        props["dataset_datasetAvailability"] = "scrapingScript"
    if ds.attribution:
        props["software_attributionText"] = list(ds.attribution)
    return props


def _originators(graph: _Graph, ds: DatasetReport) -> Json:
    """``originatedBy``: an Agent for each creator claimed (a person or an organisation: the
    report does not say which)."""
    agents = [
        graph.add("Agent", f"agent/{quote(creator, safe='')}", name=creator)
        for creator in ds.creators
    ]
    return {"originatedBy": _unique(agents)} if agents else {}


def _licenses(graph: _Graph, ds: DatasetReport, root: str) -> None:
    applied = _written(c for c in ds.claims if c.role is ClaimRole.APPLIED)
    superseded = _written(c for c in ds.claims if c.role is ClaimRole.SUPERSEDED)
    concluded = [_license(graph, claim) for claim in applied]
    declared = concluded + [_license(graph, claim) for claim in superseded]
    graph.relate("hasDeclaredLicense", root, _unique(declared) or [NO_ASSERTION])
    graph.relate("hasConcludedLicense", root, _unique(concluded) or [NO_ASSERTION])


def _written(claims: Any) -> list[Claim]:
    return list({_value(c): c for c in claims}.values())


def _value(claim: Claim) -> str:
    return claim.expression if claim.status is Status.EXACT and claim.expression else claim.value


def _license(graph: _Graph, claim: Claim) -> str:
    value = _value(claim)
    key = hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
    if claim.status is Status.EXACT and claim.expression:
        return graph.add(
            "simplelicensing_LicenseExpression",
            f"license/{key}",
            simplelicensing_licenseExpression=value,
        )
    return graph.add(
        "expandedlicensing_CustomLicense",
        f"license/{key}",
        name=value,
        simplelicensing_licenseText=value,
    )


def _lineage(
    graph: _Graph, ds: DatasetReport, root: str, packages: dict[tuple[str, str], str]
) -> None:
    parents = []
    for parent in ds.derived_from:
        local = packages.get((ds.manifest, parent)) or next(
            (ident for (_, other), ident in packages.items() if other == parent), None
        )
        if local is not None:
            parents.append(graph.namespace + local)
        else:  # not in the report: where it is named, as a package to be found
            parents.append(
                graph.add(
                    "software_Package",
                    f"upstream/{quote(parent, safe='')}",
                    name=parent,
                    software_downloadLocation=parent,
                )
            )
    if parents:
        graph.relate("descendantOf", root, parents)
    for model in ds.generated_by:
        generator = graph.add(
            "ai_AIPackage",
            f"model/{quote(model, safe='')}",
            name=model,
            software_primaryPurpose="model",
        )
        graph.relate("generates", generator, [root])


def _annotations(
    graph: _Graph, ds: DatasetReport, root: str, findings: tuple[Finding, ...]
) -> None:
    weight = f", weight {ds.weight:g}" if ds.weight is not None else ""
    lines = [
        f"verdict: {ds.verdict.value}; license {ds.license.expression or 'unknown'} "
        f"({ds.license.status.value}), commercial use {ds.license.commercial_use.value}{weight}"
    ]
    lines += [_finding(f) for f in findings]
    for index, statement in enumerate(lines):
        graph.add(
            "Annotation",
            f"{_local(root, graph)}/annotation/{index}",
            annotationType="review",
            subject=root,
            statement=statement,
        )


def _local(ident: str, graph: _Graph) -> str:
    return ident.removeprefix(graph.namespace)


def _finding(f: Finding) -> str:
    state = f"waived {f.severity.value}" if f.waived else f.severity.value
    text = f"{state} {f.rule.value}: {f.message}"
    ev = f.evidence
    if ev is not None and ev.source_url:
        text += f" (source: {ev.source_url}" + (f", {ev.version})" if ev.version else ")")
    return text


def _provenance(report: Report) -> str:
    p = report.provenance
    if p is None:
        return ""
    manifests = ", ".join(f"{m.path} sha256:{m.sha256}" for m in p.manifests)
    return (
        f"; as of {p.as_of.isoformat()}; knowledge base sha256:{p.knowledge_base_sha256}; "
        f"manifests: {manifests}"
    )


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))
