"""The native manifest: a training mix as YAML or JSON, validated strictly.

Unknown keys are input errors (a misspelt ``licence:`` must not silently drop a license). The JSON
Schema printed by ``auditor schema`` is generated from these models.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from auditor.model import Category, Modality, Period, Size

DATASET_ID = r"^\S+$"


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CollectedFrom(Strict):
    """Where the content itself came from, and how it was obtained."""

    url: str | None = Field(
        default=None, description="A URL on the platform, e.g. https://www.youtube.com"
    )
    domain: str | None = Field(default=None, description="A domain, e.g. youtube.com")
    method: str | None = Field(
        default=None,
        description="How it was obtained: api | licensed | download | scrape | crawl | yt-dlp",
    )

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.url is None) == (self.domain is None):
            raise ValueError("give exactly one of 'url' or 'domain'")
        return self


class DatasetEntry(Strict):
    id: Annotated[str, Field(pattern=DATASET_ID, description="Unique in the manifest")]
    name: str | None = None
    license: str | None = Field(
        default=None,
        description="As found: SPDX expression, Hugging Face id, URL or free text; may be absent",
    )
    license_url: str | None = None
    source: str | None = Field(
        default=None, description="Where the data lives: hf://owner/name, a URL or a local path"
    )
    derived_from: tuple[str, ...] = Field(default=(), description="Ids in this manifest")
    generated_by: tuple[str, ...] = Field(default=(), description="Models that generated it")
    creator: str | None = Field(
        default=None, description="Who created and released it, e.g. Anthropic"
    )
    creators: tuple[str, ...] = Field(
        default=(), description="Who created and released it, when there are several"
    )
    attribution: str | None = Field(
        default=None,
        description="The credit the licensor asks for, as they word it (a credit line, a citation)",
    )
    collected_from: tuple[CollectedFrom, ...] = ()
    terms: tuple[str, ...] = Field(
        default=(),
        description="Access or usage terms beyond the license, e.g. a gate's click-through text",
    )
    pointer: bool = Field(
        default=False,
        description="The data is a list of references (URLs, video ids) to content on platforms",
    )
    weight: Annotated[float, Field(ge=0)] | None = None
    description: str | None = None
    # What the EU AI Act training-content summary asks and only the provider knows.
    version: str | None = Field(default=None, description="The version or revision used")
    category: Category | None = Field(
        default=None,
        description=(
            "Where the EU training-content summary lists it: public | licensed | private | "
            "scraped | user | synthetic | other (inferred from the other fields when absent)"
        ),
    )
    modalities: tuple[Modality, ...] = Field(
        default=(), description="text | image | audio | video | other"
    )
    size: Size | None = Field(default=None, description="How much content, per modality")
    collection_period: Period | None = Field(
        default=None, description="When the content was collected (dates, YYYY-MM-DD)"
    )
    crawlers: tuple[str, ...] = Field(
        default=(), description="Names or user agents of the crawlers that collected it"
    )


class Manifest(Strict):
    """A training-data mix."""

    version: Literal[1]
    name: str
    description: str | None = None
    datasets: Annotated[tuple[DatasetEntry, ...], Field(min_length=1)]


def json_schema() -> dict[str, object]:
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:auditor:schema:manifest:1"
    return schema
