"""License expressions as the auditor reasons about them, and how their terms combine.

The resolver turns raw text into a :class:`Resolution` holding a small expression tree whose leaves
are knowledge-base licenses (or unknown symbols). This module owns the algebra:

* ``A AND B`` carries every term of both (the conjunction of their leaves);
* ``A OR B`` is usable if either branch is: the caller's cost function picks the better branch,
  and the choice is recorded;
* ``A WITH exception`` keeps the base license's terms and the exception's name;
* an *ambiguous* name (``cc``, "CC BY-NC" without a version) is judged by the worst case among its
  candidates, i.e. like the conjunction of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from auditor.knowledge import CommercialUse, License


class Status(StrEnum):
    """How a raw license value was resolved, from most to least certain."""

    EXACT = "exact"  # a valid SPDX id or expression (any case)
    ALIAS = "alias"  # a known name, Hugging Face id or deprecated id
    URL = "url"  # a URL that identifies a license
    TEXT = "text"  # a heuristic reading of license prose
    AMBIGUOUS = "ambiguous"  # a family name or unversioned name: several candidates
    UNKNOWN = "unknown"  # missing, placeholder or unrecognised

    @property
    def rank(self) -> int:
        return list(Status).index(self)


@dataclass(frozen=True, slots=True)
class Leaf:
    """One license symbol: a knowledge-base entry, or ``license=None`` when unknown."""

    key: str
    license: License | None
    exception: str | None = None

    def render(self) -> str:
        return f"{self.key} WITH {self.exception}" if self.exception else self.key


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Node, ...]
    ambiguous: bool = False  # the worst case of several candidates, not a written AND
    label: str | None = None  # for an ambiguous node: the name that stood for the candidates


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Node, ...]


Node = Leaf | AllOf | AnyOf


def render(node: Node, *, top: bool = True) -> str:
    match node:
        case Leaf():
            return node.render()
        case AllOf(items=items, ambiguous=ambiguous):
            joiner = " | " if ambiguous else " AND "
            text = joiner.join(render(i, top=False) for i in items)
        case AnyOf(items=items):
            text = " OR ".join(render(i, top=False) for i in items)
    return text if top else f"({text})"


def leaves(node: Node) -> tuple[Leaf, ...]:
    match node:
        case Leaf():
            return (node,)
        case AllOf(items=items) | AnyOf(items=items):
            return tuple(leaf for item in items for leaf in leaves(item))


def family_labels(node: Node | None) -> dict[str, str]:
    """For each license that stands in the tree only as a candidate of an ambiguous name, that
    name and the number of candidates, e.g. ``GFDL-1.3-only -> "gfdl (any of 6)"``."""
    labels: dict[str, str] = {}
    for ambiguous in _ambiguous_nodes(node):
        members = leaves(ambiguous)
        label = f"{ambiguous.label or 'ambiguous'} (any of {len(members)})"
        for leaf in members:
            labels.setdefault(leaf.key, label)
    return labels


@dataclass(frozen=True, slots=True)
class Resolution:
    """A raw license value, what it resolved to, and how."""

    raw: str | None
    status: Status
    evidence: str
    tree: Node | None  # None when nothing could be resolved
    expression: str | None  # the normalized SPDX expression, or None
    # The ambiguous names in the tree, found once (a resolution is cached and asked often).
    _ambiguous: tuple[AllOf, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_ambiguous", _ambiguous_nodes(self.tree))

    @property
    def candidates(self) -> tuple[str, ...]:
        """The licenses an ambiguous name (anywhere in the tree) could stand for."""
        return tuple(leaf.key for node in self._ambiguous for leaf in leaves(node))

    @property
    def ambiguous(self) -> bool:
        return bool(self._ambiguous)


def _ambiguous_nodes(node: Node | None) -> tuple[AllOf, ...]:
    match node:
        case None | Leaf():
            return ()
        case AllOf(items=items, ambiguous=True):
            return (node,)
        case AllOf(items=items) | AnyOf(items=items):
            return tuple(found for item in items for found in _ambiguous_nodes(item))


def combine(parts: Sequence[Resolution], raw: str) -> Resolution:
    """Several license values that all apply (a card listing two licenses): their conjunction.

    The status is the least certain of the parts; an unresolved part stays in as an unknown leaf,
    so the whole can never pass as permissive.
    """
    if len(parts) == 1:
        return parts[0]
    items = tuple(p.tree if p.tree is not None else Leaf(p.raw or "(none)", None) for p in parts)
    worst = max(parts, key=lambda p: p.status.rank).status
    expressions = [p.expression for p in parts]
    expression = (
        " AND ".join(e if len(parts) == 1 or " " not in e else f"({e})" for e in expressions if e)
        if all(expressions)
        else None
    )
    evidence = "; ".join(f"{p.raw!r}: {p.evidence}" for p in parts)
    return Resolution(
        raw,
        worst,
        f"all of {len(parts)} license values apply: {evidence}",
        AllOf(items, ambiguous=False),
        expression,
    )


@dataclass(frozen=True, slots=True)
class Choice:
    """The licenses that apply after every OR has been decided, and the decisions made."""

    leaves: tuple[Leaf, ...]
    decisions: tuple[str, ...]


def choose(node: Node, cost: Callable[[Sequence[Leaf]], Any]) -> Choice:
    """Decide every OR by the lowest ``cost`` of its branches; first branch wins ties."""
    match node:
        case Leaf():
            return Choice((node,), ())
        case AllOf(items=items):
            parts = [choose(item, cost) for item in items]
            return Choice(
                _unique(leaf for part in parts for leaf in part.leaves),
                tuple(d for part in parts for d in part.decisions),
            )
        case AnyOf(items=items):
            options = [choose(item, cost) for item in items]
            best = min(range(len(options)), key=lambda i: cost(options[i].leaves))
            picked = options[best]
            others = ", ".join(render(items[i]) for i in range(len(items)) if i != best)
            decision = f"chose {render(items[best])} over {others}"
            return Choice(picked.leaves, (*picked.decisions, decision))


def _unique(items: Any) -> tuple[Leaf, ...]:
    seen: dict[Leaf, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return tuple(seen)


def commercial_use(chosen: Sequence[Leaf]) -> CommercialUse:
    """The worst commercial-use answer among the licenses that apply (unknown if none)."""
    if not chosen:
        return CommercialUse.UNKNOWN
    worst = CommercialUse.ALLOWED
    for leaf in chosen:
        value = leaf.license.terms.commercial_use if leaf.license else CommercialUse.UNKNOWN
        if value.rank > worst.rank:
            worst = value
    return worst
