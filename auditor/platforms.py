"""Platform terms: findings on where a dataset's content was collected from.

Each ``collected_from`` value is read to a host (:mod:`auditor.hosts`) and looked up among the
platforms of the knowledge base. The platform's clauses and the collection method then decide
the findings, by this table (the rows add up):

- ``no-ml-training``: ``tos-ai-training-prohibited``, any method;
- no ``no-ml-training`` and no ``open-license`` clause over the content: ``tos-review``, any method;
- ``no-automated-access``, ``no-download`` or ``api-only``: ``tos-scraping-prohibited`` for a
  method that is not one of the platform's sanctioned channels (an API, a license), or not stated.

Content a dataset's publisher collected and redistributes under its own license (method
``redistributed``: People's Speech, from Archive.org and Vimeo) was not fetched from the platform
by the user: the platform's access clauses bound the publisher's collection, not the user's
download, so they raise no ``tos-scraping-prohibited``; a training ban still binds the content,
and ``tos-review`` asks a person to confirm that the publisher's license covers each item.

So automated collection gets every finding the platform's sanctioned channels get, and more:
access through an API or a license is never judged harsher than scraping, whatever severities a
policy gives the rules. A restriction binds whatever it covers (a training ban in developer terms
covers at least the API's output, and content collected another way is no freer). An
``open-license`` clause clears the content only when it covers the content itself, or the API's
output for content obtained through the API: one that opens the metadata alone (arXiv's) leaves
the content's rights to be checked.

What cannot be checked fails closed (``collection-unresolved``): a ``collected_from`` value from
which no host can be read, a host whose label mixes scripts (as look-alikes of other sites do), and
a pointer dataset whose content is on a host with no entry here or on platforms it does not name.
A value with no dot that names a platform (``YouTube``) is that platform; one that names none
(``movies``, ``Anime``: where DPI audits say media made by others came from) is unresolved too.
"""

from __future__ import annotations

from typing import assert_never

from auditor.findings import finding
from auditor.hosts import host_of, mixed_script
from auditor.knowledge import Clause, Covers, KnowledgeBase, Platform, PlatformClause
from auditor.model import Collection, Dataset
from auditor.policy import Policy
from auditor.report import Evidence, Finding
from auditor.rulebook import Rule

# Acquisition methods that are a platform's own sanctioned channels. Anything else, including a
# method that is not stated, is treated as automated collection (fail closed).
SANCTIONED_METHODS = frozenset({"api", "licensed", "license", "partnership", "official-dump"})

_SCRAPING = (Clause.NO_AUTOMATED_ACCESS, Clause.NO_DOWNLOAD)
# Methods that collect a site's content without its channels: on a site with no entry in the
# knowledge base, its terms are for a person to check (a plain download of a published file is
# not among them).
SCRAPING_METHODS = frozenset({"scrape", "scraping", "scraper", "crawl", "crawler", "yt-dlp"})
# The dataset's publisher collected the content and redistributes it under its own license.
REDISTRIBUTED = "redistributed"


def sanctioned(method: str | None) -> bool:
    """Whether ``method`` is one of a platform's sanctioned channels (an API, a license)."""
    return _method(method) in SANCTIONED_METHODS


def _method(method: str | None) -> str:
    return (method or "").strip().lower()


def opens_content(clause: PlatformClause, method: str | None) -> bool:
    """Whether an ``open-license`` clause licenses the content collected by ``method``."""
    match clause.covers:
        case Covers.CONTENT:
            return True
        case Covers.API_OUTPUT:
            return _method(method) == "api"
        case Covers.METADATA:
            return False
        case _:
            assert_never(clause.covers)


Decision = tuple[tuple[Rule, PlatformClause | None], ...]


def decide(platform: Platform, method: str | None) -> Decision:
    """The rules that content from ``platform`` collected by ``method`` triggers (the table in
    this module's docstring), each with the clause it rests on (the open license that does not
    cover the content, if any, for ``tos-review``)."""
    found: list[tuple[Rule, PlatformClause | None]] = []
    if not sanctioned(method) and _method(method) != REDISTRIBUTED:
        scraping = platform.clause(*_SCRAPING) or platform.clause(Clause.API_ONLY)
        if scraping is not None:
            found.append((Rule.TOS_SCRAPING_PROHIBITED, scraping))
    training = platform.clause(Clause.NO_ML_TRAINING)
    if training is not None:
        found.append((Rule.TOS_AI_TRAINING_PROHIBITED, training))
    else:
        licenses = [c for c in platform.clauses if c.kind is Clause.OPEN_LICENSE]
        if not any(opens_content(c, method) for c in licenses):
            found.append((Rule.TOS_REVIEW, licenses[0] if licenses else None))
    return tuple(found)


def platform_findings(ds: Dataset, kb: KnowledgeBase, policy: Policy) -> list[Finding]:
    """The findings on each of a dataset's ``collected_from`` values."""
    out: list[Finding] = []
    for collection in ds.collected_from:
        how = f"method {collection.method}" if collection.method else "method not stated"
        if ds.pointer:
            how += "; pointer dataset: its license covers the references, not the content"
        trigger = f"collected_from: {collection.target} ({how})"
        host = host_of(collection)
        platform = None
        if host is not None and not mixed_script(host):
            platform = kb.platform_for(host) or kb.platform_named(host)
        if host is None or platform is None:
            unmatched = _unmatched(ds, collection, host)
            if unmatched is not None:
                rule, message = unmatched
                evidence = Evidence(trigger=trigger)
                out.extend(finding(policy, rule, ds.id, message, collection.location, evidence))
            continue
        for rule, clause in decide(platform, collection.method):
            evidence = Evidence(
                source_url=platform.source.url,
                version=platform.source.version,
                quote=clause.quote if clause else None,
                trigger=trigger,
            )
            message = _message(rule, clause, platform, collection, host, pointer=ds.pointer)
            out.extend(finding(policy, rule, ds.id, message, collection.location, evidence))
    return out


def _unmatched(ds: Dataset, collection: Collection, host: str | None) -> tuple[Rule, str] | None:
    """What to say of a value with no host, or with a host that has no platform entry."""
    unresolved = Rule.COLLECTION_UNRESOLVED
    if host is None:
        return unresolved, (
            f"could not read a host from collected_from value {collection.target!r}: its "
            "platform terms cannot be checked"
        )
    if mixed_script(host):
        return unresolved, (
            f"the host of collected_from value {collection.target!r} mixes scripts in one label "
            f"({host}), as look-alikes of other sites do: its platform terms cannot be checked"
        )
    if "." not in host and ":" not in host:
        # A word, not a site ("movies", "undisclosed web", "Anime"): the content was made by
        # others somewhere the gate cannot look up, so its rights are unknown.
        return unresolved, (
            f"collected_from value {collection.target!r} names no site (neither a domain nor a "
            "platform the knowledge base knows): the terms the content is under cannot be "
            "checked, and the dataset's license need not cover it"
        )
    if ds.pointer:
        return unresolved, (
            "pointer dataset: its license covers the references, not the content at "
            f"{host}; the rights to that content are unknown"
        )
    if _method(collection.method) in SCRAPING_METHODS:
        # A stated scraper on a site whose terms the gate does not know.
        return Rule.TOS_REVIEW, (
            f"content collected from {host} by {collection.method}, and that site's terms are "
            "not in the knowledge base: confirm they permit collecting it and training on it"
        )
    return None


def _message(
    rule: Rule,
    clause: PlatformClause | None,
    platform: Platform,
    collection: Collection,
    host: str,
    *,
    pointer: bool,
) -> str:
    name, method = platform.name, collection.method
    # Say how the value was read when that is not plain to see (full-width or hidden characters).
    target = collection.target
    if host not in target.lower():
        target = f"{target!r} (read as {host})"
    match rule:
        case Rule.TOS_SCRAPING_PROHIBITED:
            assumed = "" if method else " (no method stated: assumed automated)"
            if pointer:
                assumed += (
                    "; this is a pointer dataset, so using it means fetching the content "
                    f"from {name}, and its own license covers only the references"
                )
            forbids = (
                "allow access only through its published interfaces"
                if clause is not None and clause.kind is Clause.API_ONLY
                else "forbid automated access or downloading"
            )
            return (
                f"{name}'s terms {forbids}, and the content was collected from {target} by "
                f"{method or 'an unstated method'}{assumed}"
            )
        case Rule.TOS_AI_TRAINING_PROHIBITED:
            if clause is not None and clause.covers is Covers.API_OUTPUT:
                return (
                    f"{name}'s developer terms forbid training machine-learning models on what "
                    "its API returns; content collected another way is no less restricted"
                )
            return f"{name}'s terms forbid using its content to train machine-learning models"
        case _:  # Rule.TOS_REVIEW
            why = (
                f"its open license covers only the {clause.covers.value.replace('-', ' ')}"
                if clause is not None
                else "its terms grant no license to the content"
            )
            if _method(method) == REDISTRIBUTED:
                return (
                    f"content from {name}, collected by the dataset's publisher and redistributed "
                    f"under its own license ({why}): {name}'s access terms bound that collection, "
                    "not your download; check that the publisher's license covers each item"
                )
            if sanctioned(method):
                return (
                    f"content from {name} obtained by {method} ({why}): check that the API or "
                    "license agreement permits training"
                )
            return (
                f"content from {name} collected by {method or 'an unstated method'} ({why}): "
                f"check that the content's own licenses, or an agreement with {name}, permit "
                "training"
            )


def pointer_findings(ds: Dataset, policy: Policy) -> list[Finding]:
    """A pointer dataset that does not say which platforms its references point to."""
    if not ds.pointer or ds.collected_from:
        return []
    return finding(
        policy,
        Rule.COLLECTION_UNRESOLVED,
        ds.id,
        "pointer dataset: its license covers only the references, and the rights to the content "
        "are unknown; name the platforms the content is fetched from (collected_from) so their "
        "terms are checked",
        ds.location,
    )
