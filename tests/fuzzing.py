"""A fuzz harness: mutated real manifests of every format, and hostile trees, through the gate.

Invariants checked on every case (the "Hostile and broken input" issue):

* the gate answers 0 (pass), 1 (fail) or 2 (input error, an ``InputError`` with its place);
  any other exception is a bug, counted as a traceback;
* nothing takes longer than ``HANG_SECONDS`` (an alarm stops the case and counts a hang);
* a pass never rests on zero datasets.

``tests/test_fuzz.py`` runs a short Hypothesis budget in ``make test``; ``make fuzz`` runs this
module as a script with a long budget (``--cases``) and prints the figures: cases per format,
tracebacks, hangs, zero-dataset passes, slowest case and peak memory. Failing inputs are written
to ``--keep DIR`` so they can become regression fixtures.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import yaml

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"
FIXTURES = HERE / "fixtures" / "readers"
HANG_SECONDS = 10

# One or a few real files per format: (format name, path, file name the case is written as).
SEEDS: tuple[tuple[str, Path, str], ...] = (
    ("native", HERE.parent / "examples" / "video-mix.yaml", "mix.yaml"),
    ("native-json", FIXTURES / "llamafactory.dataset_info.json", "dataset_info.json"),
    ("hf-card", CORPUS / "hf-cards" / "squad" / "README.md", "README.md"),
    ("hf-card-gated", CORPUS / "hf-cards" / "imagenet-1k" / "README.md", "README.md"),
    ("croissant", CORPUS / "croissant" / "1.0-coco2014-mini.json", "croissant.json"),
    ("cyclonedx", CORPUS / "cyclonedx" / "valid-machine-learning-1.6.json", "bom.json"),
    ("spdx3", CORPUS / "spdx3" / "dataset-example01.spdx3.json", "doc.spdx3.json"),
    ("spdx2-json", FIXTURES / "spdx2.dataset.spdx.json", "doc.spdx.json"),
    ("spdx2-tv", FIXTURES / "spdx2.dataset.spdx", "doc.spdx"),
    ("datapackage", FIXTURES / "datapackage.json", "datapackage.json"),
    ("dpi", FIXTURES / "dpi.collection.json", "collection.json"),
    ("axolotl", FIXTURES / "axolotl.mix.yaml", "axolotl.yaml"),
    ("mixer", FIXTURES / "mixer.handbook.yaml", "recipe.yaml"),
    ("references", FIXTURES / "references.txt", "datasets.txt"),
)

HOSTILE_SNIPPETS: tuple[bytes, ...] = (
    b"\x00",
    b"\x1b[31m",
    b"\n::error file=x::pwned\n",
    b"\r",
    b"\xff\xfe",
    b"&a [*a, *a, *a, *a, *a, *a, *a, *a]",
    b"!!timestamp 2020-13-45",
    b"9" * 5000,
    b"[" * 2000,
    b"{" * 2000,
    b'"license": "MIT", "license": "CC-BY-NC-4.0"',
    "\uff59\uff4f\uff55\uff54\uff55\uff42\uff45.com".encode(),  # full-width youtube.com
    b"---\n",
    b"\t",
    b"\xe2\x80\xae",
)


@dataclass(frozen=True)
class Outcome:
    code: int  # 0, 1, 2; -1 traceback; -2 hang
    datasets: int  # the datasets read from the file itself (not upstreams looked up)
    seconds: float
    detail: str = ""
    records: int | None = None  # the dataset records a plain parser sees, where it can count


def seeds() -> list[tuple[str, bytes, str]]:
    """The seed files that exist (the corpus is checked by the corpus tests)."""
    return [(fmt, path.read_bytes(), name) for fmt, path, name in SEEDS if path.is_file()]


def mutate(data: bytes, rng: random.Random, rounds: int = 3) -> bytes:
    """A few random byte-level and structural edits: flips, cuts, repeats, hostile inserts."""
    out = bytearray(data)
    for _ in range(rng.randint(1, rounds)):
        op = rng.randrange(8)
        at = rng.randrange(len(out) + 1)
        if op == 0 and out:
            out[min(at, len(out) - 1)] = rng.randrange(256)
        elif op == 1:
            del out[at : at + rng.randint(1, 64)]
        elif op == 2:
            chunk = out[at : at + rng.randint(1, 256)]
            out[at:at] = chunk * rng.randint(2, 8)
        elif op == 3:
            out[at:at] = rng.choice(HOSTILE_SNIPPETS)
        elif op == 4:
            del out[at:]
        elif op == 5:
            out = bytearray(_structural(bytes(out), rng))
        elif op == 6:
            out = out.replace(b"\n", rng.choice((b"\r", b"\r\n", b"\n\n", b" \n")))
        else:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(out)


def _structural(data: bytes, rng: random.Random) -> bytes:
    """For JSON: replace a random value with a value of another type, or drop a key."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return data
    nodes: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in list(node):
                nodes.append((node, key))
                walk(node[key])
        elif isinstance(node, list):
            for index in range(len(node)):
                nodes.append((node, index))
                walk(node[index])

    walk(doc)
    if not nodes:
        return data
    parent, key = rng.choice(nodes)
    replacement = rng.choice((None, 5, -1, 1.5, True, "", "x", [], {}, [None], {"a": None}))
    if isinstance(parent, list):
        assert isinstance(key, int)
        parent[key] = replacement
    elif isinstance(parent, dict):
        if rng.random() < 0.3:
            del parent[key]
        else:
            parent[key] = replacement
    return json.dumps(doc).encode()


class Hang(Exception):
    pass


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_case(data: bytes, name: str, folder: Path) -> Outcome:
    """Audit ``data`` written as ``folder/name``, offline, and say how it ended."""
    import auditor.engine
    from auditor.errors import InputError
    from auditor.hub import Hub
    from auditor.report import Verdict

    path = folder / name
    path.write_bytes(data)
    hub = Hub(cache_dir=folder / "cache", offline=True)
    started = time.perf_counter()
    try:
        with deadline(HANG_SECONDS):
            report = auditor.engine.audit(path, hub=hub)
    except InputError:
        return Outcome(2, 0, time.perf_counter() - started)
    except Hang:
        return Outcome(-2, 0, time.perf_counter() - started, "hang")
    except Exception:
        return Outcome(-1, 0, time.perf_counter() - started, traceback.format_exc(limit=-3))
    code = 0 if report.verdict is Verdict.PASS else 1
    own = sum(d.manifest == path.as_posix() for d in report.datasets)
    return Outcome(code, own, time.perf_counter() - started, records=_records(data, name))


def _records(data: bytes, name: str) -> int | None:
    """How many dataset records the file holds, by a plain parser, for the formats whose records
    can be counted without the reader's knowledge (a native manifest, a DPI summary)."""
    try:
        doc = json.loads(data) if name.endswith(".json") else yaml.safe_load(data)
    except (ValueError, UnicodeDecodeError, RecursionError, yaml.YAMLError):
        return None
    if name == "mix.yaml" and isinstance(doc, dict) and isinstance(doc.get("datasets"), list):
        return len(doc["datasets"])
    if name == "collection.json" and isinstance(doc, dict):
        return sum(isinstance(record, dict) for record in doc.values())
    return None


def violations(outcome: Outcome) -> list[str]:
    found = []
    if outcome.code == -1:
        found.append(f"traceback: {outcome.detail}")
    if outcome.code == -2:
        found.append("hang")
    # More datasets than records is fine (upstreams looked up are datasets of the run too).
    read = outcome.datasets
    if outcome.code in (0, 1) and outcome.records is not None and read < outcome.records:
        found.append(f"dropped datasets: {outcome.records} records, {read} read")
    if outcome.code == 0 and outcome.datasets == 0:
        found.append("a pass on zero datasets")
    return found


def campaign(
    cases: int, seed: int, keep: Path | None, report: Callable[[str], None] = print
) -> Counter[str]:
    rng = random.Random(seed)
    pool = seeds()
    tally: Counter[str] = Counter()
    slowest = (0.0, "")
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(cases):
            fmt, data, name = rng.choice(pool)
            mutated = mutate(data, rng)
            folder = Path(tmp) / str(index % 64)
            folder.mkdir(exist_ok=True)
            outcome = run_case(mutated, name, folder)
            tally[f"cases {fmt}"] += 1
            tally[f"exit {outcome.code}"] += 1
            slowest = max(slowest, (outcome.seconds, f"{fmt} case {index}"))
            for problem in violations(outcome):
                tally[problem.split(":")[0]] += 1
                if keep is not None:
                    keep.mkdir(parents=True, exist_ok=True)
                    (keep / f"{index}-{fmt}-{name}").write_bytes(mutated)
                report(f"case {index} ({fmt}): {problem}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report(f"slowest case: {slowest[0]:.2f} s ({slowest[1]}); peak memory {peak:.0f} MiB")
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="write failing inputs here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tally = campaign(args.cases, args.seed, args.keep)
    for key in sorted(tally):
        print(f"{key:<28} {tally[key]:>8}")
    print(f"{args.cases} cases in {time.perf_counter() - started:.0f} s")
    bad = sum(
        tally[k] for k in ("traceback", "hang", "a pass on zero datasets", "dropped datasets")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
