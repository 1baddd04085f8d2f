"""Benchmark: `auditor check` on generated manifests; prints wall-clock figures.

Run with ``make bench`` (or ``python benchmarks/bench_check.py [N]``): the first audit in a fresh
process (knowledge base and resolver built, imports excluded), repeated audits, and the full CLI
run including interpreter start, on an N-dataset manifest (default 1,000).

``python benchmarks/bench_check.py --formats [--sizes 10,1000,10000] [--rounds 3]
[--chain-depth 10000]`` runs the CLI end to end in every report format (and the ``notice`` and
``summary`` documents, which are made from the same manifests) at each size, then a 10,000-deep
``derived_from`` chain in every format, in two shapes: ``dense`` (every dataset non-commercial:
each lists the nearest upstream findings per rule, ``checks.MAX_INHERITED``) and ``sparse``
(only the root restricted). Each figure is the best and the median of the rounds,
with the CPU time (user and system: steadier than the wall clock on a shared machine) and the
peak memory of the process; a format's ratio to JSON is taken within each round (a round's
figures are comparable with each other, not across rounds), and the median ratio is printed.
"""

from __future__ import annotations

import argparse
import os
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
# (label, CLI arguments after the manifest); the JSON report is the reference.
FORMATS = [
    ("json", ["check", "--format", "json"]),
    ("table", ["check", "--format", "table"]),
    ("concise", ["check", "--format", "concise"]),
    ("github", ["check", "--format", "github"]),
    ("markdown", ["check", "--format", "markdown"]),
    ("sarif", ["check", "--format", "sarif"]),
    ("html", ["check", "--format", "html"]),
    ("cyclonedx", ["check", "--format", "cyclonedx"]),
    ("spdx3", ["check", "--format", "spdx3"]),
    ("notice", ["notice"]),
    ("summary", ["summary"]),
]
CHAIN_DEPTH = 10_000


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


def chain(depth: int, dense: bool) -> str:
    """A straight derived_from chain, children listed before parents (the worst order for a
    recursive walk): ``dense`` restricts every dataset, else only the root."""
    lines = ["version: 1", "name: chain", "datasets:"]
    for i in reversed(range(depth)):
        lic = "CC-BY-NC-4.0" if dense or i == 0 else "CC0-1.0"
        parent = f", derived_from: [d{i - 1}]" if i else ""
        lines.append(f"  - {{id: d{i}, license: {lic}, creator: Example Lab{parent}}}")
    return "\n".join(lines) + "\n"


def run_cli(args: list[str], output: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident megabytes of one CLI run (stdout to
    ``output``)."""
    command = [sys.executable, "-m", "auditor", *args]
    with output.open("w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)}: exit {proc.returncode}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024  # Linux reports kilobytes


def spread(values: list[float]) -> str:
    return f"best {min(values):7.2f}  median {statistics.median(values):7.2f}"


def bench_formats(sizes: list[int], rounds: int, depth: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        for n in sizes:
            path = Path(tmp) / f"mix-{n}.yaml"
            path.write_text(manifest(n))
            times: dict[str, list[float]] = {label: [] for label, _ in FORMATS}
            cpus: dict[str, list[float]] = {label: [] for label, _ in FORMATS}
            ratios: dict[str, list[float]] = {label: [] for label, _ in FORMATS}
            cpu_ratios: dict[str, list[float]] = {label: [] for label, _ in FORMATS}
            memory: dict[str, float] = {}
            for _ in range(rounds):
                this_round: dict[str, tuple[float, float]] = {}
                for label, args in FORMATS:
                    seconds, cpu, mb = run_cli([args[0], str(path), *args[1:]], out)
                    this_round[label] = (seconds, cpu)
                    times[label].append(seconds)
                    cpus[label].append(cpu)
                    memory[label] = max(memory.get(label, 0.0), mb)
                wall_json, cpu_json = this_round["json"]
                for label, (seconds, cpu) in this_round.items():
                    ratios[label].append(seconds / wall_json)
                    cpu_ratios[label].append(cpu / cpu_json)
            print(f"\n{n:,} datasets ({rounds} rounds; seconds end to end, ratio to JSON)")
            for label, _ in FORMATS:
                print(
                    f"  {label:<10} wall {spread(times[label])}  "
                    f"x{statistics.median(ratios[label]):5.2f} json  "
                    f"cpu median {statistics.median(cpus[label]):6.2f}  "
                    f"x{statistics.median(cpu_ratios[label]):5.2f} json  "
                    f"{memory[label]:6.0f} MB"
                )
        for shape in ("dense", "sparse") if depth else ():
            path = Path(tmp) / f"chain-{shape}.yaml"
            path.write_text(chain(depth, dense=shape == "dense"))
            print(f"\n{depth:,}-deep chain, {shape} ({rounds} rounds; seconds end to end)")
            for label, args in FORMATS:
                runs = [run_cli([args[0], str(path), *args[1:]], out) for _ in range(rounds)]
                size = out.stat().st_size / 1e6
                print(
                    f"  {label:<10} wall {spread([w for w, _, _ in runs])}  "
                    f"cpu median {statistics.median(c for _, c, _ in runs):6.2f}  "
                    f"peak {max(mb for _, _, mb in runs):5.0f} MB  (output {size:.0f} MB)"
                )


def bench_audit(n: int) -> None:
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
        out = Path(tmp) / "out"
        cli = [run_cli(["check", str(path), "--format", "json"], out)[0] for _ in range(3)]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("datasets", nargs="?", type=int, default=1000)
    parser.add_argument("--formats", action="store_true", help="every format, and deep chains")
    parser.add_argument("--sizes", default="10,1000,10000", help="with --formats")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chain-depth", type=int, default=CHAIN_DEPTH, help="0: no chains")
    args = parser.parse_args()
    if args.formats:
        sizes = [int(n) for n in args.sizes.split(",") if n]
        bench_formats(sizes, args.rounds, args.chain_depth)
    else:
        bench_audit(args.datasets)


if __name__ == "__main__":
    main()
