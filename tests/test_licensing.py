"""The license algebra, property-tested: OR takes the better branch, AND the worse."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.checks import license_cost
from auditor.knowledge import load_knowledge
from auditor.licensing import AllOf, AnyOf, Leaf, Node, choose, render
from auditor.policy import load_policy
from auditor.resolver import resolver_for

KB = load_knowledge()
RESOLVER = resolver_for(KB)
POLICY = load_policy("commercial")
COST = license_cost(POLICY)
IDS = sorted(KB.licenses)


def cost_of(node: Node) -> tuple[int, int, int]:
    return COST(choose(node, COST).leaves)


def leaf(license_id: str) -> Leaf:
    return Leaf(license_id, KB.licenses[license_id])


license_ids = st.sampled_from(IDS)
leaves_st = license_ids.map(leaf)
unknown_leaves = st.from_regex(r"LicenseRef-x[a-z]{1,6}", fullmatch=True).map(
    lambda key: Leaf(key, None)
)
nodes: st.SearchStrategy[Node] = st.recursive(
    st.one_of(leaves_st, unknown_leaves),
    lambda children: st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: AllOf(tuple(xs))),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: AnyOf(tuple(xs))),
    ),
    max_leaves=6,
)


@given(nodes, nodes)
def test_or_is_the_better_branch(a: Node, b: Node) -> None:
    assert cost_of(AnyOf((a, b))) == min(cost_of(a), cost_of(b))


@given(nodes, nodes)
def test_and_is_no_better_than_either_branch(a: Node, b: Node) -> None:
    both = cost_of(AllOf((a, b)))
    assert both >= cost_of(a)
    assert both >= cost_of(b)


@given(nodes, nodes)
def test_or_is_commutative_in_cost(a: Node, b: Node) -> None:
    assert cost_of(AnyOf((a, b))) == cost_of(AnyOf((b, a)))


@given(nodes)
def test_an_unknown_conjunct_always_fails_closed(node: Node) -> None:
    chosen = choose(AllOf((node, Leaf("LicenseRef-unknown-thing", None))), COST)
    assert any(item.license is None for item in chosen.leaves)
    assert COST(chosen.leaves)[0] >= 1


def _spdx_only(node: Node) -> bool:
    return all(not item.key.startswith("LicenseRef-") for item in _all_leaves(node))


def _all_leaves(node: Node) -> Sequence[Leaf]:
    match node:
        case Leaf():
            return (node,)
        case AllOf(items=items) | AnyOf(items=items):
            return tuple(x for item in items for x in _all_leaves(item))


@given(nodes)
def test_parse_render_parse_is_stable(node: Node) -> None:
    text = render(node)
    first = RESOLVER.resolve(text)
    assert first.expression is not None
    second = RESOLVER.resolve(first.expression)
    assert second.expression == first.expression
    assert second.status is first.status or not _spdx_only(node)


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_resolution_never_raises(text: str) -> None:
    result = RESOLVER.resolve(text)
    assert result.raw == text
    assert result.evidence


@given(
    st.lists(
        st.sampled_from(
            [
                "MIT",
                "CC-BY-NC-4.0",
                "cc",
                "foo",
                "(",
                ")",
                "AND",
                "OR",
                "WITH",
                "GPL-2.0+",
                "CC BY 4.0",
                "https://x.y/",
            ]
        ),
        max_size=8,
    )
)
def test_resolution_never_raises_on_operator_soup(tokens: list[str]) -> None:
    RESOLVER.resolve(" ".join(tokens))
