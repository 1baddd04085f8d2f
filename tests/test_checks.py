"""Lineage: what each dataset inherits is what a breadth-first walk from it would list.

The checks make every dataset's list once, from its parents' lists (linear in the graph); these
tests hold that against the plain walk from each dataset (quadratic, and obviously right) on
graphs with cycles, self-references, repeated and unresolvable parents, and check that a lineage
deeper than the interpreter's recursion limit is audited.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from auditor import checks
from auditor.checks import MAX_INHERITED, MAX_LINEAGE_DEPTH
from auditor.model import Fact, Location
from auditor.policy import Severity, as_policy
from auditor.report import Finding
from auditor.rulebook import Rule

POLICY = as_policy("commercial")
RULES = (
    (Rule.LICENSE_NONCOMMERCIAL, Severity.ERROR),
    (Rule.LICENSE_ATTRIBUTION, Severity.INFO),
    (Rule.LICENSE_SHARE_ALIKE, Severity.WARNING),
    (Rule.MODEL_OUTPUT_TERMS, Severity.WARNING),  # not inherited, not blocking: stays put
)
INHERITABLE = {Rule.LICENSE_ATTRIBUTION, Rule.LICENSE_SHARE_ALIKE}
_INHERITED = re.compile(
    r"inherited from (?P<origin>\S+)(?: \(via .*?\))?: (?P<message>.*?)"
    r"(?: \(and (?P<more>\d+) more upstream findings of this rule, each listed on the dataset "
    r"it comes from\))?$"
)

# (dataset, rule, via, origin's message, how many more are counted)
Listed = tuple[str, Rule, tuple[str, ...], str, int]


def at(line: int) -> Location:
    return Location(path="mix.yaml", line=line)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[dict[str, list[Finding]], dict[str, tuple[Fact, ...]]]:
    n = draw(st.integers(1, 9))
    names = [f"d{i}" for i in range(n)]
    own: dict[str, list[Finding]] = {}
    parents: dict[str, tuple[Fact, ...]] = {}
    line = 0
    for name in names:
        found = []
        for rule, severity in draw(st.lists(st.sampled_from(RULES), max_size=3)):
            line += 1
            found.append(Finding(rule=rule, severity=severity, dataset=name, message=f"m{line}"))
        own[name] = found
        upstreams = draw(st.lists(st.sampled_from([*names, "missing"]), max_size=3))
        parents[name] = tuple(Fact(value=p, location=at(i)) for i, p in enumerate(upstreams))
    order = draw(st.permutations(names))
    return {name: own[name] for name in order}, parents


def listed_by_walk(
    own: Mapping[str, list[Finding]], parents: Mapping[str, tuple[Fact, ...]], limit: int
) -> Counter[Listed]:
    """What each dataset inherits, by walking breadth-first from it: the nearest ``limit``
    upstream findings per rule that pass down, the rest counted."""
    came_from: dict[str, dict[str, str]] = {}
    for node in own:
        reached: dict[str, str] = {}
        frontier = [node]
        while frontier:
            following = []
            for current in frontier:
                for fact in parents.get(current, ()):
                    if fact.value in own and fact.value not in reached:
                        reached[fact.value] = current
                        if fact.value != node:
                            following.append(fact.value)
            frontier = following
        came_from[node] = reached
    passing: dict[str, list[tuple[Rule, str]]] = {}
    for node, found in own.items():
        mine = [(f.rule, f.severity, f.message) for f in found]
        mine += [
            (Rule.LINEAGE_UNRESOLVED, Severity.ERROR, "unresolved")
            for fact in parents.get(node, ())
            if fact.value not in own
        ]
        if node in came_from[node]:
            mine.append((Rule.LINEAGE_CYCLE, Severity.ERROR, "cycle"))
        passing[node] = [
            (rule, message)
            for rule, severity, message in mine
            if rule in INHERITABLE or severity is Severity.ERROR
        ]
    expected: Counter[Listed] = Counter()
    for node, reached in came_from.items():
        kept: dict[Rule, list[tuple[tuple[str, ...], str]]] = {}
        for ancestor in reached:
            if ancestor == node:
                continue
            via = [ancestor]
            while reached[via[-1]] != node:
                via.append(reached[via[-1]])
            for rule, message in passing[ancestor]:
                kept.setdefault(rule, []).append((tuple(reversed(via)), message))
        for rule, entries in kept.items():
            shown = entries[:limit]
            for i, (via_chain, message) in enumerate(shown):
                more = len(entries) - len(shown) if i == len(shown) - 1 else 0
                expected[(node, rule, via_chain, message, more)] += 1
    return expected


def listed_by_checks(findings: list[Finding]) -> Counter[Listed]:
    out: Counter[Listed] = Counter()
    for f in findings:
        if not f.via:
            continue
        match = _INHERITED.fullmatch(f.message)
        assert match is not None, f.message
        assert match["origin"] == f.via[-1]
        message = match["message"]
        if f.rule is Rule.LINEAGE_UNRESOLVED:
            message = "unresolved"
        elif f.rule is Rule.LINEAGE_CYCLE:
            message = "cycle"
        out[(f.dataset, f.rule, f.via, message, int(match["more"] or 0))] += 1
    return out


@settings(max_examples=300, deadline=None)
@given(graph=graphs(), limit=st.sampled_from([1, 2, MAX_INHERITED]))
def test_inherited_findings_are_those_of_a_breadth_first_walk(
    graph: tuple[dict[str, list[Finding]], dict[str, tuple[Fact, ...]]], limit: int
) -> None:
    own, parents = graph
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "MAX_INHERITED", limit)
        made = checks._with_lineage(own, parents, INHERITABLE, POLICY, {})
        assert listed_by_checks(made) == listed_by_walk(own, parents, limit)
        # The order of the manifest changes nothing.
        shuffled = dict(reversed(list(own.items())))
        again = checks._with_lineage(shuffled, parents, INHERITABLE, POLICY, {})
    assert sorted(map(repr, again)) == sorted(map(repr, made))


Graph = tuple[dict[str, list[Finding]], dict[str, tuple[Fact, ...]]]


def chain(depth: int) -> Graph:
    """A straight chain d0 <- d1 <- ..., each dataset non-commercial, children listed first."""
    own = {
        f"d{i}": [
            Finding(
                rule=Rule.LICENSE_NONCOMMERCIAL,
                severity=Severity.ERROR,
                dataset=f"d{i}",
                message=f"nc {i}",
            )
        ]
        for i in reversed(range(depth))
    }
    parents: dict[str, tuple[Fact, ...]] = {
        f"d{i}": (Fact(value=f"d{i - 1}", location=at(i)),) for i in range(1, depth)
    }
    return own, parents


def test_a_chain_deeper_than_the_recursion_limit_is_audited() -> None:
    depth = 1_500
    own, parents = chain(depth)
    made = checks._with_lineage(own, parents, INHERITABLE, POLICY, {})
    leaf = [f for f in made if f.dataset == f"d{depth - 1}"]
    inherited = [f for f in leaf if f.via]
    # The nearest MAX_INHERITED, one to MAX_INHERITED levels up; every other upstream counted.
    assert sorted(len(f.via) for f in inherited) == list(range(1, MAX_INHERITED + 1))
    assert inherited[-1].message.endswith(
        f"(and {depth - 1 - MAX_INHERITED} more upstream findings of this rule, each listed on "
        "the dataset it comes from)"
    )
    # Deeper than the limit: not followed, and that blocks.
    cut = [f for f in leaf if f.rule is Rule.LINEAGE_UNRESOLVED]
    assert len(cut) == 1
    assert f"deeper than {MAX_LINEAGE_DEPTH}" in cut[0].message
    assert cut[0].severity is Severity.ERROR
    assert not [
        f
        for f in made
        if f.dataset == f"d{MAX_LINEAGE_DEPTH}" and not f.via and f.rule is Rule.LINEAGE_UNRESOLVED
    ]
    assert [
        f
        for f in made
        if f.dataset == f"d{MAX_LINEAGE_DEPTH + 1}" and f.rule is Rule.LINEAGE_UNRESOLVED
    ]
    # A cut chain's finding is the dataset's own: it does not pass down.
    assert not [f for f in made if f.via and f.rule is Rule.LINEAGE_UNRESOLVED]


def test_a_long_cycle_is_reported_on_every_member() -> None:
    depth = 1_200
    own, parents = chain(depth)
    parents = {**parents, "d0": (Fact(value=f"d{depth - 1}", location=at(0)),)}
    made = checks._with_lineage(own, parents, INHERITABLE, POLICY, {})
    # Longer than the depth followed: each member is cut, its cycle not seen whole.
    cut = {f.dataset for f in made if not f.via and f.rule is Rule.LINEAGE_UNRESOLVED}
    assert cut == set(own)
    short: dict[str, list[Finding]] = {"a": [], "b": [], "c": []}
    loop: dict[str, tuple[Fact, ...]] = {
        "a": (Fact(value="b", location=at(1)),),
        "b": (Fact(value="c", location=at(2)),),
        "c": (Fact(value="a", location=at(3)),),
    }
    made = checks._with_lineage(short, loop, INHERITABLE, POLICY, {})
    cycles = {f.dataset: f.message for f in made if not f.via and f.rule is Rule.LINEAGE_CYCLE}
    assert cycles["a"] == (
        "dataset a is part of a derived_from cycle (a -> b -> c -> a); lineage cannot be traced"
    )
    assert set(cycles) == {"a", "b", "c"}


def test_replaced_is_model_copy_with_an_update() -> None:
    from auditor.model import Location, replaced
    from auditor.report import Evidence, Finding

    origin = Finding(
        rule=Rule.LICENSE_NONCOMMERCIAL,
        severity=Severity.ERROR,
        dataset="up",
        message="m",
        location=Location(path="a.yaml", line=3),
        evidence=Evidence(trigger="license: x"),
    )
    changes: dict[str, object] = {
        "dataset": "down",
        "via": ("up",),
        "location": Location(path="a.yaml", line=9),
        "message": "inherited from up: m",
    }
    made, expected = replaced(origin, **changes), origin.model_copy(update=changes)
    assert made == expected and hash(made) == hash(expected)
    assert made.model_fields_set == expected.model_fields_set
    assert made.model_dump_json() == expected.model_dump_json()
    assert origin.dataset == "up" and origin.model_fields_set == set(origin.model_fields_set)
    with pytest.raises(ValidationError):
        made.dataset = "elsewhere"  # type: ignore[misc]  # still frozen
