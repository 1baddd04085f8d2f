"""Reference resolution: a dataset named by reference gets the facts of its own metadata.

Training configs name datasets (``hf://teknium/OpenHermes-2.5``, ``data/mix``) without licenses;
a native manifest may say only ``source: hf://owner/name``; lineage may point at an upstream by
reference. Each such reference is looked up, in this order:

1. a local path, relative to the manifest, that holds a card, a Croissant file or a datapackage
   (refusing to leave the manifest's folder unless ``allow_outside_root``);
2. the Hugging Face Hub, through :class:`auditor.hub.Hub` (cache and offline mode included);
3. the bundled registry of well-known datasets in ``rules/registry``, when the Hub is out of reach,
   and for references the Hub cannot answer: a repository or project URL, a name as papers write
   it (``MS MARCO``). A dataset with no source is matched by its id or name.

The facts found are attached to the referencing dataset, each fact placed at the reference's line
(that is where a user can act) with its origin naming the file and line it came from. What cannot
be found is recorded as an unresolved :class:`~auditor.model.Lookup`, which the checks report:
a failed look-up never passes a gate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from auditor import document, readers
from auditor.errors import InputError
from auditor.hub import Card, Hub, HubError
from auditor.knowledge import EvidenceLevel, KnowledgeBase, RegistryEntry, dataset_key
from auditor.model import CardRef, Collection, Dataset, Fact, Location, Lookup
from auditor.platforms import REDISTRIBUTED

# A Hub reference, optionally pinned to a revision (a branch, tag or commit): hf://owner/name@v1.0
_HUB_REF = re.compile(
    r"^(?:hf://|https?://huggingface\.co/)?(?:datasets/)?"
    r"(?P<id>[A-Za-z0-9][\w.-]*(?:/[\w.-]+)?)(?:@(?P<revision>[A-Za-z0-9][\w./-]*))?/?$"
)
_CARD_NAMES = ("README.md", "croissant.json", "metadata.json", "datapackage.json")
MAX_UPSTREAM_DEPTH = 5
_NAME_MAX = 255  # bytes in one file name; Hub dataset names are shorter still
_HUB_OUTCOMES = ("hub", "cache")
_HUB_PREFIXES = ("hf://", "https://huggingface.co/datasets/", "http://huggingface.co/datasets/")


@dataclass
class Lookups:
    """Everything reference resolution needs; one per audit run (caches look-ups)."""

    kb: KnowledgeBase
    hub: Hub | None  # None: no Hub look-ups at all
    allow_outside_root: bool = False
    _seen: dict[tuple[str, str], tuple[Dataset | None, Lookup]] = field(default_factory=dict)
    # Upstream references (derived_from) that could not be looked up, with the reason.
    failed_upstreams: dict[str, str] = field(default_factory=dict)

    def expand(
        self, manifest_path: str, datasets: tuple[Dataset, ...], *, follow_sources: bool = True
    ) -> tuple[Dataset, ...]:
        """The manifest's datasets with references looked up, plus resolvable upstreams.

        A dataset's ``source`` is looked up whether or not the manifest declares a license: the
        declared license is a claim to check, not a reason to look no further.
        ``follow_sources=False`` leaves sources alone (a Data Provenance summary, whose records
        already carry what the Hub said as inferred metadata); upstreams are still followed.
        """
        root = Path(manifest_path).resolve().parent
        out = [self._looked_up(ds, root) if follow_sources else ds for ds in datasets]
        # An upstream named by the reference another dataset of the manifest has as its source
        # is that dataset (``derived_from: [hf://tatsu-lab/alpaca]`` beside ``id: alpaca``).
        by_source = {_reference_key(ds.source): ds.id for ds in out if ds.source}
        out = [self._lineage(ds, by_source) for ds in out]
        known = {ds.id for ds in out}
        frontier = list(out)
        for _ in range(MAX_UPSTREAM_DEPTH):
            added: list[Dataset] = []
            for ds in frontier:
                for parent in ds.derived_from:
                    if parent.value in known or not self._followable(parent.value):
                        continue
                    upstream = self._upstream(parent, root)
                    known.add(parent.value)
                    if upstream is not None:
                        added.append(self._lineage(upstream, by_source))
            out.extend(added)
            frontier = added
            if not added:
                break
        return tuple(out)

    def _looked_up(self, ds: Dataset, root: Path) -> Dataset:
        """``ds`` with the facts its reference names: its ``source``, or else its id or name when
        the bundled registry knows the dataset by it (offline: the registry is bundled). A source
        the Hub cannot answer (a repository or project URL) is matched in the registry first."""
        if _needs_lookup(ds):
            return self._with_facts(ds, root)
        if ds.lookup is not None:
            return ds
        # A source that is not looked up (a repository URL, s3://) does not hide what the registry
        # knows of the dataset by that source, its id or its name.
        for what, name in (("source", ds.source), ("id", ds.id), ("name", ds.name)):
            entry = self.kb.known_dataset(name) if name else None
            if name and entry is not None:
                where = ds.source_location or ds.location if what == "source" else ds.location
                lookup = Lookup(
                    reference=name,
                    outcome="registry",
                    detail=f"the dataset's {what} names {entry.name} in the bundled registry "
                    f"({_cited(entry)})",
                    location=where,
                )
                return _merge(ds, _from_registry(entry, where), lookup)
        return ds

    def _followable(self, upstream: str) -> bool:
        """An upstream is looked up when it is a reference (a Hub id, a URL, a path) or a name the
        registry knows (``flan-collection``, ``xP3``); other names are reported unresolved."""
        return _is_reference(upstream) or self.kb.known_dataset(upstream) is not None

    def _lineage(self, ds: Dataset, by_source: dict[str, str]) -> Dataset:
        """``ds`` with its upstreams named as the manifest names them, and without itself: a card
        whose ``source_datasets`` names its own dataset (``extended|common_voice`` on Common
        Voice), or an upstream that is one of the dataset's own registry names, is no lineage."""
        own = {dataset_key(v) for v in (ds.id, ds.source, ds.lookup and ds.lookup.reference) if v}
        for key in list(own):
            entry = self.kb.registry.get(key)
            own.update(entry.match_keys() if entry is not None else ())
        kept = tuple(f for f in ds.derived_from if dataset_key(f.value) not in own)
        return _renamed_upstreams(ds.model_copy(update={"derived_from": kept}), by_source)

    def _upstream(self, parent: Fact, root: Path) -> Dataset | None:
        stub = Dataset(id=parent.value, location=parent.location, source=parent.value)
        resolved = self._with_facts(stub, root)
        assert resolved.lookup is not None
        if resolved.lookup.outcome == "unresolved":
            self.failed_upstreams[parent.value] = resolved.lookup.detail
            return None
        return resolved

    def _with_facts(self, ds: Dataset, root: Path) -> Dataset:
        reference = ds.source or ds.id
        where = ds.source_location or ds.location
        key = (str(root), reference)
        if key not in self._seen:
            self._seen[key] = self._find(reference, where, root)
        found, lookup = self._seen[key]
        lookup = lookup.model_copy(update={"location": where})
        if found is None:
            return ds.model_copy(update={"lookup": lookup})
        return _merge(ds, found, lookup)

    def _find(
        self, reference: str, location: Location, root: Path
    ) -> tuple[Dataset | None, Lookup]:
        def outcome(kind: str, detail: str) -> Lookup:
            return Lookup(reference=reference, outcome=kind, detail=detail, location=location)

        local = self._local(reference, root)
        if isinstance(local, str):
            return None, outcome("unresolved", local)
        if local is not None:
            found, lookup = _read_metadata(local, outcome, card=_local_card(local))
            known = self.kb.known_dataset(reference)
            if found is None or known is None:
                return found, lookup
            # A local copy of a well-known dataset: the registry's facts are claims beside it.
            detail = f"{lookup.detail}; and the bundled registry ({_cited(known)})"
            joined = _joined(found, _from_registry(known, location))
            return joined, lookup.model_copy(update={"detail": detail})
        hub_like = "://" not in reference or reference.startswith(_HUB_PREFIXES)
        match = _HUB_REF.match(reference) if hub_like else None
        pinned = match is not None and match["revision"] is not None
        entry = self.kb.known_dataset(reference.rpartition("@")[0] if pinned else reference)
        if match is None:
            if entry is not None:
                detail = f"facts from the bundled registry ({_cited(entry)})"
                return _from_registry(entry, location), outcome("registry", detail)
            return None, outcome(
                "unresolved", "not a local path or a Hugging Face id; its metadata cannot be read"
            )
        repo_id = match["id"]
        failure = "Hub look-ups are disabled"
        if self.hub is not None:
            try:
                card = self.hub.card(repo_id, match["revision"])
            except HubError as err:
                failure = f"Hugging Face Hub: {err.detail}"
            else:
                label = f"hf://{repo_id}" + (f"@{match['revision']}" if pinned else "")
                record = card.record
                read = CardRef(url=record.url, revision=record.revision, sha256=record.sha256)
                found, lookup = _read_metadata(
                    card.path, outcome, kind=card.outcome, label=label, card=read
                )
                detail = f"{lookup.detail}; {card.provenance()}"
                lookup = lookup.model_copy(update={"detail": detail})
                if found is not None and "/" in repo_id:
                    # The Hub account that publishes the dataset is a claim about who released it.
                    owner = Fact(
                        value=repo_id.split("/", 1)[0],
                        location=found.location,
                        origin="Hub repository owner",
                    )
                    found = found.model_copy(update={"creators": (*found.creators, owner)})
                if found is not None:
                    found = _gate(found, card)
                if entry is None or found is None:
                    return found, lookup
                # The registry's facts (the upstream, the platforms, the true license as its
                # source states it) are claims too, weighed beside the card's.
                detail = f"{lookup.detail}; and the bundled registry ({_cited(entry)})"
                return _joined(found, _from_registry(entry, location)), lookup.model_copy(
                    update={"detail": detail}
                )
        if entry is not None:
            detail = f"{failure}; facts from the bundled registry ({_cited(entry)})"
            return _from_registry(entry, location), outcome("registry", detail)
        return None, outcome("unresolved", failure)

    def _local(self, reference: str, root: Path) -> Path | str | None:
        """The local file for ``reference``, an error message, or None if it is not local."""
        if any(
            len(part.encode(errors="surrogatepass")) > _NAME_MAX for part in reference.split("/")
        ):
            return f"{reference[:60]}...: a name in it is longer than any file or dataset name"
        if "://" in reference:
            return None
        try:
            candidate = (root / reference).resolve()
            if not candidate.exists():
                return None
        except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a symlink loop
            return f"{reference!r} is not a usable local path ({exc})"
        if not self.allow_outside_root and not candidate.is_relative_to(root):
            return (
                f"{reference} is outside the manifest's folder (allow it with --allow-outside-root)"
            )
        if candidate.is_dir():
            for name in _CARD_NAMES:
                if (candidate / name).is_file():
                    return candidate / name
            return f"{reference} is a folder with no dataset card, Croissant file or datapackage"
        return candidate


def _gate(found: Dataset, card: Card) -> Dataset:
    """A dataset the Hub gates, whose card states no gate terms (``extra_gated_prompt``...): the
    terms shown on the access request still bind and nobody has read them, so they stand as terms
    a reviewer must read, never as silence."""
    if card.gated not in ("auto", "manual") or found.terms:
        return found
    unread = Fact(
        value=(
            f"Access is gated on the Hugging Face Hub ({card.gated} approval) and the dataset card "
            "states no gate terms; read what the access request asks you to accept."
        ),
        location=found.location,
        origin="gated",
    )
    return found.model_copy(update={"terms": (unread,)})


def _needs_lookup(ds: Dataset) -> bool:
    """A dataset that names a source whose metadata can be read: a Hugging Face id or a local
    path, not an object-store URI. Its own license facts, if any, are kept beside what is found."""
    if ds.source is None or ds.lookup is not None:
        return False
    return ds.source.startswith(_HUB_PREFIXES) or "://" not in ds.source


def _reference_key(reference: str) -> str:
    """A reference as compared with others: Hub prefixes, case and slashes ignored."""
    text = reference.strip().lower()
    for prefix in _HUB_PREFIXES:
        text = text.removeprefix(prefix)
    return text.removeprefix("datasets/").strip("/")


def _renamed_upstreams(ds: Dataset, by_source: dict[str, str]) -> Dataset:
    renamed = []
    for fact in ds.derived_from:
        target = by_source.get(_reference_key(fact.value))
        renamed.append(
            fact.model_copy(update={"value": target})
            if target is not None and target != ds.id
            else fact
        )
    return ds.model_copy(update={"derived_from": _unique(renamed)})


def _unique(facts: Iterable[Fact]) -> tuple[Fact, ...]:
    """Identical claims are one claim: the first of each value (case and spacing ignored)."""
    seen: dict[str, Fact] = {}
    for fact in facts:
        seen.setdefault(" ".join(fact.value.lower().split()), fact)
    return tuple(seen.values())


def _is_reference(value: str) -> bool:
    return "://" in value or "/" in value


def _local_card(path: Path) -> CardRef | None:
    """A local metadata file as a look-up's record: its URI and the sha256 of its bytes. A file
    that cannot be read safely (a FIFO, a device, one over the size limit) has none: the reader
    says why."""
    try:
        data = document.read_bytes(path)
    except InputError:
        return None
    return CardRef(url=path.as_uri(), sha256=hashlib.sha256(data).hexdigest())


def _read_metadata(
    path: Path,
    make: Callable[[str, str], Lookup],
    *,
    kind: str = "local",
    label: str | None = None,
    card: CardRef | None = None,
) -> tuple[Dataset | None, Lookup]:
    """The dataset the metadata at ``path`` describes, and the look-up, which records ``card``
    (what was read) whatever came of it."""
    found, lookup = _metadata(path, make, kind, label or path.as_posix())
    return found, lookup.model_copy(update={"card": card})


def _metadata(
    path: Path, make: Callable[[str, str], Lookup], kind: str, shown: str
) -> tuple[Dataset | None, Lookup]:
    try:
        manifest = readers.read(path)
    except InputError as err:
        return None, make("unresolved", f"{shown}: {err.message}")
    if not manifest.datasets:
        return None, make("unresolved", f"{shown}: no dataset in the metadata")
    found = manifest.datasets[0]
    if len(manifest.datasets) > 1:
        found = found.model_copy(
            update={
                "licenses": tuple(f for d in manifest.datasets for f in d.licenses),
                "license_notes": tuple(f for d in manifest.datasets for f in d.license_notes),
            }
        )
    return found, make(kind, f"metadata read from {shown} ({manifest.format})")


def _relocate(facts: tuple[Fact, ...], lookup: Lookup) -> tuple[Fact, ...]:
    if lookup.outcome == "registry":
        return facts  # already placed at the reference, with the registry source as origin

    def origin(fact: Fact) -> str:
        if fact.origin and fact.origin.startswith("registry ("):
            return fact.origin  # a registry fact joined to a Hub card's: it says where it is from
        # A card read from the Hub is named by its file in the repository, not the cache path.
        path = Path(fact.location.path).name if lookup.outcome in _HUB_OUTCOMES else None
        where = (path or fact.location.path) + (
            f":{fact.location.line}" if fact.location.line else ""
        )
        field_name = f" {fact.origin}" if fact.origin else ""
        return f"{lookup.reference} ({where}{field_name})"

    return tuple(
        fact.model_copy(update={"location": lookup.location, "origin": origin(fact)})
        for fact in facts
    )


def _joined(card: Dataset, registry: Dataset) -> Dataset:
    """The facts of a card and of the registry entry for the same dataset, all kept."""
    return card.model_copy(
        update={
            "licenses": card.licenses + registry.licenses,
            "derived_from": card.derived_from + registry.derived_from,
            "generated_by": card.generated_by + registry.generated_by,
            "creators": card.creators + registry.creators,
            "attribution": card.attribution + registry.attribution,
            "collected_from": card.collected_from + registry.collected_from,
            "pointer": card.pointer or registry.pointer,
        }
    )


def _merge(ds: Dataset, found: Dataset, lookup: Lookup) -> Dataset:
    """The dataset's own facts and the facts found for its reference, side by side as claims."""
    link = found.license_url
    links = (
        (Fact(value=link, location=found.location, origin="license_link"),)
        if link and all(n.value != link for n in found.license_notes)
        else ()
    )
    return ds.model_copy(
        update={
            "name": ds.name or found.name,
            "licenses": ds.licenses + _relocate(found.licenses, lookup),
            "license_notes": ds.license_notes + _relocate(found.license_notes + links, lookup),
            "license_url": ds.license_url,
            "derived_from": _unique(ds.derived_from + _relocate(found.derived_from, lookup)),
            "generated_by": _unique(ds.generated_by + _relocate(found.generated_by, lookup)),
            "creators": _unique(ds.creators + _relocate(found.creators, lookup)),
            "attribution": _unique(ds.attribution + _relocate(found.attribution, lookup)),
            "collected_from": tuple(
                {
                    (c.target.lower(), (c.method or "").lower()): c
                    for c in reversed(
                        ds.collected_from
                        + tuple(
                            c.model_copy(update={"location": lookup.location})
                            for c in found.collected_from
                        )
                    )
                }.values()
            )[::-1],
            "terms": ds.terms + _relocate(found.terms, lookup),
            "pointer": ds.pointer or found.pointer,
            "machine_generated": ds.machine_generated or found.machine_generated,
            "lookup": lookup,
        }
    )


def _cited(entry: RegistryEntry) -> str:
    return f"source: {entry.source.url}; evidence: {entry.evidence.value}"


def _from_registry(entry: RegistryEntry, location: Location) -> Dataset:
    """The entry's facts as claims. A license known only from a Hub tag nobody audited is a hint:
    shown, never applied, so it cannot clear a dataset on its own."""
    origin = f"registry ({entry.source.url})"
    unaudited = entry.evidence is EvidenceLevel.HUB_TAG

    def fact(value: str, *, inferred: bool = False) -> Fact:
        return Fact(value=value, location=location, origin=origin, inferred=inferred)

    method = REDISTRIBUTED if entry.redistributed else None

    return Dataset(
        id=entry.id,
        name=entry.name,
        location=location,
        licenses=tuple(fact(v, inferred=unaudited) for v in entry.license),
        derived_from=tuple(fact(v) for v in entry.derived_from),
        creators=tuple(fact(v) for v in entry.creators),
        generated_by=tuple(fact(v) for v in entry.generated_by),
        collected_from=tuple(
            Collection(domain=domain, method=method, location=location)
            for domain in entry.collected_from
        ),
        pointer=entry.pointer,
        machine_generated=entry.machine_generated,
    )
