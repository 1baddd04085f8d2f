"""The local engine: stream a manifest through the classifier, tally it, split it, report.

Batches are read one at a time; the vectorized half of classification (cutting out authorities,
dictionary encoding, counting rows per distinct value) runs in worker threads, ahead of the half
that judges distinct values on the calling thread, with at most a few batches in flight, so peak
memory does not grow with the number of rows. The knowledge base loads while the first batches
are read.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc  # type: ignore[import-untyped]

from auditor.errors import InputError
from auditor.knowledge import load_knowledge
from auditor.policy import Policy, Severity, load_policy
from auditor.scan.classify import Classifier, Prepared, prepare
from auditor.scan.crawlers import load_crawlers, training_tokens
from auditor.scan.domains import MAX_ENTRIES
from auditor.scan.hosts import PlatformIndex
from auditor.scan.optout import Snapshots
from auditor.scan.report import ScanReport, Settings, build_report
from auditor.scan.sinks import Sink
from auditor.scan.sources import Chunk, Source
from auditor.scan.tally import ScanTally

ASSUMED = "not stated (assumed automated collection)"


def nothing_read(path: str | Path, fmt: str, unit: str = "rows") -> InputError:
    """The error of a scan that read no row: an empty input is never a pass, as ``check``
    refuses a manifest of no dataset."""
    return InputError(path, f"nothing to scan: no {unit} found (read as {fmt})")


# Batches prepared ahead of the one being judged. Measured with benchmarks/bench_scan.py (10M
# rows, alternated): one ahead, and one batch queued per writer, is as fast as two and two and
# takes 3-8 % less memory (split 514-531 against 533-551 MiB, CSV 643-673 against 684-719).
_IN_FLIGHT = 1
# When more than this share of a batch's hosts were new, the next batches' hosts are judged in
# the worker threads that prepare them, ahead of the classifier's own thread, and its cache is
# not looked up; one batch in _MEASURE goes through the cache, to see whether it still misses.
_JUDGE_AHEAD = 0.5
_MEASURE = 8
# Host classes the classifier keeps between batches (about 100 bytes each): beyond, it forgets
# them all and judges hosts again as they come, so memory stays flat with millions of hosts.
HOST_CACHE = 2_000_000


@dataclass(frozen=True)
class ScanOptions:
    policy: str | Policy = "commercial"
    method: str | None = None  # how the content was collected; None: the source's, or unstated
    snapshots: Path | None = None  # opt-out snapshot directory; None: opt-outs not checked
    user_agents: tuple[str, ...] = ()  # more crawler tokens to judge robots.txt and ai.txt for
    fail_on: Severity = Severity.ERROR
    max_blocked_share: float = 0.0
    top_fraction: float = 0.1
    max_domains: int = 1000
    max_domain_entries: int = MAX_ENTRIES  # the domain table's bound (see auditor.scan.domains)
    write_allowed: Path | None = None
    write_blocked: Path | None = None
    threads: int = 2


def classifier_for(options: ScanOptions, method: str | None, source: str) -> Classifier:
    """A classifier for ``options``: knowledge base, policy, opt-out snapshots and tokens."""
    policy = options.policy if isinstance(options.policy, Policy) else load_policy(options.policy)
    snapshots = None
    if options.snapshots is not None:
        tokens = (*training_tokens(load_crawlers()), *options.user_agents)
        snapshots = Snapshots(options.snapshots, tuple(dict.fromkeys(tokens)))
    return Classifier(load_knowledge(), policy, method=method, snapshots=snapshots, source=source)


def _settled(
    settled: Callable[[], None], options: ScanOptions, method: str | None, source: str
) -> Classifier:
    classifier = classifier_for(options, method, source)
    settled()
    return classifier


def settings_for(options: ScanOptions, source: Source, method: str | None) -> Settings:
    return scan_settings(
        options,
        label=str(source.path),
        input_format=source.format.value,
        method=method,
        url_column=source.url_column,
        license_column=source.license_column,
    )


def scan_settings(
    options: ScanOptions,
    *,
    label: str,
    input_format: str,
    method: str | None,
    url_column: str,
    license_column: str | None,
) -> Settings:
    """The settings a scan report records: what was read, and the options it was judged by."""
    return Settings(
        input=label,
        input_format=input_format,
        method=method or ASSUMED,
        url_column=url_column,
        license_column=license_column,
        fail_on=options.fail_on,
        max_blocked_share=options.max_blocked_share,
        top_fraction=options.top_fraction,
        max_domains=options.max_domains,
        max_domain_entries=options.max_domain_entries,
    )


def scan(
    source: Source, options: ScanOptions, progress: Callable[[int], None] | None = None
) -> ScanReport:
    """Scan ``source``; write the allowed and blocked rows if asked; return the report."""
    with _long_lived_heap() as settled:
        return _scan(source, options, progress, settled)


@contextmanager
def _long_lived_heap() -> Iterator[Callable[[], None]]:
    """Leave the objects alive when the scan starts (modules, caches), and those alive when the
    function it gives is called (the classifier, once built), out of the garbage collector's
    full passes until the scan ends: each full pass would otherwise walk all of them again while
    the scan allocates in bursts (batches, the report's entries). A caller's own frozen objects
    stay frozen."""
    if gc.get_freeze_count():
        yield lambda: None
        return
    gc.freeze()
    try:
        yield gc.freeze
    finally:
        gc.unfreeze()


def _scan(
    source: Source,
    options: ScanOptions,
    progress: Callable[[int], None] | None,
    settled: Callable[[], None],
) -> ScanReport:
    method = options.method or source.default_method
    tallies: list[ScanTally] = []
    sinks = [
        (Sink(path, source), allowed)
        for path, allowed in ((options.write_allowed, True), (options.write_blocked, False))
        if path is not None
    ]
    pending: deque[tuple[Chunk, Future[Prepared]]] = deque()
    read = 0
    ahead: list[PlatformIndex | None] = [None]  # judge hosts in the workers, with this index
    submitted = 0

    def handle(classifier: Classifier, chunk: Chunk, prepared: Future[Prepared]) -> None:
        nonlocal read
        read += len(chunk.urls)
        found = classifier.finish(prepared.result(), rows=bool(sinks))
        if not tallies:
            tallies.append(ScanTally(classifier, options.max_domain_entries))
        tallies[0].add(found)
        if sinks:
            assert found.host is not None
            slot = pc.add(found.license, 1) if found.license is not None else None
            excluded = classifier.excluded_bits(options.fail_on)
            mask = classifier.masks(found.host, slot)
            blocked = pc.not_equal(pc.bit_wise_and(mask, excluded), 0)
            for sink, allowed in sinks:
                sink.write(chunk, pc.invert(blocked) if allowed else blocked)
        if classifier.hosts_held > HOST_CACHE:  # no class is held past the batch
            classifier.forget_hosts()
        ahead[0] = classifier.platform_index if classifier.new_share > _JUDGE_AHEAD else None
        if progress is not None:
            progress(len(chunk.urls))

    try:
        with ThreadPoolExecutor(max_workers=max(1, options.threads)) as pool:
            # The knowledge base loads while the first batches are read and prepared.
            with ThreadPoolExecutor(max_workers=1) as setup:
                building = setup.submit(_settled, settled, options, method, str(source.path))
                for chunk in source.chunks(full=bool(sinks)):
                    judge = ahead[0] if submitted % _MEASURE else None
                    prepared = pool.submit(
                        prepare, chunk.urls, chunk.licenses, chunk.invalid, judge
                    )
                    pending.append((chunk, prepared))
                    submitted += 1
                    if len(pending) > _IN_FLIGHT:
                        handle(building.result(), *pending.popleft())
                classifier = building.result()
            while pending:
                handle(classifier, *pending.popleft())
        if not read:
            raise nothing_read(source.path, source.format.value)
        for sink, _ in sinks:  # they write their last rows and close while the report is built
            sink.finish()
        (tally,) = tallies
        report = build_report(
            tally.counts(),
            tally.license_rows(),
            classifier,
            settings_for(options, source, method),
            classifier.snapshots,
            tally.domains,
        )
        for sink, _ in sinks:
            sink.settle()  # raises what failed on the sink's thread, if anything did
        for sink, _ in sinks:  # both files are written before either is renamed into place
            sink.publish()
    except BaseException:
        for sink, _ in sinks:
            sink.abort()
        raise
    return report
