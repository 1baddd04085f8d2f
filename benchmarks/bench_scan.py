"""Benchmark: ``auditor scan`` on generated URL tables; prints best and median of several rounds.

Run with ``python benchmarks/bench_scan.py [--rows N] [--cases read,scan,split,...] [--rounds R]
[--data DIR]``. The inputs are shaped like a web-scale URL dataset: a few dominant platforms and a
long Zipf tail of domains and subdomains, with a per-row license column; generation is seeded and
cached in ``--data`` (a temporary folder by default). Each measurement runs in a fresh process and
reports wall time (its imports included, ``ray.init`` excluded) and peak memory (max RSS, and
the peak of Arrow's own allocations: the allocator may keep pages the scan has freed). The
cases run in turn in every round, so that a slow spell of a shared machine weighs on all of them;
ratios to ``read`` (or to ``duckdb-hosts`` for ``hosts``, to ``split`` for ``ray``) are computed
within each round, then their best and median reported.

Cases:

* ``read``: pyarrow reading the URL column alone, the floor for any scan;
* ``scan``: the local engine on the Parquet file, report only;
* ``split``: the same, writing both the allowed and the blocked file;
* ``floor``: what any split costs before a URL is judged, written with pyarrow alone: every
  column read in batches, a mask from a comparison of the license column, the rows filtered
  and written to two Parquet files in the input's codec, each by a thread of its own fed by a
  bounded queue (as ``split`` writes them);
* ``split-csv``, ``split-jsonl``: ``split`` on the same rows as CSV and as JSON lines;
* ``hosts``: the scan of a file where ~80 % of rows have a host (and domain) of their own;
* ``duckdb-hosts``: the same job in DuckDB (host and domain cut per row, joined with the
  platform hosts, counted per domain and verdict, top 1,000 domains), if DuckDB is installed;
* ``ray``: ``split`` with ``--engine ray`` on a local Ray of 2 CPUs (``ray.init`` not timed;
  its peak memory is the driver's, the workers being processes of their own);
* ``loop``: a per-row Python loop (``urlsplit`` and dictionaries) over 1,000,000 rows,
  extrapolated to the file's rows.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pcsv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

SEED = 20261125
LOOP_ROWS = 1_000_000
CHUNK = 1_000_000
PLATFORMS = [  # host, share of rows
    ("i.ytimg.com", 0.08),
    ("www.youtube.com", 0.07),
    ("i.pinimg.com", 0.10),
    ("live.staticflickr.com", 0.05),
    ("upload.wikimedia.org", 0.04),
    ("i.redd.it", 0.03),
    ("pbs.twimg.com", 0.02),
    ("cdn.shopify.com", 0.03),
]
TAIL_DOMAINS = 200_000
TLDS = ["com", "org", "net", "de", "co.uk", "fr", "com.au", "io", "jp", "ru", "blogspot.com"]
SUBDOMAINS = ["www", "cdn", "img", "static", "images", "media", "assets"]
LICENSES = [
    ("CC-BY-4.0", 0.2),
    ("cc-by-nc-sa-4.0", 0.1),
    ("CC0-1.0", 0.1),
    (None, 0.4),
    ("?", 0.1),
    ("CC BY-SA 3.0", 0.05),
    ("Public Domain Mark 1.0", 0.05),
]
HOSTS_UNIQUE_SHARE = 0.8  # rows of the ``hosts`` file whose host is their own


def _hosts(rng: np.random.Generator, unique: bool) -> tuple[pa.Array, list[float]]:
    tail = [
        f"{SUBDOMAINS[rng.integers(len(SUBDOMAINS))]}.site{i}.{TLDS[rng.integers(len(TLDS))]}"
        for i in range(TAIL_DOMAINS)
    ]
    head = [s for _, s in PLATFORMS]
    if unique:  # the platforms and the tail share what the per-row hosts leave, 3 to 1
        scale = (1 - HOSTS_UNIQUE_SHARE) * 0.75 / sum(head)
        head = [s * scale for s in head]
    zipf = np.array([1 / (rank + 1) ** 1.07 for rank in range(TAIL_DOMAINS)])
    tail_share = 1 - sum(head) - (HOSTS_UNIQUE_SHARE if unique else 0)
    weights = head + list(zipf * max(tail_share, 0) / zipf.sum())
    return pa.array([h for h, _ in PLATFORMS] + tail), weights


def generate(path: Path, rows: int, *, unique_hosts: bool = False) -> None:
    rng = np.random.default_rng(SEED)
    hosts, weights = _hosts(rng, unique_hosts)
    p = np.array(weights + ([HOSTS_UNIQUE_SHARE] if unique_hosts else []))
    license_values = pa.array([v for v, _ in LICENSES], pa.string())
    license_p = np.array([w for _, w in LICENSES])
    schema = pa.schema([("url", pa.string()), ("license", pa.string())])
    with pq.ParquetWriter(path, schema) as out:
        for start in range(0, rows, CHUNK):
            n = min(CHUNK, rows - start)
            picked = rng.choice(len(p), size=n, p=p / p.sum())
            ids = pa.array(rng.integers(0, 1 << 40, n)).cast(pa.string())
            host = pc.take(hosts, pa.array(np.minimum(picked, len(hosts) - 1)))
            if unique_hosts:
                own = pa.array(picked == len(hosts))
                tlds = pc.take(pa.array(TLDS), pa.array(rng.integers(0, len(TLDS), n)))
                mine = pc.binary_join_element_wise("h", ids, ".", tlds, "")
                host = pc.if_else(own, mine, host)
            urls = pc.binary_join_element_wise("https://", host, "/images/", ids, ".jpg", "")
            lic = pa.array(rng.choice(len(LICENSES), size=n, p=license_p / license_p.sum()))
            out.write_table(pa.table({"url": urls, "license": pc.take(license_values, lic)}))


def as_csv(parquet: Path, path: Path) -> None:
    with pcsv.CSVWriter(path, pq.read_schema(parquet)) as out:
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=CHUNK):
            out.write_batch(batch)


def as_jsonl(parquet: Path, path: Path) -> None:
    from auditor.scan.sources import joined

    with path.open("wb") as out:
        for batch in pq.ParquetFile(parquet).iter_batches(batch_size=CHUNK):
            license = batch.column("license")
            quoted = pc.binary_join_element_wise('"', license, '"', "")
            lines = pc.binary_join_element_wise(
                '{"url": "',
                batch.column("url"),
                '", "license": ',
                pc.fill_null(quoted, "null"),
                "}\n",
                "",
            )
            out.write(joined(lines.cast(pa.binary())))


# --- measurements, each in a fresh process ------------------------------------------------


def measure_read(path: Path, out: Path) -> int:
    rows: int = pq.read_table(path, columns=["url"]).num_rows
    return rows


def _scan(path: Path, out: Path | None, fmt: str = "parquet") -> int:
    from auditor.scan.engine import ScanOptions, scan
    from auditor.scan.formats import InputFormat
    from auditor.scan.sources import Source

    suffix = path.suffix
    options = ScanOptions(
        write_allowed=out / f"allowed{suffix}" if out else None,
        write_blocked=out / f"blocked{suffix}" if out else None,
    )
    return scan(Source(path, InputFormat(fmt)), options).rows


def measure_scan(path: Path, out: Path) -> int:
    return _scan(path, None)


def measure_split(path: Path, out: Path) -> int:
    return _scan(path, out)


def measure_split_csv(path: Path, out: Path) -> int:
    return _scan(path.with_suffix(".csv"), out, "csv")


def measure_split_jsonl(path: Path, out: Path) -> int:
    return _scan(path.with_suffix(".jsonl"), out, "jsonl")


def measure_hosts(path: Path, out: Path) -> int:
    return _scan(path.with_name("hosts.parquet"), None)


def measure_duckdb_hosts(path: Path, out: Path) -> int:
    import duckdb

    from auditor.knowledge import load_knowledge

    domains = sorted({d for p in load_knowledge().platforms for d in p.domains})
    db = duckdb.connect()
    db.execute("SET threads = 2")
    db.execute("CREATE TABLE platform_hosts (domain VARCHAR)")
    db.executemany("INSERT INTO platform_hosts VALUES (?)", [(d,) for d in domains])
    source = str(path.with_name("hosts.parquet"))
    db.execute(
        f"""
        CREATE TEMP TABLE by_domain AS
        WITH hosts AS (
            SELECT regexp_extract(url, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/?#]*)', 1) AS host, license
            FROM read_parquet('{source}')
        ), cut AS (
            SELECT host, regexp_extract(host, '([^.]+\\.[^.]+)$', 1) AS domain, license
            FROM hosts
        )
        SELECT cut.domain, platform_hosts.domain IS NOT NULL AS platform, license,
               count(*) AS rows
        FROM cut LEFT JOIN platform_hosts ON cut.domain = platform_hosts.domain
        GROUP BY ALL
        """
    )
    db.execute(
        "SELECT domain, sum(rows) AS n FROM by_domain GROUP BY domain ORDER BY n DESC LIMIT 1000"
    ).fetchall()
    db.execute("SELECT count(DISTINCT domain) FROM by_domain").fetchall()
    (rows,) = db.execute("SELECT sum(rows) FROM by_domain").fetchone() or (0,)
    return int(rows)


def measure_floor(path: Path, out: Path) -> int:
    import queue
    import threading

    source = pq.ParquetFile(path)
    codec = str(source.metadata.row_group(0).column(0).compression).lower()
    codec = {"lz4_raw": "lz4", "uncompressed": "none"}.get(codec, codec)  # as the writer names it
    failed: list[Exception] = []
    feeds: list[queue.Queue[tuple[pa.RecordBatch, pa.Array] | None]] = [
        queue.Queue(2),
        queue.Queue(2),
    ]

    def write(target: Path, feed: queue.Queue[tuple[pa.RecordBatch, pa.Array] | None]) -> None:
        with pq.ParquetWriter(target, source.schema_arrow, compression=codec) as writer:
            while (item := feed.get()) is not None:
                try:
                    writer.write_batch(item[0].filter(item[1]), row_group_size=1 << 30)
                except Exception as exc:  # the measurement fails; the feed is still drained
                    failed.append(exc)

    threads = [
        threading.Thread(target=write, args=(out / name, feed))
        for name, feed in zip(("allowed.parquet", "blocked.parquet"), feeds, strict=True)
    ]
    for thread in threads:
        thread.start()
    rows = 0
    for batch in source.iter_batches(batch_size=1 << 18):
        rows += batch.num_rows
        keep = pc.fill_null(pc.equal(batch.column("license"), "CC0-1.0"), False)
        feeds[0].put((batch, keep))
        feeds[1].put((batch, pc.invert(keep)))
    for feed in feeds:
        feed.put(None)
    for thread in threads:
        thread.join()
    if failed:
        raise failed[0]
    return rows


def measure_ray(path: Path, out: Path) -> int:
    from auditor.scan.distributed import scan_on_ray
    from auditor.scan.engine import ScanOptions
    from auditor.scan.formats import InputFormat
    from auditor.scan.sources import Source

    options = ScanOptions(write_allowed=out / "allowed-ray", write_blocked=out / "blocked-ray")
    return scan_on_ray(Source(path, InputFormat.PARQUET), options).rows


def measure_loop(path: Path, out: Path) -> int:
    """The per-row baseline: urlsplit, then dictionaries for the host's verdict and the counts."""
    from urllib.parse import urlsplit

    from auditor.knowledge import load_knowledge

    kb = load_knowledge()
    platforms = {d: p.id for p in kb.platforms for d in p.domains}
    verdicts: dict[str, str] = {}
    counts: dict[tuple[str, str], int] = {}
    rows = 0
    for batch in pq.ParquetFile(path).iter_batches(columns=["url"], batch_size=CHUNK):
        for url in batch.column(0).to_pylist():
            rows += 1
            host = urlsplit(url).hostname or "" if url else ""
            verdict = verdicts.get(host)
            if verdict is None:
                parts = host.split(".")
                found = next(
                    (
                        platforms[".".join(parts[i:])]
                        for i in range(len(parts))
                        if ".".join(parts[i:]) in platforms
                    ),
                    None,
                )
                verdict = verdicts[host] = "blocked" if found else "allowed"
            counts[(host, verdict)] = counts.get((host, verdict), 0) + 1
        if rows >= LOOP_ROWS:
            break
    return rows


MEASURES: dict[str, Callable[[Path, Path], int]] = {
    "read": measure_read,
    "scan": measure_scan,
    "split": measure_split,
    "floor": measure_floor,
    "split-csv": measure_split_csv,
    "split-jsonl": measure_split_jsonl,
    "hosts": measure_hosts,
    "duckdb-hosts": measure_duckdb_hosts,
    "ray": measure_ray,
    "loop": measure_loop,
}
BASELINE = {"hosts": "duckdb-hosts", "ray": "split", "duckdb-hosts": "hosts"}


def run(what: str, path: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter: seconds, rows and peak RSS in MiB. The
    interpreter allocates as ``auditor scan`` does (its Arrow allocator, unless the environment
    names one)."""
    from auditor.cli import prefer_arrow_pool  # here: not loaded by every measurement

    env = dict(os.environ)
    prefer_arrow_pool(env)
    done = subprocess.run(
        [sys.executable, __file__, "--measure", what, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(what: str, path: Path) -> None:
    if what == "ray":
        import ray

        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=path.parent) as out:
        rows = MEASURES[what](path, Path(out))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    arrow = pa.default_memory_pool().max_memory() / 2**20
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mib": peak, "arrow_mib": arrow}))


def prepare(data: Path, rows: int, cases: list[str]) -> Path:
    data.mkdir(parents=True, exist_ok=True)
    path = data / "urls.parquet"
    marker = data / "rows.txt"
    if not path.exists() or not marker.exists() or marker.read_text() != str(rows):
        for old in data.iterdir():
            old.unlink()
        generate(path, rows)
        marker.write_text(str(rows))
    for case, suffix, write in (("split-csv", ".csv", as_csv), ("split-jsonl", ".jsonl", as_jsonl)):
        if case in cases and not path.with_suffix(suffix).exists():
            partial = path.with_suffix(".partial")
            write(path, partial)
            partial.replace(path.with_suffix(suffix))
    hosts = data / "hosts.parquet"
    if {"hosts", "duckdb-hosts"} & set(cases) and not hosts.exists():
        generate(hosts, rows, unique_hosts=True)
    return path


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        # Each measurement imports what it needs, and that import is timed with it.
        importlib.invalidate_caches()
        measure(sys.argv[2], Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--cases", default="read,scan,split")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    cases = args.cases.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp)
        t0 = time.perf_counter()
        path = prepare(data, args.rows, cases)
        print(f"{args.rows:,} rows ready in {time.perf_counter() - t0:.1f} s ({data})")
        rounds = [{what: run(what, path) for what in cases} for _ in range(args.rounds)]
    for what in cases:
        seconds = [r[what]["seconds"] for r in rounds]
        peaks = [r[what]["peak_mib"] for r in rounds]
        arrow = max(r[what]["arrow_mib"] for r in rounds)
        rows = rounds[0][what]["rows"]
        if what == "loop":
            seconds = [s * args.rows / rows for s in seconds]
        line = (
            f"{what:13} best {min(seconds):7.2f} s  median {statistics.median(seconds):7.2f} s  "
            f"peak {max(peaks):6,.0f} MiB (Arrow {arrow:5,.0f})  "
            f"{args.rows / min(seconds):>10,.0f} rows/s"
        )
        base = BASELINE.get(what, "read")
        if base in cases and base != what:
            ratios = [r[what]["seconds"] / r[base]["seconds"] for r in rounds]
            line += f"  vs {base}: best {min(ratios):.2f}x median {statistics.median(ratios):.2f}x"
        print(line)


if __name__ == "__main__":
    main()
