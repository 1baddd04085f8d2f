"""A short fuzz budget in every test run (``make fuzz`` runs the long one; see tests/fuzzing.py).

Real manifests of every format, mutated at random, through the gate: it answers 0, 1 or 2 (an
input error with its place), never a traceback or a hang, and never passes on zero datasets.
Inputs a campaign found are kept in ``tests/fixtures/hostile/`` as regression fixtures.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from tests.fuzzing import SEEDS, mutate, run_case, seeds, violations

FOUND = sorted((FIXTURES / "hostile").glob("*fuzz*"))


def test_every_format_has_a_seed() -> None:
    assert len(seeds()) == len(SEEDS), "a seed file of the fuzz harness is missing"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), which=st.integers(0, len(SEEDS) - 1))
def test_mutated_manifests_keep_the_invariants(
    seed: int, which: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    fmt, data, name = seeds()[which]
    mutated = mutate(data, random.Random(seed))
    outcome = run_case(mutated, name, tmp_path_factory.mktemp(fmt))
    assert violations(outcome) == [], (fmt, mutated[:200])


@pytest.mark.parametrize("path", FOUND, ids=lambda p: p.name)
def test_inputs_a_campaign_found_keep_the_invariants(path: Path, tmp_path: Path) -> None:
    name = {".spdx": "doc.spdx", ".json": "doc.json", ".yaml": "mix.yaml"}[path.suffix]
    outcome = run_case(path.read_bytes(), name, tmp_path)
    assert violations(outcome) == []
    assert outcome.code == 2
