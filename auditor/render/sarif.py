"""SARIF 2.1.0 for GitHub code scanning: every rule, one result per finding that fails the gate.

What GitHub reads (its "SARIF support for code scanning" page; checked in tests/test_sarif.py):

- URIs relative to the repository root (``root``: by default the git top level above the working
  folder), with ``uriBaseId`` ``%SRCROOT%`` and the root in ``originalUriBaseIds``; a path
  outside the root is an absolute ``file:`` URI.
- Full regions: the finding's line, from its first to its last non-blank character.
- ``partialFingerprints.primaryLocationLineHash``, the only fingerprint GitHub uses: a hash of
  what the finding is about (rule, dataset, lineage, manifest, trigger) and not of its line, so a
  finding keeps its alert when lines move.
- The same rule metadata in every run: all rules in the rulebook's order, each with its
  descriptions, help, ``helpUri`` (when a documentation base is given), tags, ``precision`` and
  ``problem.severity``, and ``defaultConfiguration`` set to its level under the built-in
  commercial policy. Each result carries its level under the policy the run used. No
  ``security-severity``: these are compliance findings, not vulnerabilities.

Every result GitHub receives becomes an alert, whatever its level. So by default only findings
that fail the gate (at or above ``fail_on``, not waived) are results, and a passing mix uploads
none (GitHub then closes the earlier alerts as fixed). ``include`` adds the findings below the
threshold (``passing``: warning and note) and the waived ones (``waived``: suppressed results with
the waiver's reason, which GitHub may still show as alerts).

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

import hashlib
import os
import re
from collections.abc import Collection, Iterator, Mapping
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from auditor.model import Location
from auditor.policy import Level, Severity, load_policy
from auditor.render import STREAMED, json_chunks, relaxation_note, safe_text
from auditor.report import Finding, Report
from auditor.rulebook import Rule, Rulebook, RuleDoc, load_rulebook

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# The one fingerprint GitHub code scanning reads.
FINGERPRINT_KEY = "primaryLocationLineHash"
SRCROOT = "%SRCROOT%"
FULL_DESCRIPTION_MAX = 1000  # characters GitHub shows of a rule's fullDescription

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_DEFAULT_LEVEL = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "note"}
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}
# Tags to filter alerts by: every rule is about training data and compliance; the rule family
# is the first word of its id (license, lineage, model, platform, ...).
_TAGS = ("training-data", "compliance")


class Include(StrEnum):
    """Findings SARIF leaves out by default, since every result becomes a GitHub alert."""

    PASSING = "passing"  # below the fail threshold: warnings and notes of a passing gate
    WAIVED = "waived"  # waived: suppressed results with the waiver's reason


Json = dict[str, Any]


def render_sarif(
    report: Report,
    *,
    root: Path | None = None,
    rulebook: Rulebook | None = None,
    include: Collection[Include] = (),
    help_base: str | None = None,
) -> str:
    """The report as a SARIF log for code scanning (see the module's docstring).

    Paths inside ``root`` (default: the git top level above the working folder) are relative.
    ``help_base`` is the URL of the rules' documentation (docs/rules.md where the package is
    published); each rule's ``helpUri`` is its anchor there.
    """
    return "".join(
        sarif_chunks(report, root=root, rulebook=rulebook, include=include, help_base=help_base)
    )


def sarif_chunks(
    report: Report,
    *,
    root: Path | None = None,
    rulebook: Rulebook | None = None,
    include: Collection[Include] = (),
    help_base: str | None = None,
) -> Iterator[str]:
    """:func:`render_sarif`'s text in pieces, its results made a batch at a time."""
    book = rulebook or load_rulebook()
    base = root or repository_root(Path.cwd())
    index = {doc.id: i for i, doc in enumerate(book.rules)}
    defaults = _default_levels()
    shown = [f for f in report.findings if _included(report, f, include)]
    run: Json = {
        "tool": {
            "driver": {
                "name": "auditor",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "rules": [
                    _rule(doc, defaults.get(doc.id, "warning"), help_base) for doc in book.rules
                ],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": base.resolve().as_uri().rstrip("/") + "/"}},
        "results": STREAMED,
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
                "location": _artifact_location(m.path, base),
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
    entries = dataset_entries(report)
    return json_chunks(log, (_result(report, f, index[f.rule], base, entries) for f in shown))


def repository_root(start: Path) -> Path:
    """The top level of the git work tree holding ``start`` (a ``.git`` folder, or the ``.git``
    file of a worktree or submodule), else ``start`` itself."""
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _included(report: Report, finding: Finding, include: Collection[Include]) -> bool:
    if finding.waived:
        return Include.WAIVED in include
    return Include.PASSING in include or finding.severity.rank >= report.fail_on.rank


@cache
def _default_levels() -> dict[Rule, str]:
    """Each rule's level under the built-in commercial policy: rule metadata that is the same in
    every run, whichever policy the run used."""
    severities = load_policy("commercial").severities
    return {
        rule: _DEFAULT_LEVEL[level] for rule, level in severities.items() if level in _DEFAULT_LEVEL
    }


def repository_path(path: str, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form; a path outside ``root`` stays as given."""
    given = Path(path)
    absolute, base = given.resolve(), root.resolve()
    if absolute.is_relative_to(base):
        return absolute.relative_to(base).as_posix()
    return given.as_posix()


def locate(
    report: Report, finding: Finding, entries: Mapping[str, Location] | None = None
) -> Location | None:
    """Where a finding points: its own location, else its dataset's entry in the manifest
    (looked up in ``entries``, from :func:`dataset_entries`, when a caller locates many)."""
    if finding.location is not None:
        return finding.location
    if entries is not None:
        return entries.get(finding.dataset)
    return next((d.location for d in report.datasets if d.id == finding.dataset), None)


def dataset_entries(report: Report) -> dict[str, Location]:
    """Each dataset id's entry in the manifests (the first dataset with that id), for
    :func:`locate`: one pass, so locating every finding stays linear."""
    entries: dict[str, Location] = {}
    for d in report.datasets:
        entries.setdefault(d.id, d.location)
    return entries


def _rule(doc: RuleDoc, level: str, help_base: str | None) -> Json:
    refs = "".join(f"\n- {url}" for url in doc.references)
    full = doc.rationale
    if len(full) > FULL_DESCRIPTION_MAX:
        full = full[: FULL_DESCRIPTION_MAX - 1].rstrip() + "…"
    rule: Json = {
        "id": doc.id.value,
        "name": _identifier(doc.name),
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": level},
        "help": {
            "text": f"How to fix: {doc.how_to_fix}" + (f"\n\nReferences:{refs}" if refs else ""),
            "markdown": (
                f"**{doc.name}.** {doc.summary}\n\n**Why it matters.** {doc.rationale}\n\n"
                f"**How to fix.** {doc.how_to_fix}"
                + (f"\n\n**References**\n{refs}" if refs else "")
            ),
        },
        "properties": {
            "tags": [*_TAGS, doc.id.value.split("-", 1)[0]],
            # Each rule applies its knowledge deterministically; what it cannot establish is its
            # own finding (unknown, unresolved), not a guess.
            "precision": "high",
            "problem.severity": _PROBLEM_SEVERITY[level],
        },
    }
    if help_base:
        rule["helpUri"] = f"{help_base}#{doc.id.value}"
    return rule


def _identifier(name: str) -> str:
    """A rule's name as the identifier SARIF asks for: "Generator's output" -> GeneratorsOutput."""
    words = re.split(r"[^0-9A-Za-z]+", name.replace("'", ""))
    return "".join(w[:1].upper() + w[1:] for w in words)


def _result(
    report: Report,
    finding: Finding,
    rule_index: int,
    root: Path,
    entries: Mapping[str, Location],
) -> Json:
    where = locate(report, finding, entries)
    result: Json = {
        "ruleId": finding.rule.value,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [_location(finding.dataset, where, root)],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(finding, where, root)},
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


def _location(dataset: str, where: Location | None, root: Path) -> Json:
    location: Json = {"logicalLocations": [{"name": dataset, "kind": "object"}]}
    if where is not None:
        location["physicalLocation"] = _physical(where, root)
    return location


def _physical(where: Location, root: Path) -> Json:
    physical: Json = {"artifactLocation": _artifact_location(where.path, root)}
    if where.line is not None and where.line >= 1:
        physical["region"] = _region(where.path, where.line)
    return physical


def _artifact_location(path: str, root: Path) -> Json:
    return dict(_artifact_fields(path, root, os.getcwd()))  # noqa: PTH109 (a str costs less)


@lru_cache(maxsize=1024)
def _artifact_fields(path: str, root: Path, cwd: str) -> tuple[tuple[str, str], ...]:
    """Cached: a report has many findings on few files, and resolving a path asks the file
    system; the working folder is in the key, since a relative path resolves against it."""
    relative = repository_path(path, root)
    if Path(relative).is_absolute():
        return (("uri", Path(relative).as_uri()),)
    return (("uri", quote(relative, safe="/")), ("uriBaseId", SRCROOT))


def _region(path: str, line: int) -> Json:
    """The line from its first to its last non-blank character (columns 1-based, the end column
    after the last); the whole line when the file cannot be read again."""
    text = _lines(path, *_stamp(path))
    content = text[line - 1] if line <= len(text) else ""
    stripped = content.strip()
    start = len(content) - len(content.lstrip()) + 1 if stripped else 1
    end = start + len(stripped) if stripped else 2
    return {"startLine": line, "startColumn": start, "endLine": line, "endColumn": end}


def _stamp(path: str) -> tuple[int, int]:
    """What tells one version of a file from the next, so an edited file is read again."""
    try:
        stat = Path(path).stat()
    except OSError:
        return (0, 0)
    return (stat.st_mtime_ns, stat.st_size)


@cache
def _lines(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def _fingerprint(finding: Finding, where: Location | None, root: Path) -> str:
    """What the finding is about, not where its line is, in the ``hash:occurrence`` form GitHub
    computes for ``primaryLocationLineHash``."""
    uri = _artifact_location(where.path, root)["uri"] if where is not None else ""
    trigger = finding.evidence.trigger if finding.evidence is not None else None
    parts = (finding.rule.value, finding.dataset, "/".join(finding.via), uri, trigger or "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16] + ":1"
