"""Benchmark: audit a generated 1,000-dataset manifest; prints wall-clock figures.

Run with ``make bench`` (or ``python benchmarks/bench_check.py [N]``). It reports the time of the
first audit in a fresh process (knowledge base and resolver built, imports excluded) and of
repeated audits, plus the full CLI run including interpreter start.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LICENSES = [
    "CC-BY-4.0",
    "cc-by-nc-4.0",
    "MIT",
    "Apache License 2.0",
    "CC BY-SA 3.0",
    "https://creativecommons.org/licenses/by/4.0/",
    "MIT OR GPL-3.0-only",
    "[More Information Needed]",
    "cc",
    "For non-commercial research purposes only.",
]
SOURCES = [
    "",
    "    collected_from:\n"
    "      - url: https://www.youtube.com/watch?v={i}\n"
    "        method: yt-dlp\n",
    "    generated_by: [gpt-4]\n",
    "    derived_from: [ds-{p}]\n",
]


def manifest(n: int) -> str:
    lines = ["version: 1", "name: bench", "datasets:"]
    for i in range(n):
        lines.append(f"  - id: ds-{i}")
        lines.append(f"    name: Dataset {i}")
        lines.append(f'    license: "{LICENSES[i % len(LICENSES)]}"')
        extra = SOURCES[i % len(SOURCES)] if i else ""
        if extra:
            lines.append(extra.format(i=i, p=i - 1).rstrip("\n"))
        lines.append(f"    weight: {1 / n:.6f}")
    return "\n".join(lines) + "\n"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mix.yaml"
        path.write_text(manifest(n))

        started = time.perf_counter()
        import auditor
        import auditor.api  # the package loads its API on first use; import it here, timed

        imported = time.perf_counter()
        report = auditor.audit(path)
        first = time.perf_counter()
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            auditor.audit(path)
            runs.append(time.perf_counter() - t0)
        cli = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "auditor", "check", str(path), "--format", "json"],
                capture_output=True,
                check=False,
            )
            cli.append(time.perf_counter() - t0)
        baseline = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            baseline.append(time.perf_counter() - t0)

    print(f"datasets: {n}, findings: {len(report.findings)}, verdict: {report.verdict.value}")
    print(f"import auditor:                 {imported - started:.3f} s")
    print(f"first audit (cold caches):      {first - imported:.3f} s")
    print(f"repeat audit (median of 5):     {statistics.median(runs):.3f} s")
    print(f"CLI end to end (median of 3):   {statistics.median(cli):.3f} s")
    print(f"bare interpreter start:         {statistics.median(baseline):.3f} s")
    beyond = statistics.median(cli) - statistics.median(baseline)
    print(f"CLI beyond interpreter start:   {beyond:.3f} s")


if __name__ == "__main__":
    main()
