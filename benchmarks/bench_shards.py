"""Benchmark: ``auditor scan`` over generated WebDataset shards against a bare ``tarfile`` read.

Run with ``python benchmarks/bench_shards.py [SHARDS] [SAMPLES_PER_SHARD]`` (default 100 shards
of 1,000 samples; the issue's full size is ``10000 1000``: 10 million samples, about 30 GB of
tar, since every member takes a 512-byte header and a 512-byte block). The shards are laid out as
img2dataset writes them, metadata only: per sample a placeholder ``.jpg`` of a few bytes, a
``.txt`` caption and a ``.json`` with ``url``, ``key``, ``status`` and ``license`` (URLs on a
few platforms and a Zipf tail of domains; generation is seeded).

Each round runs, each in a fresh process, in turn:

* ``tarfile``: Python's ``tarfile`` in streaming mode (``r|``) over every shard, reading the
  bytes of every ``.json`` member and nothing else (the floor for any tar-based scan);
* ``tarfile+json``: the same, parsing each ``.json`` with ``json.loads``;
* ``scan``: ``auditor scan SHARDS --write-blocked-keys FILE -f json`` (the CLI, report and keys
  file written; its imports and knowledge base loading included).

The figures are samples per second; the ratio of ``scan`` to ``tarfile`` is taken within each
round, and the best and median of the rounds are reported.
"""

from __future__ import annotations

import io
import json
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

SEED = 20261207
ROUNDS = 3
PLATFORMS: list[tuple[str | None, float]] = [
    ("https://www.youtube.com/watch?v=", 0.05),
    ("https://i.pinimg.com/originals/", 0.10),
    ("https://live.staticflickr.com/65535/", 0.10),
    ("https://upload.wikimedia.org/wikipedia/commons/", 0.05),
]
LICENSES: list[tuple[str | None, float]] = [
    ("CC-BY-4.0", 0.3),
    ("cc-by-nc-sa-4.0", 0.1),
    ("CC0-1.0", 0.1),
    (None, 0.5),
]
TAIL = 20_000

READ = """
import sys, tarfile, json
parse = sys.argv[1] == "json"
count = 0
for path in sys.argv[2:]:
    with tarfile.open(path, "r|") as tar:
        for member in tar:
            if member.name.endswith(".json"):
                data = tar.extractfile(member).read()
                if parse:
                    json.loads(data)
                count += 1
print(count)
"""


def _pick(rng: random.Random, table: Sequence[tuple[str | None, float]]) -> str | None:
    roll = rng.random()
    for value, share in table:
        roll -= share
        if roll < 0:
            return value
    return None


def make_shards(folder: Path, shards: int, per_shard: int) -> list[Path]:
    rng = random.Random(SEED)
    tail = [f"https://img{i % 7}.site{i}.example/p/" for i in range(TAIL)]
    weights = [1 / (rank + 1) for rank in range(TAIL)]
    paths = []
    for shard in range(shards):
        path = folder / f"{shard:05d}.tar"
        buffer = io.BytesIO()
        hosts = rng.choices(tail, weights, k=per_shard)
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for i in range(per_shard):
                key = f"{shard:05d}{i:04d}"
                base = _pick(rng, PLATFORMS) or hosts[i]
                meta = {
                    "url": f"{base}{key}.jpg",
                    "key": key,
                    "status": "success",
                    "license": _pick(rng, LICENSES),
                    "width": 640,
                    "height": 480,
                }
                for name, data in (
                    (f"{key}.jpg", b"\xff\xd8\xff\xe0JFIF"),
                    (f"{key}.txt", f"caption {key}".encode()),
                    (f"{key}.json", json.dumps(meta).encode()),
                ):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
        path.write_bytes(buffer.getvalue())
        paths.append(path)
    return paths


def timed(command: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{command[:4]}... failed ({done.returncode}): {done.stderr.strip()}")
    return elapsed, done.stdout


def main() -> None:
    shards = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    per_shard = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    samples = shards * per_shard
    with tempfile.TemporaryDirectory(prefix="bench-shards-") as tmp:
        folder = Path(tmp) / "shards"
        folder.mkdir()
        start = time.perf_counter()
        paths = make_shards(folder, shards, per_shard)
        size = sum(p.stat().st_size for p in paths)
        print(
            f"generated {shards:,} shards x {per_shard:,} samples = {samples:,} samples, "
            f"{size / 1e6:,.0f} MB, in {time.perf_counter() - start:.1f} s"
        )
        pattern = str(folder / f"{{00000..{shards - 1:05d}}}.tar")
        keys = Path(tmp) / "blocked.tsv"
        names = [str(p) for p in paths]
        rows: dict[str, list[float]] = {"tarfile": [], "tarfile+json": [], "scan": []}
        ratios = []
        for round_ in range(ROUNDS):
            bare, out = timed([sys.executable, "-c", READ, "bytes", *names])
            assert int(out) == samples, out
            parsed, _ = timed([sys.executable, "-c", READ, "json", *names])
            scan_command = [sys.executable, "-m", "auditor", "scan", pattern]
            scanned, report = timed(
                [*scan_command, "--write-blocked-keys", str(keys), "-f", "json"]
            )
            assert json.loads(report)["rows"] == samples
            rows["tarfile"].append(samples / bare)
            rows["tarfile+json"].append(samples / parsed)
            rows["scan"].append(samples / scanned)
            ratios.append(scanned / bare)
            print(
                f"round {round_ + 1}: tarfile {bare:.1f} s, tarfile+json {parsed:.1f} s, "
                f"scan {scanned:.1f} s (scan / tarfile = {scanned / bare:.2f})"
            )
        for name, rates in rows.items():
            print(
                f"{name:>13}: best {max(rates):>10,.0f} samples/s, "
                f"median {statistics.median(rates):>10,.0f} samples/s"
            )
        print(
            f"scan time / tarfile time: best {min(ratios):.2f}, "
            f"median {statistics.median(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
