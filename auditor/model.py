"""The internal model every reader produces: datasets with raw facts and where each came from."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# The sets of field names pydantic keeps per instance (``model_fields_set``), one of each: a
# frozen model never changes its own, and a copy gets a set of its own before it is changed. A
# report of a 10,000-deep lineage holds a hundred thousand findings, each with a set of 700
# bytes (a hook in every model's construction would cost a third more time to make them).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}
_M = TypeVar("_M", bound=Frozen)


def replaced(model: _M, **changes: object) -> _M:
    """``model.model_copy(update=changes)`` for values already of their fields' types (as
    ``model_copy`` assumes too), made directly: a lineage copies a hundred thousand findings,
    and pydantic's copy goes through :mod:`copy` for each of its four parts. The set of fields
    given is the shared one (:func:`shared_fields_set`)."""
    cls = type(model)
    copied = cls.__new__(cls)
    fields = model.__dict__.copy()
    fields.update(changes)
    given = model.__pydantic_fields_set__.union(changes)
    object.__setattr__(copied, "__dict__", fields)
    object.__setattr__(copied, "__pydantic_extra__", None)  # extra="forbid": none
    object.__setattr__(copied, "__pydantic_private__", None)  # no private attributes
    object.__setattr__(
        copied, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(frozenset(given), given)
    )
    return copied


def shared_fields_set(model: _M) -> _M:
    """``model``, its set of fields explicitly given replaced by the shared equal one (the set it
    had is freed at once, so a peak of them never builds up)."""
    own = model.__pydantic_fields_set__
    shared = _FIELDS_SETS.setdefault(frozenset(own), own)
    if shared is not own:
        object.__setattr__(model, "__pydantic_fields_set__", shared)
    return model


class Location(Frozen):
    """A place in an input file: the path as given and a 1-based line, where known."""

    path: str
    line: int | None = None


# The origin of a card paragraph outside its license sections (readers.hf_card): evidence that may
# restrict what other claims grant, never grant alone (evidence.weigh).
CARD_TEXT = "card text"


class Fact(Frozen):
    """A raw value from a manifest, where it stands, and which field it came from."""

    value: str
    location: Location
    origin: str | None = None  # e.g. "license_name", "dataset_infos.json", "registry"
    # Unaudited evidence inferred by a crawler from another site (a hint, never applied alone).
    inferred: bool = False


class Collection(Frozen):
    """Where a dataset's content was collected from (a URL or a domain) and how."""

    url: str | None = None
    domain: str | None = None
    method: str | None = None
    location: Location

    @property
    def target(self) -> str:
        return self.url or self.domain or ""


class CardRef(Frozen):
    """The document a look-up read: where from, at which revision, and the bytes' sha256.

    ``url`` is the card's URL on the Hub (``revision`` is the commit the Hub named, when it named
    one) or, for a local file, its ``file://`` URI.
    """

    url: str
    revision: str | None = None
    sha256: str


class Lookup(Frozen):
    """How a referenced dataset's metadata was found (or why it was not)."""

    reference: str  # as written: hf://owner/name, a local path, a URL
    outcome: str  # local | hub | cache | registry | unresolved
    detail: str  # where the facts came from, or why they could not be found
    location: Location  # where the reference stands in the manifest
    card: CardRef | None = None  # the document read (local, hub, cache); None: none was read


class Modality(StrEnum):
    """A modality of training content, as the EU AI Act training-content summary names them."""

    TEXT = "text"
    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    OTHER = "other"


class Category(StrEnum):
    """Where a dataset is listed among the data sources of the EU AI Act training-content summary:
    publicly available datasets, private datasets licensed from rightsholders or obtained from
    other third parties, crawled or scraped data, user data, synthetic data, other sources."""

    PUBLIC = "public"
    LICENSED = "licensed"
    PRIVATE = "private"
    SCRAPED = "scraped"
    USER = "user"
    SYNTHETIC = "synthetic"
    OTHER = "other"


class Size(Frozen):
    """How much content a dataset holds, per modality, as the provider measured it."""

    tokens: Annotated[int, Field(ge=0, description="Text, in tokens")] | None = None
    images: Annotated[int, Field(ge=0, description="Images, by count")] | None = None
    audio_hours: Annotated[float, Field(ge=0, description="Audio, in hours")] | None = None
    video_hours: Annotated[float, Field(ge=0, description="Video, in hours")] | None = None

    @model_validator(mode="after")
    def _some_size(self) -> Self:
        if all(v is None for v in (self.tokens, self.images, self.audio_hours, self.video_hours)):
            raise ValueError("give at least one of tokens, images, audio_hours, video_hours")
        return self


class Period(Frozen):
    """When content was collected (either end may be unknown, not both)."""

    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is None and self.end is None:
            raise ValueError("give 'start', 'end' or both")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError("'start' is after 'end'")
        return self


class Dataset(Frozen):
    """One dataset as read from a manifest, before any license is resolved.

    ``licenses`` holds every license value found, as found; when there are several, all apply
    (the data carries each of them). ``license_notes`` holds license names, details and prose that
    are consulted when the license values do not resolve (``license: other`` with a
    ``license_name``). ``terms`` holds access or usage terms beyond the license, such as a Hugging
    Face gate prompt or Croissant ``usageInfo``. ``derived_from`` names upstream datasets: ids in
    the same manifest, or references that must be resolved elsewhere.
    ``creators`` names who created and released the data, as claimed (an organisation, a Hub owner).
    ``attribution`` holds the credit the licensor asks for, as written (a credit line, a citation).

    ``version`` to ``crawlers`` are what the provider states for the EU AI Act training-content
    summary; no reader infers them.
    """

    id: str
    name: str | None = None
    location: Location
    licenses: tuple[Fact, ...] = ()
    license_notes: tuple[Fact, ...] = ()
    license_url: str | None = None
    source: str | None = None
    source_location: Location | None = None  # where ``source`` is written, when known
    derived_from: tuple[Fact, ...] = ()
    generated_by: tuple[Fact, ...] = ()
    creators: tuple[Fact, ...] = ()
    attribution: tuple[Fact, ...] = ()
    collected_from: tuple[Collection, ...] = ()
    terms: tuple[Fact, ...] = ()
    pointer: bool = False  # the data is references (URLs, ids) to content hosted on platforms
    machine_generated: bool = False  # metadata says model-generated, generator not named
    weight: float | None = None
    lookup: Lookup | None = None  # set when the facts were looked up from a reference
    version: str | None = None
    category: Category | None = None
    modalities: tuple[Modality, ...] = ()
    size: Size | None = None
    collection_period: Period | None = None
    crawlers: tuple[str, ...] = ()  # names or user agents of the crawlers that collected it

    @property
    def license_location(self) -> Location:
        return self.licenses[0].location if self.licenses else self.location

    @property
    def link(self) -> str | None:
        """Where the data is published, as a web address: an http(s) ``source``, or the Hub page of
        an ``hf://`` one; None for an object store or a local path, which readers cannot open."""
        source = (self.source or "").strip()
        if source.startswith("hf://"):
            return _HUB_PAGE + source.removeprefix("hf://").removeprefix("datasets/")
        return source if source.startswith(("https://", "http://")) else None


_HUB_PAGE = "https://huggingface.co/datasets/"
