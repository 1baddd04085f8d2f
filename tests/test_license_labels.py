"""Accuracy of license resolution on hand-labelled strings from real metadata.

The labels (tests/fixtures/licenses.labelled.yaml) are a reviewer's reading of each string. The
resolver must never be more permissive than the label (fail closed), and must agree with it on
most strings; the figures are printed for the record (pytest -s).
"""

from __future__ import annotations

from collections import Counter

import yaml

from auditor.explanation import explain
from auditor.knowledge import CommercialUse
from tests.conftest import fixture_path

LABELS = yaml.safe_load(fixture_path("licenses.labelled.yaml").read_text())["labels"]
PERMISSIVENESS = {
    CommercialUse.ALLOWED: 0,
    CommercialUse.RESTRICTED: 1,
    CommercialUse.UNKNOWN: 2,
    CommercialUse.PROHIBITED: 2,
}


def test_enough_distinct_labelled_strings() -> None:
    raws = [label["raw"] for label in LABELS]
    assert len(set(raws)) == len(raws) >= 200


def test_never_more_permissive_than_the_label() -> None:
    unsafe = []
    for label in LABELS:
        got = explain(label["raw"]).commercial_use
        want = CommercialUse(label["commercial_use"])
        if PERMISSIVENESS[got] < PERMISSIVENESS[want]:
            unsafe.append((label["raw"][:80], got.value, want.value))
    assert unsafe == []


def test_agreement_with_labels() -> None:
    outcome: Counter[str] = Counter()
    expressions: Counter[str] = Counter()
    for label in LABELS:
        result = explain(label["raw"])
        outcome[
            "agree" if result.commercial_use.value == label["commercial_use"] else "differ"
        ] += 1
        if label["expression"] is not None:
            expressions["agree" if result.expression == label["expression"] else "differ"] += 1
    accuracy = outcome["agree"] / len(LABELS)
    expression_accuracy = expressions["agree"] / sum(expressions.values())
    print(f"\ncommercial-use agreement: {outcome['agree']}/{len(LABELS)} = {accuracy:.1%}")
    print(f"expression agreement: {expressions['agree']}/{sum(expressions.values())}")
    assert accuracy >= 0.85
    assert expression_accuracy >= 0.95
