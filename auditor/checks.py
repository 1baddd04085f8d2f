"""Evaluation: resolved datasets to findings, each with its rule, severity, evidence and place.

Four layers are checked, each on its own: the license (and what its expression allows), the terms
of the platforms the content was collected from, the output terms of the models that generated it,
and lineage (findings on an upstream dataset pass down to every descendant, with ``via``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from auditor.knowledge import (
    Clause,
    CommercialUse,
    KnowledgeBase,
    License,
    LicenseTerms,
)
from auditor.licensing import (
    Choice,
    Leaf,
    Resolution,
    Status,
    choose,
    commercial_use,
    family_labels,
    leaves,
)
from auditor.model import Collection, Dataset, Fact, Location
from auditor.outputs import generator_findings, model_findings
from auditor.policy import Policy, Severity
from auditor.report import Evidence, Finding
from auditor.rulebook import Rule, Rulebook

# Acquisition methods that are a platform's own sanctioned channels. Anything else, including a
# method that is not stated, is treated as automated collection (fail closed).
SANCTIONED_METHODS = frozenset({"api", "licensed", "license", "partnership", "official-dump"})


@dataclass(frozen=True)
class Judged:
    """A dataset with its license resolved and every OR decided under the policy.

    ``terms`` are the dataset's access or usage terms beyond the license (a gate's click-through
    text, Croissant ``usageInfo``), each with how it resolved.
    """

    dataset: Dataset
    resolution: Resolution
    choice: Choice | None
    terms: tuple[tuple[Fact, Resolution], ...] = ()

    @property
    def term_leaves(self) -> tuple[Leaf, ...]:
        return tuple(
            leaf
            for _, resolved in self.terms
            if resolved.tree is not None and resolved.status is not Status.UNKNOWN
            for leaf in leaves(resolved.tree)
        )

    @property
    def commercial_use(self) -> CommercialUse:
        """The worst answer of the license and the access terms: the most restrictive applies."""
        if self.choice is None:
            return CommercialUse.UNKNOWN
        return commercial_use((*self.choice.leaves, *self.term_leaves))


def _license_rules(chosen: Iterable[Leaf]) -> dict[Rule, list[Leaf]]:
    """Which license rules the given licenses trigger, and which licenses trigger each."""
    rules: dict[Rule, list[Leaf]] = {}
    for leaf in chosen:
        for rule in _leaf_rules(leaf.license):
            rules.setdefault(rule, []).append(leaf)
    return rules


_LEAF_RULES: dict[LicenseTerms, tuple[Rule, ...]] = {}


def _leaf_rules(lic: License | None) -> tuple[Rule, ...]:
    if lic is None:
        return (Rule.LICENSE_UNKNOWN,)
    found = _LEAF_RULES.get(lic.terms)
    if found is None:
        found = _LEAF_RULES[lic.terms] = _terms_rules(lic.terms)
    return found


def _terms_rules(terms: LicenseTerms) -> tuple[Rule, ...]:
    found: list[Rule] = []
    match terms.commercial_use:
        case CommercialUse.PROHIBITED if not terms.research_only:
            # Research-only terms forbid commercial use too; license-research-only says both.
            found.append(Rule.LICENSE_NONCOMMERCIAL)
        case CommercialUse.PROHIBITED:
            pass
        case CommercialUse.UNKNOWN:
            found.append(Rule.LICENSE_UNKNOWN)
        case CommercialUse.RESTRICTED:
            found.append(Rule.LICENSE_USE_RESTRICTED)
        case CommercialUse.ALLOWED:
            pass
    flags = (
        (terms.research_only, Rule.LICENSE_RESEARCH_ONLY),
        (terms.no_derivatives, Rule.LICENSE_NO_DERIVATIVES),
        (terms.share_alike, Rule.LICENSE_SHARE_ALIKE),
        (terms.attribution, Rule.LICENSE_ATTRIBUTION),
        (
            terms.use_restricted and terms.commercial_use is not CommercialUse.RESTRICTED,
            Rule.LICENSE_USE_RESTRICTED,
        ),
    )
    found.extend(rule for flag, rule in flags if flag)
    return tuple(found)


def license_cost(policy: Policy) -> Callable[[Sequence[Leaf]], tuple[int, int, int]]:
    """The cost of a set of licenses under ``policy``: how many findings at each severity."""

    def cost(chosen: Sequence[Leaf]) -> tuple[int, int, int]:
        counts = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
        for rule in _license_rules(chosen):
            severity = policy.severity(rule)
            if severity is not None:
                counts[severity] += 1
        return counts[Severity.ERROR], counts[Severity.WARNING], counts[Severity.INFO]

    return cost


def judge_resolution(resolution: Resolution, policy: Policy) -> Choice | None:
    """Decide every OR in a resolved license the way that costs least under ``policy``."""
    if resolution.tree is None:
        return None
    return choose(resolution.tree, license_cost(policy))


def judge(
    dataset: Dataset,
    resolution: Resolution,
    policy: Policy,
    terms: tuple[tuple[Fact, Resolution], ...] = (),
) -> Judged:
    return Judged(dataset, resolution, judge_resolution(resolution, policy), terms)


_MESSAGES = {
    Rule.LICENSE_NONCOMMERCIAL: "{ids} prohibit{s} commercial use",
    Rule.LICENSE_RESEARCH_ONLY: "{ids} limit{s} use to research or academic purposes",
    Rule.LICENSE_NO_DERIVATIVES: (
        "{ids} forbid{s} sharing adaptations; a model trained on the data may count as one"
    ),
    Rule.LICENSE_SHARE_ALIKE: "{ids} require{s} adaptations to be shared under the same license",
    Rule.LICENSE_ATTRIBUTION: "{ids} require{s} attribution of the source",
    Rule.LICENSE_USE_RESTRICTED: "{ids} carr{ies} use-based restrictions that must be passed on",
    Rule.LICENSE_UNKNOWN: "the terms of {ids} are not known: treated as all rights reserved",
}


def _license_findings(item: Judged, policy: Policy) -> list[Finding]:
    ds, resolution = item.dataset, item.resolution
    location = ds.license_location
    trigger = f"license: {resolution.raw}" if resolution.raw is not None else "no license field"
    out: list[Finding] = []

    def add(rule: Rule, message: str, lic: License | None = None) -> None:
        evidence = Evidence(trigger=trigger)
        if lic is not None:
            evidence = Evidence(
                source_url=lic.source.url, version=lic.source.version, trigger=trigger
            )
        out.extend(_finding(policy, rule, ds.id, message, location, evidence))

    unresolved = ds.lookup is not None and ds.lookup.outcome == "unresolved"
    if item.choice is None and unresolved and not ds.licenses:
        return out  # reference-unresolved says it: the metadata, license included, is missing
    if item.choice is None:
        if resolution.raw is None and not ds.licenses:
            message = (
                "no license is given: nobody has granted the right to use the data, so it is "
                "treated as all rights reserved"
            )
        else:
            message = (
                f"license {resolution.raw!r} could not be resolved ({resolution.evidence}); "
                "treated as all rights reserved"
            )
        add(Rule.LICENSE_UNKNOWN, message)
        return out
    if resolution.ambiguous:
        names = ", ".join(resolution.candidates[:6])
        more = len(resolution.candidates) - 6
        add(
            Rule.LICENSE_AMBIGUOUS,
            f"{resolution.raw!r} could be any of {len(resolution.candidates)} licenses "
            f"({names}{f', and {more} more' if more > 0 else ''}); judged by the worst case",
        )
    labels = family_labels(resolution.tree)
    for rule, chosen in _license_rules(item.choice.leaves).items():
        ids = sorted({labels.get(leaf.key, leaf.key) for leaf in chosen})
        plural = len(ids) > 1
        template = _MESSAGES[rule]
        message = template.format(
            ids=", ".join(ids),
            s="" if plural else "s",
            ies="y" if plural else "ies",
        )
        if rule is Rule.LICENSE_UNKNOWN and resolution.status is Status.UNKNOWN:
            message += f" ({resolution.evidence})"
        add(rule, message, chosen[0].license)
    return out


_TERMS_RULES = (
    Rule.LICENSE_NONCOMMERCIAL,
    Rule.LICENSE_RESEARCH_ONLY,
    Rule.LICENSE_NO_DERIVATIVES,
    Rule.LICENSE_USE_RESTRICTED,
    Rule.LICENSE_SHARE_ALIKE,
)
_RESTRICTION_NAMES = {
    Rule.LICENSE_NONCOMMERCIAL: "no commercial use",
    Rule.LICENSE_RESEARCH_ONLY: "research use only",
    Rule.LICENSE_NO_DERIVATIVES: "no derivatives",
    Rule.LICENSE_USE_RESTRICTED: "use-based restrictions",
    Rule.LICENSE_SHARE_ALIKE: "share-alike",
}


def _gated_findings(item: Judged, policy: Policy) -> list[Finding]:
    """Access terms (a gate prompt, usageInfo) that restrict use beyond the declared license."""
    if not item.terms:
        return []
    declared = set(_license_rules(item.choice.leaves)) if item.choice else {Rule.LICENSE_UNKNOWN}
    out: list[Finding] = []
    for fact, resolved in item.terms:
        if resolved.tree is None or resolved.status is Status.UNKNOWN:
            continue
        extra = [r for r in _TERMS_RULES if r in _license_rules(leaves(resolved.tree))]
        extra = [r for r in extra if r not in declared]
        if not extra:
            continue
        license_text = item.resolution.expression or item.resolution.raw or "no license"
        restrictions = ", ".join(_RESTRICTION_NAMES[r] for r in extra)
        evidence = Evidence(
            quote=_excerpt(fact.value), trigger=f"{fact.origin or 'terms'}: {resolved.evidence}"
        )
        message = (
            f"the access terms impose {restrictions}, beyond the declared license "
            f"({license_text}); the most restrictive terms apply"
        )
        out.extend(
            _finding(
                policy, Rule.GATED_TERMS_CONFLICT, item.dataset.id, message, fact.location, evidence
            )
        )
    return out


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _finding(
    policy: Policy,
    rule: Rule,
    dataset: str,
    message: str,
    location: Location | None,
    evidence: Evidence | None = None,
) -> list[Finding]:
    """One finding at the severity the policy gives ``rule``; none when the policy turns it off."""
    severity = policy.severity(rule)
    if severity is None:
        return []
    return [
        Finding(
            rule=rule,
            severity=severity,
            dataset=dataset,
            message=message,
            location=location,
            evidence=evidence,
        )
    ]


def host_of(collection: Collection) -> str:
    if collection.url is not None:
        text = collection.url if "//" in collection.url else f"//{collection.url}"
        try:
            return (urlsplit(text).hostname or "").lower()
        except ValueError:
            return ""
    return (collection.domain or "").strip().lower().split("/", 1)[0]


def _platform_findings(ds: Dataset, kb: KnowledgeBase, policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    for collection in ds.collected_from:
        platform = kb.platform_for(host_of(collection))
        if platform is None:
            continue
        method = (collection.method or "").strip().lower()
        how = f"method {collection.method}" if collection.method else "method not stated"
        if ds.pointer:
            how += "; pointer dataset: its license covers the references, not the content"
        trigger = f"collected_from: {collection.target} ({how})"
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
            out.extend(_finding(policy, rule, ds.id, message, collection.location, evidence))
    return out


def _pointer_findings(ds: Dataset, policy: Policy) -> list[Finding]:
    """A pointer dataset that does not say which platforms its references point to."""
    if not ds.pointer or ds.collected_from:
        return []
    return _finding(
        policy,
        Rule.TOS_REVIEW,
        ds.id,
        "pointer dataset: its license covers only the references; name the platforms the "
        "content is fetched from (collected_from) so their terms are checked",
        ds.location,
    )


def _lookup_findings(ds: Dataset, policy: Policy) -> list[Finding]:
    """A referenced dataset whose metadata could not be found, or came from the registry."""
    lookup = ds.lookup
    if lookup is None or lookup.outcome not in ("unresolved", "registry"):
        return []
    if lookup.outcome == "unresolved":
        rule = Rule.REFERENCE_UNRESOLVED
        message = f"could not look up {lookup.reference}: {lookup.detail}"
    else:
        rule = Rule.REFERENCE_FROM_REGISTRY
        message = f"{lookup.reference}: {lookup.detail}"
    evidence = Evidence(trigger=f"source: {lookup.reference}")
    return _finding(policy, rule, ds.id, message, lookup.location, evidence)


def evaluate(
    judged: Sequence[Judged],
    kb: KnowledgeBase,
    policy: Policy,
    book: Rulebook,
    failed_upstreams: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every finding on every dataset of one manifest, inherited ones included."""
    own: dict[str, list[Finding]] = {}
    for item in judged:
        ds = item.dataset
        own[ds.id] = [
            *_license_findings(item, policy),
            *_gated_findings(item, policy),
            *_platform_findings(ds, kb, policy),
            *_pointer_findings(ds, policy),
            *model_findings(ds, kb, policy),
            *generator_findings(ds, policy),
            *_lookup_findings(ds, policy),
        ]
    parents = {item.dataset.id: item.dataset.derived_from for item in judged}
    inheritable = {doc.id for doc in book.rules if doc.inherited}
    return _with_lineage(own, parents, inheritable, policy, failed_upstreams or {})


def _with_lineage(
    own: Mapping[str, list[Finding]],
    parents: Mapping[str, tuple[Fact, ...]],
    inheritable: set[Rule],
    policy: Policy,
    failed_upstreams: Mapping[str, str],
) -> list[Finding]:
    """Add to each dataset the findings of its ancestors, and report derivation cycles."""
    # For each dataset: (via chain, the origin's own finding), shortest chain per origin finding.
    total: dict[str, dict[tuple[Rule, str, str], tuple[tuple[str, ...], Finding]]] = {}
    in_cycle: set[str] = set()

    def visit(
        node: str, stack: tuple[str, ...]
    ) -> dict[tuple[Rule, str, str], tuple[tuple[str, ...], Finding]]:
        if node in total:
            return total[node]
        if node in stack:
            in_cycle.update(stack[stack.index(node) :])
            return {}
        found: dict[tuple[Rule, str, str], tuple[tuple[str, ...], Finding]] = {}
        for fact in parents.get(node, ()):
            parent = fact.value
            chains: list[tuple[tuple[str, ...], Finding]] = [
                ((parent,), f) for f in own.get(parent, []) if f.rule in inheritable
            ]
            chains += [((parent, *via), f) for via, f in visit(parent, (*stack, node)).values()]
            for via, origin in chains:
                key = (origin.rule, origin.dataset, origin.message)
                current = found.get(key)
                if current is None or len(via) < len(current[0]):
                    found[key] = (via, origin)
        total[node] = found
        return found

    for node in own:
        visit(node, ())
    locations = {
        node: {fact.value: fact.location for fact in facts} for node, facts in parents.items()
    }
    inherited = [
        origin.model_copy(
            update={
                "dataset": node,
                "via": via,
                "location": locations[node][via[0]],
                "message": f"inherited from {origin.dataset}"
                + (f" (via {' -> '.join(via)})" if len(via) > 1 else "")
                + f": {origin.message}",
            }
        )
        for node, chains in total.items()
        for via, origin in chains.values()
    ]
    findings = [f for node in own for f in own[node]] + inherited
    unresolved = policy.severity(Rule.LINEAGE_UNRESOLVED)
    if unresolved is not None:
        for node, facts in parents.items():
            for fact in facts:
                if fact.value not in own:
                    reason = failed_upstreams.get(fact.value)
                    why = f" ({reason})" if reason else ""
                    findings.append(
                        Finding(
                            rule=Rule.LINEAGE_UNRESOLVED,
                            severity=unresolved,
                            dataset=node,
                            message=f"derived from {fact.value}, whose metadata could not be "
                            f"resolved{why}: its restrictions cannot be checked",
                            location=fact.location,
                            evidence=Evidence(trigger=f"derived_from: {fact.value}"),
                        )
                    )
    severity = policy.severity(Rule.LINEAGE_CYCLE)
    if severity is not None:
        for node in sorted(in_cycle):
            location = parents[node][0].location if parents.get(node) else None
            findings.append(
                Finding(
                    rule=Rule.LINEAGE_CYCLE,
                    severity=severity,
                    dataset=node,
                    message=f"dataset {node} is part of a derived_from cycle; "
                    "lineage cannot be traced",
                    location=location,
                )
            )
    return findings
