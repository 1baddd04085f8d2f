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
from auditor.model import Dataset, Fact, Location, replaced
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


_LEAF_RULES: dict[tuple[object, ...], tuple[Rule, ...]] = {}


def _leaf_rules(lic: License | None) -> tuple[Rule, ...]:
    if lic is None:
        return (Rule.LICENSE_UNKNOWN,)
    key = lic.terms.key  # a tuple compares in a fraction of a model's time
    found = _LEAF_RULES.get(key)
    if found is None:
        found = _LEAF_RULES[key] = _terms_rules(lic.terms)
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
        evidence = (
            Evidence(trigger=trigger)
            if lic is None
            else Evidence(source_url=lic.source.url, version=lic.source.version, trigger=trigger)
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

    Lineage problems (an upstream that cannot be resolved, a cycle, a chain deeper than
    :data:`MAX_LINEAGE_DEPTH`) are findings of the dataset where they arise. Then every dataset
    inherits, from each ancestor it reaches, that ancestor's own findings that pass down: those of
    inheritable rules and every blocking one, whatever its rule (a child of a dataset blocked for
    an unresolved reference is blocked too). Per dataset and rule the nearest
    :data:`MAX_INHERITED` are listed, nearest first as a breadth-first walk would meet them (so
    ``via`` is a shortest chain and nothing depends on the order of the manifest), and the rest
    are counted. A cycle only means an ancestor is reached again, and is reported, never cut.

    The work is linear in the size of the graph: each dataset's list is made once, from its
    parents' lists, in an order where parents come first (the strongly connected components of
    the graph, so a cycle is one step); see :class:`_Inheritance`.
    """
    own = {node: list(found) for node, found in own.items()}
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
    inherited = _Inheritance(own, parents, inheritable, policy).run()
    return [f for node in own for f in own[node]] + inherited


# How many derived_from levels are followed from one dataset: deeper lineage is a finding
# (lineage-unresolved, which blocks), so no ``via`` chain is longer than this.
MAX_LINEAGE_DEPTH = 256
# Inherited findings listed per dataset and rule (the nearest upstreams); the rest are counted,
# and each is listed on the upstream dataset it belongs to. Five keeps a 10,000-deep lineage's
# report under 500 MB (twenty took 1.4 GB), and a reviewer reads five names where twenty were
# a wall.
MAX_INHERITED = 5
# Hops of a ``via`` chain written out in a message (the chain itself is always whole in ``via``).
_VIA_SHOWN = 6

# A ``via`` chain, shared between datasets: its first hop and the rest of it (None: no more).
_Link = tuple[str, "_Link | None"]


@dataclass(frozen=True, slots=True)
class _Listed:
    """An upstream finding one dataset lists: how far up, and the chain it comes down."""

    distance: int
    origin: Finding
    link: _Link


@dataclass(frozen=True, slots=True)
class _Reach:
    """A breadth-first walk from one dataset through its own component of the graph: every
    dataset reached (those of the component, and the parents outside it, which are not walked
    further), in the order reached, with the dataset it was reached from, how far it is, and the
    way there as positions in each ``derived_from`` (which orders chains of one length as the
    walk meets them)."""

    order: tuple[str, ...]
    came_from: Mapping[str, tuple[str, int, tuple[int, ...]]]
    cut: bool  # the walk stopped at MAX_LINEAGE_DEPTH with datasets still to follow

    def hops(self, node: str, ancestor: str) -> list[str]:
        """The chain from ``node`` to ``ancestor`` (its first hop a direct parent)."""
        chain = [ancestor]
        current = self.came_from[ancestor][0]
        while current != node:
            chain.append(current)
            current = self.came_from[current][0]
        chain.reverse()
        return chain


class _Inheritance:
    """Inherited findings, made in linear time.

    Components of the graph are taken parents first. Each dataset walks only its own component
    (one dataset, unless it is in a cycle) and reaches the parents outside it; what those parents
    list is already made. A dataset's candidates are the reached datasets' own findings and the
    reached outside parents' lists, ordered by (distance, the way to the dataset reached, order in
    its list): the order of a breadth-first walk over the whole lineage. The nearest
    :data:`MAX_INHERITED` per rule are listed; a list that was cut short anywhere is counted
    exactly from a bit set of each component's ancestors, so counts never depend on the order.
    """

    def __init__(
        self,
        own: dict[str, list[Finding]],
        parents: Mapping[str, tuple[Fact, ...]],
        inheritable: set[Rule],
        policy: Policy,
    ) -> None:
        self.own = own
        self.policy = policy
        self.inheritable = inheritable
        self.parents = parents
        # Known parents of each dataset, each once (its first mention), in the order written.
        self.edges = {
            node: list(dict.fromkeys(f.value for f in parents.get(node, ()) if f.value in own))
            for node in own
        }
        self.passing: dict[str, list[Finding]] = {}  # own findings that pass down
        self.listed: dict[str, list[_Listed]] = {}  # each dataset's list, nearest first
        self.totals: dict[str, dict[Rule, int]] = {}  # upstream findings per rule, all counted
        self.depth: dict[str, int] = {}  # the longest chain above each dataset
        self.bit: dict[str, int] = {}
        self.ancestors: dict[str, int] = {}  # bit set of every ancestor (per component)
        self.planes: dict[Rule, list[int]] = {}  # plane k: datasets with more than k of a rule
        self.waiting = dict.fromkeys(own, 0)  # children in other components yet to be made

    def run(self) -> list[Finding]:
        components = _components(self.edges)
        for component in components:
            members = set(component)
            for node in component:
                for parent in self.edges[node]:
                    if parent not in members:
                        self.waiting[parent] += 1
        made: dict[str, list[Finding]] = {}
        for component in components:
            made.update(self._component(component))
        return [f for node in sorted(made) for f in made[node]]

    def _component(self, component: list[str]) -> dict[str, list[Finding]]:
        members = set(component)
        reach = {node: self._walk(node, members) for node in component}
        for node in component:
            self._lineage_findings(node, reach[node], members)
        for node in component:
            self.bit[node] = len(self.bit)
            found = self.passing[node]
            counts: dict[Rule, int] = {}
            for f in found:
                counts[f.rule] = counts.get(f.rule, 0) + 1
            for rule, count in counts.items():
                planes = self.planes.setdefault(rule, [])
                planes.extend(0 for _ in range(count - len(planes)))
                for k in range(count):
                    planes[k] |= 1 << self.bit[node]
        cyclic = len(component) > 1 or component[0] in self.edges[component[0]]
        above = 0
        for node in component:
            if cyclic:
                above |= 1 << self.bit[node]
            for parent in self.edges[node]:
                if parent not in members:
                    above |= self.ancestors[parent] | 1 << self.bit[parent]
        for node in component:
            self.ancestors[node] = above
        made = {node: self._inherit(node, reach[node], members) for node in component}
        for node in component:
            for parent in self.edges[node]:
                if parent not in members:
                    self.waiting[parent] -= 1
                    if not self.waiting[parent]:
                        del self.ancestors[parent], self.listed[parent]
        return made

    def _walk(self, node: str, members: set[str]) -> _Reach:
        came_from: dict[str, tuple[str, int, tuple[int, ...]]] = {}
        order: list[str] = []
        frontier = [node]
        depth = 0
        cut = False
        while frontier:
            if depth == MAX_LINEAGE_DEPTH:
                cut = True
                break
            following: list[str] = []
            for current in frontier:
                way = came_from[current][2] if current != node else ()
                for position, parent in enumerate(self.edges[current]):
                    if parent in came_from:
                        continue
                    came_from[parent] = (current, depth + 1, (*way, position))
                    order.append(parent)
                    if parent != node and parent in members:
                        following.append(parent)
            frontier = following
            depth += 1
        return _Reach(tuple(order), came_from, cut)

    def _lineage_findings(self, node: str, reach: _Reach, members: set[str]) -> None:
        """A chain deeper than the limit, and a cycle, are findings of the dataset; a cut
        chain's finding does not pass down (its descendants are cut too)."""
        facts = self.parents.get(node, ())
        location = facts[0].location if facts else None
        depth = 0
        for ancestor in reach.order:
            distance = reach.came_from[ancestor][1]
            if ancestor not in members:
                distance += self.depth[ancestor]
            depth = max(depth, distance)
        self.depth[node] = MAX_LINEAGE_DEPTH + 1 if reach.cut else depth
        own = self.own[node]
        self.passing[node] = [f for f in own if self._passes_down(f)]
        if self.depth[node] > MAX_LINEAGE_DEPTH:
            own.extend(
                _finding(
                    self.policy,
                    Rule.LINEAGE_UNRESOLVED,
                    node,
                    f"the derived_from chain of {node} is deeper than {MAX_LINEAGE_DEPTH} "
                    f"datasets; upstreams more than {MAX_LINEAGE_DEPTH} levels up were not "
                    "followed, so their restrictions cannot be checked",
                    location,
                    Evidence(trigger=f"derived_from, {MAX_LINEAGE_DEPTH} levels deep"),
                )
            )
        if node in reach.came_from:
            cycle = " -> ".join((node, *reach.hops(node, node)))
            made = _finding(
                self.policy,
                Rule.LINEAGE_CYCLE,
                node,
                f"dataset {node} is part of a derived_from cycle ({cycle}); lineage cannot be "
                "traced",
                location,
            )
            own.extend(made)
            self.passing[node].extend(f for f in made if self._passes_down(f))

    def _passes_down(self, finding: Finding) -> bool:
        return finding.rule in self.inheritable or finding.severity is Severity.ERROR

    def _inherit(self, node: str, reach: _Reach, members: set[str]) -> list[Finding]:
        # (distance, the way to the dataset reached, order in what it lists, finding, reached,
        # the link on from it): sorted, the order of a breadth-first walk over the lineage.
        candidates: list[tuple[int, tuple[int, ...], int, Finding, str, _Link | None]] = []
        partial: set[Rule] = set()  # rules some of whose upstream findings are not candidates
        for ancestor in reach.order:
            if ancestor == node:
                continue
            _, distance, way = reach.came_from[ancestor]
            found = self.passing[ancestor]
            for position, f in enumerate(found):
                candidates.append((distance, way, position, f, ancestor, None))
            if ancestor in members:
                continue
            listed = self.listed[ancestor]
            shown: dict[Rule, int] = {}
            for position, entry in enumerate(listed, start=len(found)):
                shown[entry.origin.rule] = shown.get(entry.origin.rule, 0) + 1
                far = distance + entry.distance
                if far > MAX_LINEAGE_DEPTH:
                    partial.add(entry.origin.rule)
                    continue
                candidates.append((far, way, position, entry.origin, ancestor, entry.link))
            partial.update(r for r, n in self.totals[ancestor].items() if n > shown.get(r, 0))
        candidates.sort(key=lambda c: c[:3])
        seen: set[int] = set()
        kept: dict[Rule, list[_Listed]] = {}
        counted: dict[Rule, int] = {}
        listed_here: list[_Listed] = []
        paths: dict[str, list[str]] = {}
        for distance, _, _, origin, ancestor, tail in candidates:
            if id(origin) in seen:
                continue
            seen.add(id(origin))
            rule = origin.rule
            counted[rule] = counted.get(rule, 0) + 1
            rule_kept = kept.setdefault(rule, [])
            if len(rule_kept) >= MAX_INHERITED:
                continue
            hops = paths.get(ancestor)
            if hops is None:
                hops = paths[ancestor] = reach.hops(node, ancestor)
            entry = _Listed(distance, origin, _chain(hops, tail))
            rule_kept.append(entry)
            listed_here.append(entry)
        if reach.cut:
            partial.update(kept)
        totals = {
            rule: self._count(node, rule) if rule in partial or n > MAX_INHERITED else n
            for rule, n in counted.items()
        }
        self.listed[node] = listed_here
        self.totals[node] = totals
        locations = {fact.value: fact.location for fact in self.parents.get(node, ())}
        out: list[Finding] = []
        for rule, entries in kept.items():
            made = [_inherited(e.origin, node, _via(e.link), locations) for e in entries]
            more = totals[rule] - len(entries)
            if more > 0:
                last = made[-1]
                made[-1] = replaced(
                    last,
                    message=f"{last.message} (and {more} more upstream findings of this rule, "
                    "each listed on the dataset it comes from)",
                )
            out.extend(made)
        return out

    def _count(self, node: str, rule: Rule) -> int:
        """Upstream findings of ``rule`` over every ancestor of ``node``, however far."""
        ancestors = self.ancestors[node]
        total = sum((ancestors & plane).bit_count() for plane in self.planes.get(rule, ()))
        if ancestors >> self.bit[node] & 1:  # in a cycle: its own findings are not inherited
            total -= sum(f.rule is rule for f in self.passing[node])
        return total


def _chain(hops: Sequence[str], tail: _Link | None) -> _Link:
    """The chain through ``hops`` (at least one), then ``tail``: shared, never copied."""
    link = tail
    for hop in reversed(hops):
        link = (hop, link)
    assert link is not None
    return link


def _via(link: _Link | None) -> tuple[str, ...]:
    hops: list[str] = []
    while link is not None:
        hops.append(link[0])
        link = link[1]
    return tuple(hops)


def _components(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """The strongly connected components of the graph, each after every component it reaches
    (Tarjan's algorithm, iterative so a long chain cannot exhaust the stack)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            else:
                low[node] = min(low[node], low[edges[node][i - 1]])
            following = edges[node]
            while i < len(following):
                child = following[i]
                i += 1
                if child not in index:
                    work.append((node, i))
                    work.append((child, 0))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    out.append(component)
    return out


def _inherited(
    origin: Finding, node: str, via: tuple[str, ...], locations: Mapping[str, Location]
) -> Finding:
    if len(via) <= _VIA_SHOWN:
        chain = " -> ".join(via)
    else:
        hidden = len(via) - _VIA_SHOWN + 1
        chain = " -> ".join((*via[: _VIA_SHOWN - 2], f"... {hidden} more ...", via[-1]))
    return replaced(
        origin,
        dataset=node,
        via=via,
        location=locations[via[0]],
        message=f"inherited from {origin.dataset}"
        + (f" (via {chain})" if len(via) > 1 else "")
        + f": {origin.message}",
    )
