"""Benchmark and measurement on the shared corpus of real metadata (../shared/corpus).

1. Audits the 568 Hugging Face dataset cards in one run (``auditor.audit`` over every card, Hub
   look-ups off) and prints the time.
2. Per format: files read, datasets found, and the share whose license resolved (status not
   unknown) to a known expression.
3. License strings: every license value and licensing section in the corpus, resolved; the number
   of distinct strings and the share of each resolution status.
4. Data Provenance Initiative summaries audited end to end: per modality, how many datasets get a
   model-output or platform-terms finding.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import auditor.engine
from auditor import readers
from auditor.errors import InputError
from auditor.hub import Hub
from auditor.knowledge import load_knowledge
from auditor.licensing import Status
from auditor.resolver import resolver_for
from auditor.rulebook import Rule

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
FOLDERS = {
    "hf-cards": "hf-cards/*/README.md",
    "croissant": "croissant/*.json",
    "spdx3": "spdx3/*.json",
    "cyclonedx": "cyclonedx/*.json",
    "dpi": "dpi/*/*.json",
    "mixes": "mixes/*.y*ml",
}


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    hub = Hub(cache_dir=Path("/nonexistent-auditor-cache"), offline=True)
    cards = sorted(CORPUS.glob(FOLDERS["hf-cards"]))
    readable = []
    for card in cards:
        try:
            readers.read(card)
            readable.append(card)
        except InputError:
            pass
    started = time.perf_counter()
    report = auditor.engine.audit(readable, hub=hub)
    elapsed = time.perf_counter() - started
    verdicts = dict(Counter(d.verdict.value for d in report.datasets))
    print(
        f"audit of {len(readable)} readable cards (of {len(cards)}): {elapsed:.2f} s, "
        f"{len(report.findings)} findings, verdicts {verdicts}"
    )

    resolver = resolver_for(load_knowledge())
    strings: Counter[str] = Counter()
    print("\nformat       files  read  datasets  license resolved")
    for folder, pattern in FOLDERS.items():
        files = sorted(CORPUS.glob(pattern))
        read = datasets = resolved = 0
        for path in files:
            try:
                manifest = readers.read(path)
            except InputError:
                continue
            read += 1
            for ds in manifest.datasets:
                datasets += 1
                result = resolver.resolve_dataset(ds.licenses, ds.license_notes)
                resolved += result.status is not Status.UNKNOWN
                strings.update(f.value for f in (*ds.licenses, *ds.license_notes))
        share = f"{resolved / datasets:.0%}" if datasets else "-"
        print(f"{folder:<12} {len(files):>5} {read:>5} {datasets:>9}  {resolved:>6} ({share})")

    statuses = Counter(resolver.resolve(s).status.value for s in strings)
    total = sum(statuses.values())
    print(f"\ndistinct license strings: {total} ({sum(strings.values())} occurrences)")
    for status in Status:
        count = statuses[status.value]
        print(f"  {status.value:<10} {count:>5}  {count / total:.1%}")

    print("\nData Provenance Initiative summaries, audited end to end (commercial policy):")
    for modality in ("text", "video", "speech"):
        files = sorted((CORPUS / "dpi" / modality).glob("*.json"))
        files = [f for f in files if not f.name.startswith("_")]
        dpi = auditor.engine.audit(files, hub=hub)
        model = {f.dataset for f in dpi.findings if f.rule is Rule.MODEL_OUTPUT_TERMS and not f.via}
        platform = {
            f.dataset
            for f in dpi.findings
            if f.rule in (Rule.TOS_SCRAPING_PROHIBITED, Rule.TOS_AI_TRAINING_PROHIBITED)
        }
        print(
            f"  {modality:<7} {len(dpi.datasets):>5} datasets: {len(model):>4} with "
            f"model-output-terms, {len(platform):>4} with platform-terms findings; "
            f"verdicts {dict(Counter(d.verdict.value for d in dpi.datasets))}"
        )


if __name__ == "__main__":
    main()
