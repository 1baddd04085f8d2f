"""Platform terms: findings on where a dataset's content was collected from.

Each ``collected_from`` value is read to a host (:mod:`auditor.hosts`) and looked up among the
platforms of the knowledge base; the platform's clauses and the collection method decide the
findings. Two more cases are findings rather than silence (``tos-review``): a ``collected_from``
value from which no host can be read, and a pointer dataset whose content is on a host with no
entry here.
"""

from __future__ import annotations

from auditor.findings import finding
from auditor.hosts import host_of
from auditor.knowledge import Clause, KnowledgeBase
from auditor.model import Collection, Dataset
from auditor.policy import Policy
from auditor.report import Evidence, Finding
from auditor.rulebook import Rule

# Acquisition methods that are a platform's own sanctioned channels. Anything else, including a
# method that is not stated, is treated as automated collection (fail closed).
SANCTIONED_METHODS = frozenset({"api", "licensed", "license", "partnership", "official-dump"})


def platform_findings(ds: Dataset, kb: KnowledgeBase, policy: Policy) -> list[Finding]:
    """The findings on each of a dataset's ``collected_from`` values."""
    out: list[Finding] = []
    for collection in ds.collected_from:
        how = f"method {collection.method}" if collection.method else "method not stated"
        if ds.pointer:
            how += "; pointer dataset: its license covers the references, not the content"
        trigger = f"collected_from: {collection.target} ({how})"
        host = host_of(collection)
        platform = kb.platform_for(host) if host is not None else None
        if host is None or platform is None:
            message = _unmatched(ds, collection, host)
            if message is not None:
                evidence = Evidence(trigger=trigger)
                out.extend(
                    finding(policy, Rule.TOS_REVIEW, ds.id, message, collection.location, evidence)
                )
            continue
        method = (collection.method or "").strip().lower()
        candidates: list[tuple[Rule, Clause | None, str]] = []
        automated = method not in SANCTIONED_METHODS
        scraping_clause = platform.clause(Clause.NO_AUTOMATED_ACCESS, Clause.NO_DOWNLOAD)
        if automated and scraping_clause is not None:
            assumed = "" if collection.method else " (no method stated: assumed automated)"
            if ds.pointer:
                assumed += (
                    "; this is a pointer dataset, so using it means fetching the content "
                    f"from {platform.name}, and its own license covers only the references"
                )
            candidates.append(
                (
                    Rule.TOS_SCRAPING_PROHIBITED,
                    scraping_clause.kind,
                    f"{platform.name}'s terms forbid automated access or downloading, and the "
                    f"content was collected from {collection.target} by "
                    f"{collection.method or 'an unstated method'}{assumed}",
                )
            )
        training_clause = platform.clause(Clause.NO_ML_TRAINING)
        if training_clause is not None:
            candidates.append(
                (
                    Rule.TOS_AI_TRAINING_PROHIBITED,
                    training_clause.kind,
                    f"{platform.name}'s terms forbid using its content to train "
                    "machine-learning models",
                )
            )
        if (
            not automated
            and training_clause is None
            and platform.clause(Clause.OPEN_LICENSE) is None
        ):
            candidates.append(
                (
                    Rule.TOS_REVIEW,
                    None,
                    f"content from {platform.name} obtained by {collection.method}: check that "
                    "the API or license agreement permits training",
                )
            )
        for rule, kind, message in candidates:
            clause = platform.clause(kind) if kind is not None else None
            evidence = Evidence(
                source_url=platform.source.url,
                version=platform.source.version,
                quote=clause.quote if clause else None,
                trigger=trigger,
            )
            out.extend(finding(policy, rule, ds.id, message, collection.location, evidence))
    return out


def _unmatched(ds: Dataset, collection: Collection, host: str | None) -> str | None:
    """What to say of a value with no host, or of a pointer dataset's host with no platform."""
    if host is None:
        return (
            f"could not read a host from collected_from value {collection.target!r}: its "
            "platform terms cannot be checked"
        )
    if ds.pointer:
        return (
            "pointer dataset: its license covers the references, not the content at "
            f"{host}; the rights to that content are unknown"
        )
    return None


def pointer_findings(ds: Dataset, policy: Policy) -> list[Finding]:
    """A pointer dataset that does not say which platforms its references point to."""
    if not ds.pointer or ds.collected_from:
        return []
    return finding(
        policy,
        Rule.TOS_REVIEW,
        ds.id,
        "pointer dataset: its license covers only the references; name the platforms the "
        "content is fetched from (collected_from) so their terms are checked",
        ds.location,
    )
