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
    """A raw value from a manifest and where it stands."""

    value: str
    location: Location


class Collection(Frozen):
    """Where a dataset's content was collected from (a URL or a domain) and how."""

    url: str | None = None
    domain: str | None = None
    method: str | None = None
    location: Location

    @property
    def target(self) -> str:
        return self.url or self.domain or ""


class Dataset(Frozen):
    """One dataset as read from a manifest, before any license is resolved."""

    id: str
    name: str | None = None
    location: Location
    license: Fact | None = None
    license_url: str | None = None
    source: str | None = None
    derived_from: tuple[Fact, ...] = ()
    generated_by: tuple[Fact, ...] = ()
    collected_from: tuple[Collection, ...] = ()
    weight: float | None = None
