"""AI crawler user-agent tokens, as data in ``rules/optout/ai-user-agents.yaml``.

A robots.txt or ai.txt rule that disallows a URL to a token whose purpose is ``train`` is a
machine-readable reservation against collecting that URL for AI training. Tokens for search or
user-initiated fetches are kept with their purpose so that the list says why they do not count.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError

from auditor import document
from auditor.knowledge import Frozen, Source, rules_dir


class Purpose(StrEnum):
    TRAIN = "train"
    SEARCH = "search"
    USER_FETCH = "user-fetch"


class Crawler(Frozen):
    token: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._ /-]*$")]
    operator: str
    purpose: Purpose
    source: Source
    docs: Annotated[str, Field(pattern=r"^https?://")] | None = None
    note: str | None = None


class CrawlerFile(Frozen):
    tokens: Annotated[tuple[Crawler, ...], Field(min_length=1)]


@cache
def load_crawlers(path: Path | None = None) -> tuple[Crawler, ...]:
    """Every crawler token of ``rules/optout/ai-user-agents.yaml`` (or ``path``)."""
    doc = document.load(path or rules_dir() / "optout" / "ai-user-agents.yaml")
    try:
        return CrawlerFile.model_validate(doc.data).tokens
    except ValidationError as exc:
        raise doc.validation_error(exc, "AI crawler tokens") from exc


def training_tokens(crawlers: tuple[Crawler, ...]) -> tuple[str, ...]:
    """The tokens whose disallow rules count as a training opt-out."""
    return tuple(c.token for c in crawlers if c.purpose is Purpose.TRAIN)
