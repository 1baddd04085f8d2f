"""The internal model every reader produces: datasets with raw facts and where each came from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Location(Frozen):
    """A place in an input file: the path as given and a 1-based line, where known."""

    path: str
    line: int | None = None


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


class Lookup(Frozen):
    """How a referenced dataset's metadata was found (or why it was not)."""

    reference: str  # as written: hf://owner/name, a local path, a URL
    outcome: str  # local | hub | cache | registry | unresolved
    detail: str  # where the facts came from, or why they could not be found
    location: Location  # where the reference stands in the manifest


class Dataset(Frozen):
    """One dataset as read from a manifest, before any license is resolved.

    ``licenses`` holds every license value found, as found; when there are several, all apply
    (the data carries each of them). ``license_notes`` holds license names, details and prose that
    are consulted when the license values do not resolve (``license: other`` with a
    ``license_name``). ``terms`` holds access or usage terms beyond the license, such as a Hugging
    Face gate prompt or Croissant ``usageInfo``. ``derived_from`` names upstream datasets: ids in
    the same manifest, or references that must be resolved elsewhere.
    ``creators`` names who created and released the data, as claimed (an organisation, a Hub owner).
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
    collected_from: tuple[Collection, ...] = ()
    terms: tuple[Fact, ...] = ()
    pointer: bool = False  # the data is references (URLs, ids) to content hosted on platforms
    machine_generated: bool = False  # metadata says model-generated, generator not named
    weight: float | None = None
    lookup: Lookup | None = None  # set when the facts were looked up from a reference

    @property
    def license_location(self) -> Location:
        return self.licenses[0].location if self.licenses else self.location
