"""A dataset's license evidence, weighed: every claim counts, the most restrictive applies.

A dataset's license is stated in many places: a manifest's ``license`` and ``license_url``, a
Hugging Face card's tags and its Licensing Information prose, ``dataset_infos.json``, SPDX's
declared and concluded licenses, a Data Provenance Initiative audit, the Hub card or the bundled
registry entry of a referenced dataset. Each such value is a *claim*: a raw value with its origin
and place. No single claim may talk the gate into a pass:

* every claim that resolves applies, and the license of the dataset is their conjunction (a card
  tag ``cc-by-4.0`` and prose saying "non-commercial research purposes only" give both);
* a license value that does not resolve stays in as an unknown part (all rights reserved); a claim
  that says nothing (a placeholder such as ``other`` or ``Unspecified``, a link or prose that names
  no license) is *silent*; when every claim is silent, the license is unknown;
* an *inferred* claim (a crawler's reading of another site, such as the Data Provenance
  Initiative's ``Inferred Metadata``) is a *hint*: shown to the reviewer, never applied, so it can
  never clear a dataset that audited evidence leaves unspecified;
* prose a card states outside its license sections (origin ``card text``) restricts what other
  claims grant and never grants alone: it applies only beside another applied claim, and it
  explains no pointer (``other``); alone it is a hint;
* where SPDX gives both a declared and a concluded license, the concluded one is the reviewer's
  conclusion and applies; a declared license that differs is *superseded* and shown;
* identical claims are one claim; claims whose terms disagree (one permits commercial use, another
  does not) are a conflict, reported with both places.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from auditor.knowledge import CommercialUse, Placeholders, Reading
from auditor.licensing import AllOf, AnyOf, Leaf, Node, Resolution, Status, leaves, render
from auditor.model import CARD_TEXT, Dataset, Fact, Location
from auditor.resolver import Resolver

# SPDX fields: the concluded license supersedes the declared one (SPDX 2.3 7.13, SPDX 3 Software
# profile ``hasConcludedLicense``).
_DECLARED = frozenset({"licenseDeclared", "hasDeclaredLicense"})
_CONCLUDED = frozenset({"licenseConcluded", "hasConcludedLicense"})
LICENSE_URL = "license_url"
# Fields whose value is the name or the link of the dataset's license, in every format read.
NAMING_FIELDS = frozenset(
    {
        LICENSE_URL,
        "license_link",
        "license_name",
        "license.name",
        "license.url",
        "license.title",
        "license.path",
        "licenses.name",
        "licenses.title",
        "licenses.path",
    }
)


class ClaimRole(StrEnum):
    """What a claim does to the verdict."""

    APPLIED = "applied"  # part of the dataset's license: the most restrictive reading applies
    HINT = "hint"  # inferred, unaudited evidence: shown, never applied
    SUPERSEDED = "superseded"  # an SPDX declared license where a concluded one differs
    SILENT = "silent"  # says nothing resolvable: a placeholder, or a link/prose naming no license


class Claim(BaseModel):
    """One statement about a dataset's license, where it stands, and how it was weighed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    origin: str  # the field, and for looked-up facts the document it came from
    value: str
    location: Location
    role: ClaimRole
    status: Status
    expression: str | None
    detail: str  # how the value resolved


@dataclass(frozen=True)
class Weighed:
    """A dataset's license evidence, weighed: the license that applies, every claim, and the
    pair of applied claims that disagree most, if any (the most permissive, the most restrictive).
    """

    resolution: Resolution
    claims: tuple[Claim, ...]
    conflict: tuple[Claim, Claim] | None


@dataclass(frozen=True)
class _Part:
    fact: Fact
    resolved: Resolution
    note: bool  # a license note (name, link, prose), not a license value


def weigh(ds: Dataset, resolver: Resolver, readings: Sequence[Reading] = ()) -> Weighed:
    """Weigh every license claim of ``ds``; see the module docstring for the rules. A claim whose
    value a registry ``reading`` settles for this dataset is read as that reading says."""
    parts = [_Part(f, _read(f.value, resolver, readings), note=False) for f in ds.licenses]
    notes = list(ds.license_notes)
    if ds.license_url and all(n.value != ds.license_url for n in notes):
        notes.append(Fact(value=ds.license_url, location=ds.location, origin=LICENSE_URL))
    parts += [_Part(f, resolver.resolve(f.value), note=True) for f in notes]
    roles = [_role(p, resolver.placeholders) for p in parts]
    _supersede(parts, roles)
    _pointers(parts, roles, resolver.placeholders.pointers)
    _card_text(parts, roles)
    applied = [p for p, r in zip(parts, roles, strict=True) if r is ClaimRole.APPLIED]
    claims = tuple(_claim(p, r) for p, r in zip(parts, roles, strict=True))
    raw = _raw(ds.licenses)
    hints = [
        p
        for p, r in zip(parts, roles, strict=True)
        if r is ClaimRole.HINT and p.resolved.tree is not None
    ]
    if not applied:
        return Weighed(_with_hints(_unknown(ds, resolver, raw), hints), claims, None)
    unique = _dedupe(applied)
    resolution = _with_hints(_conjunction(unique, raw), hints)
    # A superseded declared license or an unaudited hint stricter than what applies is not
    # applied, but it is said: the disagreement is for a person to settle.
    unapplied = [
        p for p, r in zip(parts, roles, strict=True) if r in (ClaimRole.SUPERSEDED, ClaimRole.HINT)
    ]
    return Weighed(resolution, claims, _conflict(unique, unapplied, claims, parts))


def _read(value: str, resolver: Resolver, readings: Sequence[Reading]) -> Resolution:
    reading = next((r for r in readings if r.matches(value)), None)
    if reading is None:
        return resolver.resolve(value)
    meant = resolver.resolve(reading.means)
    evidence = (
        f"read as {reading.means} by the registry: {reading.note} (source: {reading.source.url}, "
        f"{reading.source.version}); {meant.evidence}"
    )
    return Resolution(value, meant.status, evidence, meant.tree, meant.expression)


def _with_hints(resolution: Resolution, hints: Sequence[_Part]) -> Resolution:
    if not hints:
        return resolution
    said = ", ".join(f"{_where(p.fact)} {p.fact.value!r}" for p in hints)
    evidence = (
        f"{resolution.evidence}; inferred, unaudited evidence ({said}) is a hint, not applied"
    )
    return Resolution(
        resolution.raw, resolution.status, evidence, resolution.tree, resolution.expression
    )


def _role(part: _Part, placeholders: Placeholders) -> ClaimRole:
    resolved = part.resolved
    if part.fact.inferred:
        return ClaimRole.HINT
    if part.note and resolved.status is Status.UNKNOWN and not _names_a_license(part.fact):
        return ClaimRole.SILENT  # prose, or a page that is not a license, naming no license
    if resolved.tree is None:
        # A license value that does not resolve is an unknown part (all rights reserved), and so
        # is one saying there is none ("unknown", "Unspecified", "No License"). One that states
        # nothing ("other", "NOASSERTION", a template placeholder) says nothing, like a link or
        # prose that names no license.
        stated = " ".join(part.fact.value.split()).lower()
        prose = part.note and not _names_a_license(part.fact)
        silent = stated in placeholders.no_statement or stated in placeholders.pointers
        return ClaimRole.SILENT if prose or silent else ClaimRole.APPLIED
    return ClaimRole.APPLIED


def _pointers(parts: Sequence[_Part], roles: list[ClaimRole], pointers: Sequence[str]) -> None:
    """A value that points elsewhere ("other", "see license") is explained by a license name,
    link or prose that resolves; with nothing to point at, it is a license whose terms are not
    given: an unknown part."""
    explained = any(
        p.note and r is ClaimRole.APPLIED and p.fact.origin != CARD_TEXT
        for p, r in zip(parts, roles, strict=True)
    )
    for i, part in enumerate(parts):
        stated = " ".join(part.fact.value.split()).lower()
        if not part.note and stated in pointers and not explained:
            roles[i] = ClaimRole.APPLIED


def _card_text(parts: Sequence[_Part], roles: list[ClaimRole]) -> None:
    """Card prose outside the license sections applies only beside another applied claim: with
    none, it is a hint (the license stays unknown), so a passing remark never clears a dataset."""
    if any(
        r is ClaimRole.APPLIED and p.fact.origin != CARD_TEXT
        for p, r in zip(parts, roles, strict=True)
    ):
        return
    for i, part in enumerate(parts):
        if part.fact.origin == CARD_TEXT and roles[i] is ClaimRole.APPLIED:
            roles[i] = ClaimRole.HINT


def _names_a_license(fact: Fact) -> bool:
    """A note in a field that names the license (``license_name``, ``license_url``): what it
    names is a license, so one the knowledge base cannot resolve is an unknown part, not
    silence. Prose and documentation links (a DPI record's ``License URL``) may name nothing."""
    origin = (fact.origin or "").rstrip(")").split()
    return bool(origin) and origin[-1] in NAMING_FIELDS


def _supersede(parts: Sequence[_Part], roles: list[ClaimRole]) -> None:
    """A concluded SPDX license that resolves supersedes declared licenses that differ."""
    concluded = {
        _key(p.resolved)
        for p, r in zip(parts, roles, strict=True)
        if r is ClaimRole.APPLIED and p.fact.origin in _CONCLUDED and p.resolved.tree is not None
    }
    if not concluded:
        return
    for i, part in enumerate(parts):
        declared = roles[i] is ClaimRole.APPLIED and part.fact.origin in _DECLARED
        if declared and _key(part.resolved) not in concluded:
            roles[i] = ClaimRole.SUPERSEDED


def _key(resolved: Resolution) -> str:
    return render(resolved.tree) if resolved.tree is not None else f"?{resolved.raw}"


def _claim(part: _Part, role: ClaimRole) -> Claim:
    return Claim(
        origin=part.fact.origin or ("license note" if part.note else "license"),
        value=part.fact.value,
        location=part.fact.location,
        role=role,
        status=part.resolved.status,
        expression=part.resolved.expression,
        detail=part.resolved.evidence,
    )


def _dedupe(parts: Sequence[_Part]) -> list[_Part]:
    """One part per distinct license; a family named elsewhere by one of its members goes."""
    if len(parts) == 1:
        return list(parts)
    seen: dict[str, _Part] = {}
    for part in parts:
        seen.setdefault(_key(part.resolved), part)
    unique = list(seen.values())
    named = {leaf.key for p in unique if p.resolved.tree is not None for leaf in _plain(p)}
    return [p for p in unique if not _covered_family(p, named)] or unique


def _plain(part: _Part) -> tuple[Leaf, ...]:
    """The licenses a part names outright (not as candidates of an ambiguous family)."""
    tree = part.resolved.tree
    if tree is None or (isinstance(tree, AllOf) and tree.ambiguous):
        return ()
    return leaves(tree)


def _covered_family(part: _Part, named: set[str]) -> bool:
    tree = part.resolved.tree
    return (
        isinstance(tree, AllOf)
        and tree.ambiguous
        and bool(named & {leaf.key for leaf in leaves(tree)})
    )


def _conjunction(parts: Sequence[_Part], raw: str | None) -> Resolution:
    if len(parts) == 1:
        only = parts[0].resolved
        tree = only.tree  # None: the one claim is unknown, reported as such
        evidence = only.evidence
        if parts[0].note or parts[0].fact.value != raw:
            evidence = f"from {_where(parts[0].fact)} {parts[0].fact.value!r}: {evidence}"
        return Resolution(raw or only.raw, only.status, evidence, tree, only.expression)
    # One conjunction of every distinct part: written ANDs are flattened, repeats dropped.
    flat: dict[str, Node] = {}
    for p in parts:
        tree = p.resolved.tree if p.resolved.tree is not None else Leaf(p.resolved.raw or "?", None)
        written_and = isinstance(tree, AllOf) and not tree.ambiguous
        for item in tree.items if isinstance(tree, AllOf) and written_and else (tree,):
            flat.setdefault(render(item), item)
    items = tuple(flat.values())
    status = max((p.resolved.status for p in parts), key=lambda s: s.rank)
    expression = (
        " AND ".join(k if " " not in k else f"({k})" for k in flat)
        if all(p.resolved.expression for p in parts)
        else None
    )
    said = "; ".join(f"{_where(p.fact)} {p.fact.value!r}: {p.resolved.evidence}" for p in parts)
    evidence = f"all of {len(parts)} license claims apply: {said}"
    return Resolution(
        raw or _raw([p.fact for p in parts]), status, evidence, AllOf(items), expression
    )


def _where(fact: Fact) -> str:
    return fact.origin or "license"


def _unknown(ds: Dataset, resolver: Resolver, raw: str | None) -> Resolution:
    """No claim applies: the license is unknown, with what the license values said."""
    base = resolver.resolve(raw if ds.licenses else None)
    return Resolution(raw, Status.UNKNOWN, base.evidence, None, None)


def _raw(facts: Sequence[Fact]) -> str | None:
    if not facts:
        return None
    if len(facts) == 1:
        return facts[0].value
    return "[" + ", ".join(f.value for f in facts) + "]"


# --- conflicts -------------------------------------------------------------------------------

_Terms = tuple[int, bool, bool, bool, bool]


def terms_of(node: Node) -> _Terms:
    """What a license tree permits, at its best reading: commercial-use rank and the flags
    (research only, no derivatives, share-alike, use-restricted). ``A OR B`` takes the better."""
    match node:
        case Leaf(license=None):
            return (CommercialUse.UNKNOWN.rank, False, False, False, False)
        case Leaf(license=lic):
            assert lic is not None
            t = lic.terms
            return (
                t.commercial_use.rank,
                t.research_only,
                t.no_derivatives,
                t.share_alike,
                t.use_restricted,
            )
        case AllOf(items=items):
            found = [terms_of(i) for i in items]
            return (
                max(f[0] for f in found),
                any(f[1] for f in found),
                any(f[2] for f in found),
                any(f[3] for f in found),
                any(f[4] for f in found),
            )
        case AnyOf(items=items):
            return min(terms_of(i) for i in items)


def _conflict(
    unique: Sequence[_Part],
    superseded: Sequence[_Part],
    claims: Sequence[Claim],
    parts: Sequence[_Part],
) -> tuple[Claim, Claim] | None:
    """The most permissive applied claim and the most restrictive claim (applied, or an SPDX
    declared license the concluded one overrides) of another field, if their terms differ.

    Only claims that resolved are compared: an unknown one is not a disagreement but a gap,
    reported as license-unknown. Claims of one field (a card's list of licenses, an audit's
    ``Licenses``) list the licenses of the dataset's parts: they all apply, and do not disagree.
    """

    if len({p.fact.origin or "" for p in (*unique, *superseded)}) < 2:
        return None  # one field (or one claim): nothing to disagree with

    def scored(group: Sequence[_Part]) -> list[tuple[tuple[int, str], _Part]]:
        found = [
            ((_rank(terms_of(p.resolved.tree)), p.fact.origin or ""), p)
            for p in group
            if p.resolved.tree is not None and p.resolved.status is not Status.UNKNOWN
        ]
        return sorted(found, key=lambda i: i[0])

    applied, every = scored(unique), scored([*unique, *superseded])
    if not applied or len(every) < 2:
        return None
    # The most permissive claim of each field, and the most restrictive: the widest gap between
    # two fields is the least permissive field-minimum against the most restrictive maximum of a
    # different field (two candidates suffice).
    lows: dict[str, tuple[int, _Part]] = {}
    for (rank, origin), part in applied:
        lows.setdefault(origin, (rank, part))
    highs: dict[str, tuple[int, _Part]] = {}
    for (rank, origin), part in reversed(every):
        highs.setdefault(origin, (rank, part))
    pairs = [
        (high[0] - low[0], low[1], high[1])
        for lo_origin, low in sorted(lows.items(), key=lambda i: i[1][0])[:2]
        for hi_origin, high in sorted(highs.items(), key=lambda i: -i[1][0])[:2]
        if lo_origin != hi_origin and high[0] > low[0]
    ]
    if not pairs:
        return None
    _, best, worst = max(pairs, key=lambda p: p[0])
    by_fact = {id(p.fact): c for p, c in zip(parts, claims, strict=True)}
    return by_fact[id(best.fact)], by_fact[id(worst.fact)]


def _rank(terms: _Terms) -> int:
    """How restrictive terms are, as one number: commercial use first, then each flag."""
    return terms[0] * 10 + sum(terms[1:])
