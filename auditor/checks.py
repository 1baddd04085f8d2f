"""Evaluation: resolved datasets to findings, each with its rule, severity, evidence and place.

Four layers are checked, each on its own: the license (and what its expression allows), the terms
of the platforms the content was collected from, the output terms of the models that generated it,
and lineage (findings on an upstream dataset pass down to every descendant, with ``via``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from auditor.attribution import attribution_findings
from auditor.evidence import Claim, weigh
from auditor.findings import finding as _finding
from auditor.knowledge import (
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
from auditor.model import Dataset, Fact, Location
from auditor.outputs import generator_findings, model_findings
from auditor.platforms import platform_findings, pointer_findings
from auditor.policy import Policy, Severity
from auditor.registry import entry_for, withdrawn_findings
from auditor.report import Evidence, Finding
from auditor.resolver import Resolver
from auditor.rulebook import Rule, Rulebook


@dataclass(frozen=True)
class Judged:
    """A dataset with its license evidence weighed and every OR decided under the policy.

    ``resolution`` is the license that applies over every claim (see :mod:`auditor.evidence`);
    ``claims`` are the claims themselves and ``conflict`` the applied pair that disagrees most.
    ``terms`` are the dataset's access or usage terms beyond the license (a gate's click-through
    text, Croissant ``usageInfo``), each with how it resolved.
    """

    dataset: Dataset
    resolution: Resolution
    choice: Choice | None
    terms: tuple[tuple[Fact, Resolution], ...] = ()
    claims: tuple[Claim, ...] = ()
    conflict: tuple[Claim, Claim] | None = None

    @property
    def term_leaves(self) -> tuple[Leaf, ...]:
        return tuple(
            leaf
            for _, resolved in self.terms
            if resolved.tree is not None
            for leaf in leaves(resolved.tree)
            if leaf.license is not None
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


def judge_dataset(dataset: Dataset, resolver: Resolver, policy: Policy) -> Judged:
    """Weigh every license claim of ``dataset``, resolve its terms, decide its ORs."""
    entry = entry_for(dataset, resolver.kb)
    weighed = weigh(dataset, resolver, entry.readings if entry is not None else ())
    terms = tuple((fact, resolver.resolve(fact.value)) for fact in dataset.terms)
    choice = judge_resolution(weighed.resolution, policy)
    return Judged(dataset, weighed.resolution, choice, terms, weighed.claims, weighed.conflict)


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
    Rule.LICENSE_NONCOMMERCIAL: "forbid commercial use",
    Rule.LICENSE_RESEARCH_ONLY: "limit use to research",
    Rule.LICENSE_NO_DERIVATIVES: "forbid derivatives",
    Rule.LICENSE_USE_RESTRICTED: "impose use-based restrictions",
    Rule.LICENSE_SHARE_ALIKE: "require share-alike",
}


def _gated_findings(item: Judged, policy: Policy) -> list[Finding]:
    """Access terms (a gate prompt, usageInfo) that restrict use beyond the declared license."""
    if not item.terms:
        return []
    declared = set(_license_rules(item.choice.leaves)) if item.choice else {Rule.LICENSE_UNKNOWN}
    out: list[Finding] = []
    for fact, resolved in item.terms:
        tree = resolved.tree
        unread = tree is None or resolved.status is Status.UNKNOWN
        if unread or (tree is not None and any(leaf.license is None for leaf in leaves(tree))):
            # Terms nobody can read mechanically still bind: a person must read them (and what
            # restrictions could be read in them still apply, below).
            message = (
                f"the access terms ({fact.origin or 'terms'}) could not be read as known terms; "
                "a reviewer must read them, since they may restrict use beyond the license"
            )
            evidence = Evidence(quote=_excerpt(fact.value), trigger=f"{fact.origin or 'terms'}")
            out.extend(
                _finding(
                    policy, Rule.TERMS_UNRESOLVED, item.dataset.id, message, fact.location, evidence
                )
            )
        if resolved.tree is None:
            continue
        known = [leaf for leaf in leaves(resolved.tree) if leaf.license is not None]
        extra = [r for r in _TERMS_RULES if r in _license_rules(known)]
        extra = [r for r in extra if r not in declared]
        if not extra:
            continue
        license_text = item.resolution.expression or item.resolution.raw or "no license"
        restrictions = _and(_RESTRICTION_NAMES[r] for r in extra)
        evidence = Evidence(
            quote=_excerpt(fact.value), trigger=f"{fact.origin or 'terms'}: {resolved.evidence}"
        )
        message = (
            f"the access terms {restrictions}, beyond the declared license "
            f"({license_text}); the most restrictive terms apply"
        )
        out.extend(
            _finding(
                policy, Rule.GATED_TERMS_CONFLICT, item.dataset.id, message, fact.location, evidence
            )
        )
    return out


def _conflict_findings(item: Judged, policy: Policy) -> list[Finding]:
    """Two claims about the license that disagree: the most restrictive applies, and it is said."""
    if item.conflict is None:
        return []
    loose, strict = item.conflict

    def said(claim: Claim) -> str:
        where = claim.location.path + (f":{claim.location.line}" if claim.location.line else "")
        return f"{claim.origin} says {claim.expression or claim.value!r} ({where})"

    message = (
        f"the license claims disagree: {said(loose)}; {said(strict)}. The most restrictive "
        "reading applies; correct the claim that is wrong"
    )
    evidence = Evidence(trigger=f"{loose.origin}: {loose.value}; {strict.origin}: {strict.value}")
    return _finding(
        policy, Rule.LICENSE_CONFLICT, item.dataset.id, message, loose.location, evidence
    )


def _and(items: Iterable[str]) -> str:
    words = list(items)
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def _excerpt(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


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
            *_conflict_findings(item, policy),
            *_gated_findings(item, policy),
            *platform_findings(ds, kb, policy),
            *pointer_findings(ds, policy),
            *model_findings(ds, kb, policy),
            *generator_findings(ds, policy),
            *_lookup_findings(ds, policy),
            *withdrawn_findings(ds, kb, policy),
            *attribution_findings(ds, item.choice, policy),
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
    """Add to each dataset the findings of its ancestors, and report derivation problems.

    Lineage problems (an upstream that cannot be resolved, a cycle) are findings of the dataset
    where they arise. Then every dataset inherits, from each ancestor it reaches, that ancestor's
    own findings that pass down: those of inheritable rules and every blocking one, whatever its
    rule (a child of a dataset blocked for an unresolved reference is blocked too). Ancestors are
    found by a breadth-first walk from each dataset, so the chain named in ``via`` is a shortest
    one and nothing depends on the order of the manifest; a cycle only means an ancestor is
    reached again, and is reported, never cut.
    """
    own = {node: list(found) for node, found in own.items()}
    walks = {node: _Walk(node, parents, own) for node in own}
    for node, facts in parents.items():
        for fact in facts:
            if fact.value not in own:
                reason = failed_upstreams.get(fact.value)
                why = f" ({reason})" if reason else ""
                own[node].extend(
                    _finding(
                        policy,
                        Rule.LINEAGE_UNRESOLVED,
                        node,
                        f"derived from {fact.value}, whose metadata could not be "
                        f"resolved{why}: its restrictions cannot be checked",
                        fact.location,
                        Evidence(trigger=f"derived_from: {fact.value}"),
                    )
                )
    cut_findings: set[int] = set()  # a descendant of a cut walk is cut too: not passed down
    for node in sorted(own):
        cut = walks[node].cut_at
        if cut is not None:
            made = _finding(
                policy,
                Rule.LINEAGE_UNRESOLVED,
                node,
                f"the derived_from chain of {node} is deeper than {MAX_LINEAGE_DEPTH} "
                f"datasets; upstreams beyond {cut} were not followed, so their restrictions "
                "cannot be checked",
                parents[node][0].location if parents.get(node) else None,
                Evidence(trigger=f"derived_from, {MAX_LINEAGE_DEPTH} levels deep"),
            )
            cut_findings.update(id(f) for f in made)
            own[node].extend(made)
    for node in sorted(own):
        if node in walks[node]:
            location = parents[node][0].location if parents.get(node) else None
            own[node].extend(
                _finding(
                    policy,
                    Rule.LINEAGE_CYCLE,
                    node,
                    f"dataset {node} is part of a derived_from cycle "
                    f"({' -> '.join((node, *walks[node].via(node)))}); lineage cannot be traced",
                    location,
                )
            )
    locations = {
        node: {fact.value: fact.location for fact in facts} for node, facts in parents.items()
    }

    def passes_down(finding: Finding) -> bool:
        return finding.rule in inheritable or finding.severity is Severity.ERROR

    inherited: list[Finding] = []
    for node in sorted(own):
        # Nearest ancestors first (the walk is breadth-first): per rule, the nearest
        # MAX_INHERITED origins are listed and the rest counted, so a long chain of datasets
        # cannot make the report grow with the square of its length.
        listed: dict[Rule, list[Finding]] = {}
        more: dict[Rule, int] = {}
        walk = walks[node]
        for ancestor in walk.ancestors():
            if ancestor == node:
                continue
            for origin in own[ancestor]:
                if not passes_down(origin) or id(origin) in cut_findings:
                    continue
                kept = listed.setdefault(origin.rule, [])
                if len(kept) >= MAX_INHERITED:
                    more[origin.rule] = more.get(origin.rule, 0) + 1
                    continue
                via = walk.via(ancestor)
                kept.append(_inherited(origin, node, via, locations[node][via[0]]))
        for rule, kept in listed.items():
            if rule in more:
                last = kept[-1]
                kept[-1] = last.model_copy(
                    update={
                        "message": f"{last.message} (and {more[rule]} more upstream findings of "
                        f"this rule, further up the lineage)"
                    }
                )
            inherited.extend(kept)
    return [f for node in own for f in own[node]] + inherited


# How many derived_from levels are followed from one dataset: deeper lineage is a finding
# (lineage-unresolved, which blocks), not a walk whose cost grows with the square of the depth.
MAX_LINEAGE_DEPTH = 256
# Inherited findings listed per dataset and rule (the nearest upstreams); the rest are counted.
MAX_INHERITED = 20
# Hops of a ``via`` chain written out in a message (the chain itself is always whole in ``via``).
_VIA_SHOWN = 6


def _inherited(origin: Finding, node: str, via: tuple[str, ...], location: Location) -> Finding:
    if len(via) <= _VIA_SHOWN:
        chain = " -> ".join(via)
    else:
        hidden = len(via) - _VIA_SHOWN + 1
        chain = " -> ".join((*via[: _VIA_SHOWN - 2], f"... {hidden} more ...", via[-1]))
    return origin.model_copy(
        update={
            "dataset": node,
            "via": via,
            "location": location,
            "message": f"inherited from {origin.dataset}"
            + (f" (via {chain})" if len(via) > 1 else "")
            + f": {origin.message}",
        }
    )


class _Walk:
    """Every dataset of the manifest one dataset derives from, found breadth-first (nearest
    first), each with the dataset it was reached from; the dataset itself is among them when a
    cycle leads back to it. Chains are rebuilt on demand, so a long lineage costs memory linear
    in its length, not quadratic."""

    def __init__(
        self, node: str, parents: Mapping[str, tuple[Fact, ...]], known: Mapping[str, object]
    ) -> None:
        self.node = node
        self.reached_from: dict[str, str] = {}
        self.cut_at: str | None = None  # an ancestor whose own upstreams were not followed
        frontier = [node]
        depth = 0
        while frontier:
            if depth == MAX_LINEAGE_DEPTH:
                self.cut_at = frontier[0]
                break
            following: list[str] = []
            for current in frontier:
                for fact in parents.get(current, ()):
                    parent = fact.value
                    if parent in self.reached_from or parent not in known:
                        continue
                    self.reached_from[parent] = current
                    if parent != node:
                        following.append(parent)
            frontier = following
            depth += 1

    def __contains__(self, ancestor: str) -> bool:
        return ancestor in self.reached_from

    def ancestors(self) -> list[str]:
        return list(self.reached_from)

    def via(self, ancestor: str) -> tuple[str, ...]:
        """A shortest chain from the dataset to ``ancestor`` (its first hop a direct parent)."""
        chain = [ancestor]
        current = self.reached_from[ancestor]
        while current != self.node:
            chain.append(current)
            current = self.reached_from[current]
        return tuple(reversed(chain))
