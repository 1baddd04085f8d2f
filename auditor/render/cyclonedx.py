"""CycloneDX 1.6 ML-BOM (JSON): the audited mix as data components, with its evidence.

Each dataset of the report is a component of type ``data``, its ``bom-ref`` the dataset's id:

- ``licenses``: the license claims the verdict applied, as found (see
  :class:`~auditor.evidence.Claim`): a single claim that is an SPDX expression is written as the
  expression, anything else as license names (CycloneDX 1.6 allows no mix of the two), each
  ``declared``, or ``concluded`` where an SPDX document concluded it. Hints and silent or
  superseded claims are left out, so the BOM, audited again, weighs the same claims;
- ``authors``: who created and released the data, as claimed;
- ``pedigree.ancestors``: the upstream datasets (``data``, named by their id) and the generating
  models (``machine-learning-model``);
- ``externalReferences``: the source (``distribution``) and the card a look-up read
  (``documentation``, with its SHA-256 and, in the comment, the Hub revision);
- ``properties`` (``auditor:`` names): the verdict, the license concluded, commercial use, the
  manifest line, an SPDX declared license a concluded one superseded, the credit the licensor
  asks for (``auditor:attribution``), the weight, where the content was collected from, whether
  it is a pointer dataset, and every finding on the dataset (``auditor:finding``: severity, rule,
  message, place and source).

The BOM's metadata names the tool, the date the audit judged as of as its timestamp (a date, so
the same input gives the same bytes; for that reason the BOM has no random ``serialNumber``), and
the report's verdict, policy and provenance as ``auditor:`` properties.

Audited again (``auditor check bom.json``) the BOM gives the same verdicts where what decided them
is in the CycloneDX fields auditor's reader reads: licenses, lineage, generators, sources, authors
and the ``auditor:attribution`` credit. The reader does not read the other ``auditor:`` properties
(collection, pointer datasets, superseded licenses), and access terms are not in the report, so a
verdict that rests on them (platform terms) is not reproduced.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from auditor.evidence import ClaimRole
from auditor.licensing import Status
from auditor.model import Location
from auditor.render import json_document
from auditor.report import DatasetReport, Finding, Report, findings_by_dataset

SPEC_VERSION = "1.6"
SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"

Json = dict[str, Any]

_CONCLUDED = frozenset({"licenseConcluded", "hasConcludedLicense"})
# Characters that an IRI reference may not hold: a source with any of them is a property instead.
_NOT_IRI = re.compile(r"[\x00-\x20\"<>\\^`{|}\x7f]")


def render_cyclonedx(report: Report) -> str:
    """The report as a CycloneDX 1.6 BOM; byte-for-byte the same for the same report."""
    metadata: Json = {
        "tools": {
            "components": [
                {"type": "application", "name": "auditor", "version": report.tool_version}
            ]
        },
        "properties": _report_properties(report),
    }
    if report.provenance is not None:
        metadata = {"timestamp": f"{report.provenance.as_of.isoformat()}T00:00:00Z", **metadata}
    ids = Counter(ds.id for ds in report.datasets)
    repeated = {ident for ident, count in ids.items() if count > 1}
    found = findings_by_dataset(report.findings)
    bom = {
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": metadata,
        "components": [
            _component(ds, _ref(ds, repeated), found.get(ds.id, ())) for ds in report.datasets
        ],
    }
    return json_document(bom)


def _report_properties(report: Report) -> list[Json]:
    props = [
        ("verdict", report.verdict.value),
        ("policy", report.policy),
        ("fail-on", report.fail_on.value),
        *(("policy-relaxes", rule.value) for rule in report.policy_relaxes),
    ]
    provenance = report.provenance
    if provenance is not None:
        props += [
            ("as-of", provenance.as_of.isoformat()),
            ("knowledge-base-sha256", provenance.knowledge_base_sha256),
            *(
                ("manifest", f"{m.path} ({m.format}) sha256:{m.sha256}")
                for m in provenance.manifests
            ),
        ]
    return _properties(props)


def _ref(ds: DatasetReport, repeated: set[str]) -> str:
    """The dataset's id, unique in the BOM: an id used in several manifests names its manifest."""
    return f"{ds.manifest}#{ds.id}" if ds.id in repeated else ds.id


def _component(ds: DatasetReport, ref: str, findings: tuple[Finding, ...]) -> Json:
    component: Json = {
        "type": "data",
        "bom-ref": ref,
        "name": ds.name or ds.id,
    }
    licenses = _licenses(ds)
    if licenses:
        component["licenses"] = licenses
    if ds.creators:
        component["authors"] = [{"name": creator} for creator in ds.creators]
    references = _references(ds)
    if references:
        component["externalReferences"] = references
    ancestors = [{"type": "data", "name": parent} for parent in ds.derived_from] + [
        {"type": "machine-learning-model", "name": model} for model in ds.generated_by
    ]
    if ancestors:
        component["pedigree"] = {"ancestors": ancestors}
    component["data"] = [{"type": "dataset", "name": ds.name or ds.id}]
    component["properties"] = _dataset_properties(ds, findings)
    return component


def _licenses(ds: DatasetReport) -> list[Json]:
    """The applied claims, once each: one SPDX expression alone, else license names."""
    applied = {
        (c.expression if c.status is Status.EXACT and c.expression else c.value): c
        for c in ds.claims
        if c.role is ClaimRole.APPLIED
    }
    written = [
        (value, "concluded" if claim.origin in _CONCLUDED else "declared")
        for value, claim in applied.items()
    ]
    if len(written) == 1 and next(iter(applied.values())).status is Status.EXACT:
        value, acknowledgement = written[0]
        return [{"expression": value, "acknowledgement": acknowledgement}]
    return [{"license": {"name": value, "acknowledgement": ack}} for value, ack in written]


def _references(ds: DatasetReport) -> list[Json]:
    references: list[Json] = []
    if ds.source is not None and not _NOT_IRI.search(ds.source):
        references.append({"type": "distribution", "url": ds.source})
    lookup = ds.lookup
    card = lookup.card if lookup is not None else None
    if lookup is not None and card is not None:
        revision = f" at revision {card.revision}" if card.revision else ""
        references.append(
            {
                "type": "documentation",
                "url": card.url,
                "comment": f"the metadata of {lookup.reference}, read by auditor{revision}",
                "hashes": [{"alg": "SHA-256", "content": card.sha256}],
            }
        )
    return references


def _dataset_properties(ds: DatasetReport, findings: tuple[Finding, ...]) -> list[Json]:
    lic = ds.license
    props: list[tuple[str, str]] = [
        ("verdict", ds.verdict.value),
        ("license", lic.expression or "unknown"),
        ("license-status", lic.status.value),
        ("commercial-use", lic.commercial_use.value),
        ("manifest", _where(ds.location)),
    ]
    props += [("superseded-license", c.value) for c in ds.claims if c.role is ClaimRole.SUPERSEDED]
    props += [("attribution", credit) for credit in ds.attribution]
    if ds.source is not None and _NOT_IRI.search(ds.source):
        props.append(("source", ds.source))
    if ds.weight is not None:
        props.append(("weight", f"{ds.weight:g}"))
    if ds.pointer:
        props.append(("pointer", "true"))
    props += [
        ("collected-from", c.target + (f" ({c.method})" if c.method else ""))
        for c in ds.collected_from
    ]
    if ds.lookup is not None:
        props.append(("lookup", f"{ds.lookup.outcome}: {ds.lookup.reference}"))
    props += [("finding", _finding(f)) for f in findings]
    return _properties(props)


def _finding(f: Finding) -> str:
    state = f"waived {f.severity.value}" if f.waived else f.severity.value
    text = f"{state} {f.rule.value}: {f.message}"
    if f.location is not None:
        text += f" ({_where(f.location)})"
    ev = f.evidence
    if ev is not None and ev.source_url:
        text += f"; source: {ev.source_url}" + (f" ({ev.version})" if ev.version else "")
    return text


def _where(location: Location) -> str:
    return location.path + (f":{location.line}" if location.line else "")


def _properties(pairs: list[tuple[str, str]]) -> list[Json]:
    return [{"name": f"auditor:{name}", "value": value} for name, value in pairs]
