"""Benchmark: resolve 100,000 license strings with the repeats real corpora have.

The strings are drawn (with a fixed seed) from the distinct license values of the shared corpus,
weighted by how often each occurs there, so the mix of repeats is realistic. Prints the time for a
cold resolver (built inside the timing) and a warm one.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import yaml

from auditor.knowledge import load_knowledge
from auditor.resolver import Resolver

LABELS = Path(__file__).parent.parent / "tests" / "fixtures" / "licenses.labelled.yaml"


def sample(n: int) -> list[str]:
    labels = yaml.safe_load(LABELS.read_text())["labels"]
    values = [label["raw"] for label in labels]
    # Real corpora repeat a few values very often (cc-by-4.0, mit) and most values rarely.
    weights = [1.0 / (rank + 1) for rank in range(len(values))]
    rng = random.Random(2026)
    return rng.choices(values, weights=weights, k=n)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    strings = sample(n)
    kb = load_knowledge()
    started = time.perf_counter()
    resolver = Resolver(kb)
    built = time.perf_counter()
    for text in strings:
        resolver.resolve(text)
    cold = time.perf_counter() - started
    build = built - started
    started = time.perf_counter()
    for text in strings:
        resolver.resolve(text)
    warm = time.perf_counter() - started
    print(f"strings: {n:,} ({len(set(strings))} distinct)")
    print(f"resolver construction:           {build:.3f} s")
    print(f"resolve all, cold (incl. build): {cold:.3f} s  ({n / cold:,.0f} strings/s)")
    print(f"resolve all, warm:               {warm:.3f} s  ({n / warm:,.0f} strings/s)")


if __name__ == "__main__":
    main()
