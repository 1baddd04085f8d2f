"""Build the generated part of the dataset registry from public, citable metadata.

Reads three collections of metadata files, each copied unmodified from a public repository at a
known commit (``../shared/corpus`` holds them; see its README), and writes
``rules/registry/generated/<source>.json``:

* Data Provenance Initiative data summaries: entries with ``evidence: expert-audit``. Their
  ``Licenses`` were audited by that project's annotators; ``Model Generated``, ``Derived from
  Datasets``, ``Creators``, the sources and ``Taken Down`` carry over too. The crawler's
  ``Inferred Metadata`` is left out: it is what the Hub or Papers with Code said, unaudited.
* Hugging Face dataset cards (the canonical cards of ``huggingface/datasets``, written by
  contributors rather than publishers): entries with ``evidence: hub-tag``.
* Croissant metadata files of real datasets (those whose ``url`` names where the dataset lives):
  ``evidence: hub-tag`` too.

Facts are read by the auditor's own readers, so a registry entry says what an audit of the same
file would. Every entry cites its file at the source commit, with the commit's date.

Matching keys (id, aliases, URLs in the normal form of :func:`auditor.knowledge.dataset_key`) are
made unique: sources are taken in the order above, and a later entry whose id an earlier one holds
is the same dataset: it lends its other names to it and is dropped. An alias or URL that names
several datasets names none of them and is left out, except that names shared by the subsets of
one Hub repository go to that repository's entry. A Hub repository that several audited records
point to gets an entry of its own carrying every license of any of them.

Run from the repository root; ``--check`` compares instead of writing (the test suite runs it)::

    python scripts/build_registry.py [--corpus ../shared/corpus] [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from auditor import readers
from auditor.knowledge import (
    GENERATED,
    EvidenceLevel,
    Modality,
    RegistryEntry,
    dataset_key,
    hub_page_id,
)
from auditor.model import Dataset
from auditor.readers import hf_card

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
OUTPUT = ROOT / "rules" / "registry" / GENERATED
SCRIPT = "scripts/build_registry.py"


@dataclass(frozen=True)
class Upstream:
    """A public repository at a commit: where a collection of metadata files comes from."""

    repo: str
    commit: str
    dated: date

    def blob(self, path: str) -> str:
        return f"https://github.com/{self.repo}/blob/{self.commit}/{path.replace(' ', '%20')}"

    def version(self, what: str) -> str:
        return f"{what} at {self.repo}@{self.commit[:7]}"


DPI = Upstream(
    "Data-Provenance-Initiative/Data-Provenance-Collection",
    "ce6662deccf011574427b6f112df479d261960b8",
    date(2025, 3, 25),
)
HF_DATASETS = Upstream(
    "huggingface/datasets", "d7dfbc83d68e87ba002c5eb2555f7a932e59038a", date(2022, 10, 3)
)
CROISSANT = Upstream(
    "mlcommons/croissant", "401f6fff81db26a49c0d1704f02bffc4e4fa8fe2", date(2026, 7, 15)
)
# Corpus folder of each DPI modality, the folder of the upstream repository, the modality.
DPI_FOLDERS = (
    ("text", "data_summaries", Modality.INSTRUCTION),
    ("video", "data_summaries-video", Modality.VIDEO),
    ("speech", "data_summaries-speech", Modality.SPEECH),
)
_DPI_URLS = (
    "Dataset URL",
    "GitHub URL",
    "Website URL",
    "Paper URL",
    "ArXiv URL",
    "Papers with Code URL",
)
_CODE_TASK = re.compile(r"\bcode\b|program", re.IGNORECASE)
# Canonical cards of huggingface/datasets whose repositories the Hub moved under an organization
# or user namespace in 2024 ("We have already transferred all canonical datasets under
# organization/user namespaces", huggingface/datasets#5096, 2024-06-24): the new id is another name
# of the same dataset, the one teams load it by now (same configs: wikitext-103-raw-v1 and
# wikitext-2-raw-v1, v1.1 and v2.1 of ms_marco). Each moved to its creators' namespace: WikiText
# by Salesforce Research, LJ Speech by Keith Ito (keithito.com), MS MARCO by Microsoft.
_MOVED_CARDS = {
    "wikitext": "Salesforce/wikitext",
    "lj_speech": "keithito/lj_speech",
    "ms_marco": "microsoft/ms_marco",
}
_MOVED_NOTE = (
    "Hub id {moved}: the repository this canonical card's dataset moved to when the Hub moved "
    "canonical datasets under organization or user namespaces "
    "(https://github.com/huggingface/datasets/issues/5096, 2024-06-24)"
)
# Where DPI says a video or speech dataset's media come from ("Video Sources"; speech "Source").
# A source the reader keeps as a collection is a site whose terms are checked; of the others, those
# that name the creators' own recordings or a model's output are the dataset's own; every other
# ("movies", "Anime", "undisclosed web", "Internet Video", "TV", a broadcaster) names media made by
# others, and is kept as written in collected_from: it names no site whose terms can be checked,
# so the gate fails closed on it (collection-unresolved) rather than letting the dataset's license
# stand for media it does not cover. The own words are DPI's vocabulary for recordings made for
# the dataset (data_summaries-video/_template.json, data_summaries-speech; ../shared/corpus/dpi).
_MEDIA_SOURCES = {Modality.VIDEO: ("Video Sources",), Modality.SPEECH: ("Source",)}
_OWN_MEDIA = frozenset(
    {
        "human",
        "human participants",
        "crowdsourced",
        "crowd-sourcing",
        "calling platform",
        "digital telephone lines",
        "models",
        "derived dataset",
    }
)
# Lines of a card's "Dataset Description" that link where the dataset lives.
_CARD_LINK = re.compile(
    r"^\s*[-*]\s*\*\*(?:homepage|repository|paper):?\*\*:?\s*(?P<rest>.+)$", re.IGNORECASE
)
_URL = re.compile(r"https?://[^\s\])]+")
_LINK_TARGET = re.compile(r"\((https?://[^)\s]+)\)|(https?://\S+)")
_PLACEHOLDER_LINK = "huggingface/datasets/blob/master/CONTRIBUTING.md"
_SPEECH_TASKS = ("automatic-speech-recognition", "text-to-speech", "speech")
_IMAGE_TASKS = ("image", "object-detection", "visual-question-answering")
_TABULAR_TASKS = ("tabular", "time-series")
_MEDIA_TYPES = {
    "ImageObject": Modality.IMAGE,
    "VideoObject": Modality.VIDEO,
    "AudioObject": Modality.AUDIO,
}
_NOT_A_HOME = frozenset({"mlcommons.org"})  # the Croissant examples' placeholder url
# A paper-style dataset name, "Short: a long title (VENUE YEAR)": the short name is how papers and
# configs name the dataset ("HMDB", "UCF101"); at most four words before the colon.
_NAME_MARK = re.compile(r"[A-Z0-9+-]")  # past its first letter: an acronym or a coined name
_TITLED = re.compile(r"^(?P<short>[^:\s][^:]{0,39}?):\s+\S")


@dataclass
class Draft:
    """An entry being built: its facts, and the names it may be matched by."""

    id: str
    fields: dict[str, Any]
    names: list[str] = field(default_factory=list)  # aliases and URLs, candidates
    group: str | None = None  # the id of the Hub repository entry its subsets share

    def key(self) -> str:
        return dataset_key(self.id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="the metadata corpus")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the folder written")
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    files = build(args.corpus)
    if args.check:
        stale = [name for name, text in files.items() if _read(args.output / name) != text]
        extra = sorted(p.name for p in args.output.glob("*.json") if p.name not in files)
        for name in [*stale, *extra]:
            print(f"{args.output / name}: out of date, run {SCRIPT}", file=sys.stderr)
        return 1 if stale or extra else 0
    args.output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.output / name).write_text(text, encoding="utf-8")
    counts = ", ".join(f"{name}: {text.count(_ENTRY)}" for name, text in files.items())
    print(f"wrote {args.output} ({counts})", file=sys.stderr)
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def build(corpus: Path) -> dict[str, str]:
    """The generated registry files, by file name: the same corpus gives the same bytes."""
    drafts = [
        *_dpi(corpus / "dpi"),
        *_cards(corpus / "hf-cards"),
        *_croissant(corpus / "croissant"),
    ]
    kept = _resolve(drafts)
    by_file: dict[str, list[RegistryEntry]] = defaultdict(list)
    for draft, origin in kept:
        entry = RegistryEntry.model_validate(draft.fields)  # what the loader will accept
        by_file[f"{origin}.json"].append(entry)
    return {
        name: _render(name, sorted(entries, key=lambda e: (e.id.casefold(), e.id)))
        for name, entries in sorted(by_file.items())
    }


# --- Data Provenance Initiative summaries -------------------------------------------------------


def _dpi(folder: Path) -> Iterator[tuple[Draft, str]]:
    records: list[tuple[Path, str, str, Modality, dict[str, Any], Dataset]] = []
    for corpus_folder, upstream_folder, modality in DPI_FOLDERS:
        for path in sorted((folder / corpus_folder).glob("*.json")):
            if path.name.startswith("_"):
                continue  # the schema's template
            data = json.loads(path.read_text(encoding="utf-8"))
            manifest = readers.read(path, fmt="dpi")
            for ds in manifest.datasets:
                raw = data[ds.id]
                records.append((path, f"{upstream_folder}/{path.name}", ds.id, modality, raw, ds))
    by_hub: dict[str, list[int]] = defaultdict(list)
    by_collection: Counter[str] = Counter()
    for index, (*_, raw, _ds) in enumerate(records):
        hub = _hub_id(raw.get("Hugging Face URL"))
        if hub:
            by_hub[dataset_key(hub)].append(index)
        by_collection[_text(raw.get("Collection")) or ""] += 1
    groups: dict[int, str] = {}
    for members in by_hub.values():
        if len(members) > 1:
            hub = _hub_id(records[members[0]][4].get("Hugging Face URL"))
            assert hub is not None
            groups.update((m, hub) for m in members)
            yield _dpi_repository(hub, [records[m] for m in members]), "dpi"
    for index, (_path, upstream, key, modality, raw, ds) in enumerate(records):
        hub = _hub_id(raw.get("Hugging Face URL"))
        ident = _text(raw.get("Unique Dataset Identifier")) or key
        collection = _text(raw.get("Collection")) or ""
        alone = by_collection[collection] == 1
        own_repo = hub if hub and index not in groups else None
        name = _text(raw.get("Dataset Name")) or ident
        if not alone and not own_repo and collection.casefold() not in name.casefold():
            name = f"{collection}: {name}"  # a subset, named within its collection
        draft = Draft(
            id=own_repo or ident,
            fields={
                "name": name,
                "modality": _dpi_modality(modality, raw),
                "evidence": EvidenceLevel.EXPERT_AUDIT,
                **_facts(ds, _media_sources(modality, raw)),
                "source": _source(DPI, upstream, "Data Provenance Initiative summary"),
            },
            names=[
                ident,
                key,
                *([_text(raw.get("Dataset Name")) or "", collection] if alone else []),
                *([_short_name(_text(raw.get("Dataset Name")) or "")] if alone else []),
                *_urls(raw.get(field) for field in _DPI_URLS),
            ],
            group=groups.get(index),
        )
        if _text(raw.get("Taken Down")) == "True" or raw.get("Taken Down") is True:
            draft.fields["withdrawn"] = {
                "source": _source(DPI, upstream, "Data Provenance Initiative summary"),
                "note": "marked 'Taken Down' by the Data Provenance Initiative's audit",
            }
        yield draft, "dpi"


def _short_name(name: str) -> str:
    """The short name before a paper title's colon (``HMDB`` of ``HMDB: A Large Video
    Database ...``), or "" when the name has no such form."""
    titled = _TITLED.match(name)
    if titled is None:
        return ""
    short = titled["short"].strip()
    words = len(short.split())
    # One plain word ("Volleyball", "Collective") could be anyone's name for anything.
    if words > 4 or (words == 1 and not _NAME_MARK.search(short[1:])):
        return ""
    return short


def _dpi_repository(
    hub: str, members: list[tuple[Path, str, str, Modality, dict[str, Any], Dataset]]
) -> Draft:
    """One Hub repository several audited records point to: every fact of any of them."""
    collections = sorted({_text(raw.get("Collection")) or "" for *_, raw, _ in members})
    upstreams = sorted({upstream for _, upstream, *_ in members})
    facts = [_facts(ds, _media_sources(m, raw)) for _, _, _, m, raw, ds in members]
    modalities = Counter(_dpi_modality(m, raw) for _, _, _, m, raw, _ in members)
    merged: dict[str, Any] = {
        "name": hub,
        "modality": modalities.most_common(1)[0][0],
        "evidence": EvidenceLevel.EXPERT_AUDIT,
    }
    for name in ("license", "generated_by", "derived_from", "collected_from", "creators"):
        values = _unique(v for f in facts for v in f.get(name, ()))
        if values:
            merged[name] = values
    if any(f.get("machine_generated") for f in facts) and "generated_by" not in merged:
        merged["machine_generated"] = True
    note = f"also {', '.join(upstreams[1:])}" if len(upstreams) > 1 else None
    merged["source"] = _source(DPI, upstreams[0], "Data Provenance Initiative summary", note)
    keys = sorted(key for _, _, key, *_ in members)
    merged["notes"] = (
        f"The Hub repository of {len(members)} datasets the Data Provenance Initiative audits "
        f"one by one ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''}); every license "
        "of any of them applies to the repository as a whole."
    )
    return Draft(id=hub, fields=merged, names=collections if len(collections) == 1 else [])


def _dpi_modality(modality: Modality, raw: dict[str, Any]) -> Modality:
    if modality is Modality.INSTRUCTION:
        tasks = raw.get("Task Categories") or []
        if any(isinstance(t, str) and _CODE_TASK.search(t) for t in tasks):
            return Modality.CODE
    return modality


# --- Hugging Face cards -------------------------------------------------------------------------


def _cards(folder: Path) -> Iterator[tuple[Draft, str]]:
    for path in sorted(folder.glob("*/README.md")):
        doc = hf_card.load(path)
        meta = doc.data.meta if doc is not None and isinstance(doc.data, hf_card.Card) else {}
        if not meta:
            continue  # a packaged loader (csv, json, imagefolder), not a dataset
        (ds,) = readers.read(path, fmt="hf-card").datasets
        facts = _facts(ds)
        names = [n for n in ds.license_notes if n.origin in ("license_name", "license_details")]
        if names:
            facts["license"] = _unique([*facts.get("license", ()), *(n.value for n in names)])
        upstream = f"datasets/{path.parent.name}/README.md"
        moved = _MOVED_CARDS.get(path.parent.name)
        note = _MOVED_NOTE.format(moved=moved) if moved else None
        yield (
            Draft(
                id=path.parent.name,
                fields={
                    "name": ds.name or path.parent.name,
                    "modality": _card_modality(meta),
                    "evidence": EvidenceLevel.HUB_TAG,
                    **facts,
                    "source": _source(HF_DATASETS, upstream, "dataset card", note),
                },
                names=[
                    ds.name or "",
                    _text(meta.get("paperswithcode_id")) or "",
                    *([moved] if moved else []),
                    *_urls(_card_links(path)),
                ],
            ),
            "hf-cards",
        )


def _card_modality(meta: dict[str, Any]) -> Modality:
    tasks = " ".join(_strings(meta.get("task_categories")) + _strings(meta.get("task_ids")))
    if any(t in tasks for t in _SPEECH_TASKS):
        return Modality.SPEECH
    if "audio" in tasks:
        return Modality.AUDIO
    if "video" in tasks:
        return Modality.VIDEO
    if any(t in tasks for t in _IMAGE_TASKS):
        return Modality.IMAGE
    if any(t in tasks for t in _TABULAR_TASKS):
        return Modality.TABULAR
    if "code" in _strings(meta.get("language")) or "code" in tasks:
        return Modality.CODE
    return Modality.TEXT


def _card_links(path: Path) -> Iterator[str]:
    """The homepage, repository and paper a card's description links to."""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _CARD_LINK.match(line)
        if match is None:
            continue
        for link in _LINK_TARGET.finditer(match["rest"]):
            url = (link[1] or link[2]).rstrip(".,;")
            if _PLACEHOLDER_LINK not in url:
                yield url


# --- Croissant ----------------------------------------------------------------------------------


def _croissant(folder: Path) -> Iterator[tuple[Draft, str]]:
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        url = _text(data.get("url"))
        name = _text(data.get("name"))
        host = urlsplit(url).hostname if url else None
        if not url or not name or host is None or host.removeprefix("www.") in _NOT_A_HOME:
            continue  # an example of the format, not a dataset with a home
        (ds,) = readers.read(path, fmt="croissant").datasets
        version, _, stem = path.stem.partition("-")
        upstream = f"datasets/{version}/{stem}/metadata.json"
        same_as = data.get("sameAs")
        yield (
            Draft(
                id=_hub_id(url) or name,
                fields={
                    "name": name,
                    "modality": _croissant_modality(data),
                    "evidence": EvidenceLevel.HUB_TAG,
                    **_facts(ds),
                    "source": _source(CROISSANT, upstream, f"Croissant {version} metadata"),
                },
                names=[name, *_urls([url, *(same_as if isinstance(same_as, list) else [same_as])])],
            ),
            "croissant",
        )


def _croissant_modality(data: dict[str, Any]) -> Modality:
    text = json.dumps(data.get("recordSet") or [])
    for kind, modality in _MEDIA_TYPES.items():
        if kind in text:
            return modality
    formats = {
        f
        for d in data.get("distribution") or []
        if isinstance(d, dict)
        for f in _strings(d.get("encodingFormat"))
    }
    return Modality.TABULAR if formats and formats <= {"text/csv"} else Modality.TEXT


# --- Facts, names and sources -------------------------------------------------------------------


def _media_sources(modality: Modality, raw: dict[str, Any]) -> list[str]:
    """The sources a DPI record names for media made by others (see ``_MEDIA_SOURCES``)."""
    return [
        source.strip().lower()
        for field in _MEDIA_SOURCES.get(modality, ())
        for source in _strings(raw.get(field))
        if source.strip() and source.strip().lower() not in _OWN_MEDIA
    ]


def _facts(ds: Dataset, media_sources: Iterable[str] = ()) -> dict[str, Any]:
    """What an audit of the file found, as registry fields (empty ones left out).

    ``media_sources`` are the record's other sources of media made by others: each is a
    ``collected_from`` value unless a collection read from the record names it already."""
    own = {dataset_key(ds.id)}
    collected = [_domain(c.target) for c in ds.collected_from]
    # "youtube" the reader read as youtube.com already
    collected += [
        source
        for source in media_sources
        if not any(c == source or c.startswith(f"{source}.") for c in collected)
    ]
    facts: dict[str, Any] = {
        "license": _unique(f.value for f in ds.licenses),
        "generated_by": _unique(f.value for f in ds.generated_by),
        "derived_from": _unique(
            f.value for f in ds.derived_from if dataset_key(f.value) not in own
        ),
        "collected_from": _unique(collected),
        "creators": _unique(f.value for f in ds.creators),
    }
    facts = {k: v for k, v in facts.items() if v}
    if ds.machine_generated:
        facts["machine_generated"] = True
    return facts


def _domain(target: str) -> str:
    host = urlsplit(target).hostname if "://" in target else target
    return (host or target).lower().removeprefix("www.")


def _source(upstream: Upstream, path: str, what: str, note: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {
        "url": upstream.blob(path),
        "version": upstream.version(what),
        "dated": upstream.dated,
    }
    if note:
        source["note"] = note
    return source


def _hub_id(url: Any) -> str | None:
    """The repo id of a Hub dataset page, as written."""
    text = _text(url)
    return hub_page_id(text) if text else None


def _urls(values: Iterable[Any]) -> list[str]:
    """Web pages that name the dataset (not Hub pages: the Hub id names those). A value written
    as a Markdown link (``https://a](https://a)``) is its first URL."""
    out = []
    for value in values:
        match = _URL.match(_text(value) or "")
        if match is not None and _hub_id(match[0]) is None:
            out.append(match[0])
    return out


def _text(node: Any) -> str | None:
    if isinstance(node, str) and node.strip():
        return node.strip()
    return None


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for item in node for s in _strings(item)]
    if isinstance(node, dict):
        return [s for item in node.values() for s in _strings(item)]
    return []


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


# --- Keys ---------------------------------------------------------------------------------------


def _resolve(drafts: list[tuple[Draft, str]]) -> list[tuple[Draft, str]]:
    """Each draft with the names it alone holds (see the module docstring for the rules)."""
    owners: dict[str, Draft] = {}
    kept: list[tuple[Draft, str]] = []
    for draft, origin in drafts:
        holder = owners.get(draft.key())
        if holder is not None:
            holder.names.extend(draft.names)  # the same dataset from a later source
            continue
        owners[draft.key()] = draft
        kept.append((draft, origin))
    claimants: dict[str, set[str]] = defaultdict(set)
    spelled: dict[str, str] = {}
    for draft, _ in kept:
        for name in draft.names:
            key = dataset_key(name) if name else ""
            if key and key not in owners:  # an id is its entry's alone
                claimants[key].add(draft.key())
                spelled.setdefault(key, name)
    chosen: dict[str, dict[str, str]] = defaultdict(dict)
    for key, who in claimants.items():
        homes = {dataset_key(owners[k].group or k) for k in who}
        home = next(iter(who)) if len(who) == 1 else next(iter(homes))
        if len(homes) == 1 and home in owners:
            chosen[home][key] = spelled[key]
    for draft, _ in kept:
        names = chosen.get(draft.key(), {}).values()
        aliases = [n for n in names if "://" not in n]
        urls = [n for n in names if "://" in n]
        draft.fields = {
            "id": draft.id,
            **draft.fields,
            **({"aliases": aliases} if aliases else {}),
            **({"urls": urls} if urls else {}),
        }
    return kept


# --- Output -------------------------------------------------------------------------------------

_ORDER = (
    "id",
    "name",
    "modality",
    "evidence",
    "aliases",
    "urls",
    "license",
    "pointer",
    "media",
    "generated_by",
    "machine_generated",
    "derived_from",
    "collected_from",
    "creators",
    "withdrawn",
    "source",
    "notes",
)


_ENTRY = '\n   "id": '


def _render(name: str, entries: list[RegistryEntry]) -> str:
    """One generated file: JSON (read about a hundred times faster than YAML at every start of
    the gate), one entry per line block, deterministic."""
    document = {
        "generated": (
            f"Generated by scripts/build_registry.py from public metadata ({name}); do not edit. "
            "Hand-written entries in ../*.yaml win over these (knowledge.load_registry). Refresh: "
            "python scripts/build_registry.py --corpus <corpus>; see docs/registry.md."
        ),
        "datasets": [_row(entry) for entry in entries],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def _row(entry: RegistryEntry) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude_defaults=True)
    data["source"] = {**data["source"], "dated": _day(entry.source.dated)}
    if entry.withdrawn is not None:
        withdrawn = data["withdrawn"]
        withdrawn["source"] = {**withdrawn["source"], "dated": _day(entry.withdrawn.source.dated)}
    return {k: data[k] for k in _ORDER if k in data}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


if __name__ == "__main__":
    sys.exit(main())
