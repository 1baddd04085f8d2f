"""SARIF 2.1.0 for code scanning: one rule per finding rule, one result per finding.

Results point at the manifest line that triggered them, with the path relative to the repository
root. Each carries a ``partialFingerprints`` hash of what the finding is about (rule, dataset,
lineage, manifest, trigger) but not of its line, so a finding keeps its identity when lines move.
Waived findings are results with an accepted external suppression giving the waiver's reason.
Text meant for people (messages, justifications) is made safe with
:func:`~auditor.render.safe_text`; identifiers (the dataset in properties and logical locations)
are kept exactly, as in the JSON report.
The run's properties name the policy and the fail-closed rules it relaxes (``policyRelaxes``); a
relaxing policy also adds a warning configuration notification to the run's invocation.
The report's provenance is in the run too: each manifest read and each card looked up is an
artifact with its ``sha-256`` hash (a card's revision and reference in its properties), and the
run's properties carry ``asOf`` and ``knowledgeBaseSha256``.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditor.model import Location
from auditor.policy import Severity
from auditor.render import json_document, relaxation_note, safe_text
from auditor.report import Finding, Report
from auditor.rulebook import Rulebook, RuleDoc, load_rulebook

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "auditorFinding/v1"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

Json = dict[str, Any]


def render_sarif(
    report: Report, *, root: Path | None = None, rulebook: Rulebook | None = None
) -> str:
    """The report as a SARIF log; paths inside ``root`` (default: the working folder) relative."""
    book = rulebook or load_rulebook()
    base = root or Path.cwd()
    index = {doc.id: i for i, doc in enumerate(book.rules)}
    levels = {f.rule: _LEVEL[f.severity] for f in report.findings}
    run: Json = {
        "tool": {
            "driver": {
                "name": "auditor",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "rules": [_rule(doc, levels.get(doc.id)) for doc in book.rules],
            }
        },
        "results": [_result(report, f, index[f.rule], base) for f in report.findings],
        "properties": {
            "policy": report.policy,
            "policyRelaxes": [rule.value for rule in report.policy_relaxes],
            "failOn": report.fail_on.value,
            "verdict": report.verdict.value,
        },
    }
    provenance = report.provenance
    if provenance is not None:
        run["properties"] |= {
            "asOf": provenance.as_of.isoformat(),
            "knowledgeBaseSha256": provenance.knowledge_base_sha256,
        }
        run["artifacts"] = [
            {
                "location": {"uri": _uri(m.path, base)},
                "roles": ["analysisTarget"],
                "hashes": {"sha-256": m.sha256},
                "properties": {"format": m.format},
            }
            for m in provenance.manifests
        ] + [
            {
                "location": {"uri": c.url},
                "hashes": {"sha-256": c.sha256},
                "properties": {
                    "reference": c.reference,
                    "outcome": c.outcome,
                    "revision": c.revision,
                },
            }
            for c in provenance.cards
        ]
    note = relaxation_note(report)
    if note is not None:
        run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolConfigurationNotifications": [{"level": "warning", "message": {"text": note}}],
            }
        ]
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return json_document(log)


def repository_path(path: str, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form; a path outside ``root`` stays as given."""
    given = Path(path)
    absolute, base = given.resolve(), root.resolve()
    if absolute.is_relative_to(base):
        return absolute.relative_to(base).as_posix()
    return given.as_posix()


def locate(report: Report, finding: Finding) -> Location | None:
    """Where a finding points: its own location, else its dataset's entry in the manifest."""
    if finding.location is not None:
        return finding.location
    return next((d.location for d in report.datasets if d.id == finding.dataset), None)


def _rule(doc: RuleDoc, level: str | None) -> Json:
    refs = "".join(f"\n- {url}" for url in doc.references)
    rule: Json = {
        "id": doc.id.value,
        "name": _identifier(doc.name),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.rationale},
        "help": {
            "text": f"How to fix: {doc.how_to_fix}" + (f"\n\nReferences:{refs}" if refs else ""),
            "markdown": (
                f"**{doc.name}.** {doc.summary}\n\n**Why it matters.** {doc.rationale}\n\n"
                f"**How to fix.** {doc.how_to_fix}"
                + (f"\n\n**References**\n{refs}" if refs else "")
            ),
        },
    }
    if level is not None:
        rule["defaultConfiguration"] = {"level": level}
    return rule


def _identifier(name: str) -> str:
    """A rule's name as the identifier SARIF asks for: "Generator's output" -> GeneratorsOutput."""
    words = re.split(r"[^0-9A-Za-z]+", name.replace("'", ""))
    return "".join(w[:1].upper() + w[1:] for w in words)


def _result(report: Report, finding: Finding, rule_index: int, root: Path) -> Json:
    where = locate(report, finding)
    uri = _uri(where.path, root) if where is not None else None
    result: Json = {
        "ruleId": finding.rule.value,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [_location(finding.dataset, where, uri)],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(finding, uri)},
        "properties": {"dataset": finding.dataset, "via": list(finding.via)},
    }
    if finding.waiver is not None:
        waiver = finding.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": safe_text(waiver.reason),
                "location": {"physicalLocation": _physical(waiver.location, root)},
                "properties": {
                    "approvedBy": safe_text(waiver.approved_by),
                    "expires": waiver.expires.isoformat(),
                },
            }
        ]
    return result


def _message(finding: Finding) -> str:
    lines = [f"{finding.dataset}: {finding.message}"]
    ev = finding.evidence
    if ev is not None and ev.quote:
        lines.append(f'"{ev.quote}"')
    if ev is not None and ev.source_url:
        lines.append(f"Source: {ev.source_url}" + (f" ({ev.version})" if ev.version else ""))
    return "\n".join(safe_text(line) for line in lines)


def _location(dataset: str, where: Location | None, uri: str | None) -> Json:
    location: Json = {"logicalLocations": [{"name": dataset, "kind": "object"}]}
    if where is not None and uri is not None:
        location["physicalLocation"] = _physical_at(uri, where.line)
    return location


def _physical(where: Location, root: Path) -> Json:
    return _physical_at(_uri(where.path, root), where.line)


def _physical_at(uri: str, line: int | None) -> Json:
    physical: Json = {"artifactLocation": {"uri": uri}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return physical


def _uri(path: str, root: Path) -> str:
    return _uri_from(path, root, os.getcwd())  # noqa: PTH109 (a str: a Path costs more per finding)


@functools.lru_cache(maxsize=1024)
def _uri_from(path: str, root: Path, cwd: str) -> str:
    """Cached: a report has many findings on few files, and resolving a path asks the file
    system; the working folder is part of the key, since a relative path resolves against it."""
    relative = repository_path(path, root)
    if Path(relative).is_absolute():
        return Path(relative).as_uri()
    return quote(relative, safe="/")


def _fingerprint(finding: Finding, uri: str | None) -> str:
    trigger = finding.evidence.trigger if finding.evidence is not None else None
    parts = (finding.rule.value, finding.dataset, "/".join(finding.via), uri or "", trigger or "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()
