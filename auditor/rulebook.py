"""The finding rules: stable ids in code, their documentation and examples as data.

``rules/checks.yaml`` documents every rule: a readable name, a one-line summary, the rationale,
how to fix, references, and example datasets that trigger it and that do not. The test suite runs
every example, so the documentation and the tests come from one source.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditor import document
from auditor.errors import InputError
from auditor.knowledge import rules_dir


class Rule(StrEnum):
    """Stable finding rule ids. Add new ones; never rename."""

    LICENSE_UNKNOWN = "license-unknown"
    LICENSE_NONCOMMERCIAL = "license-noncommercial"
    LICENSE_RESEARCH_ONLY = "license-research-only"
    LICENSE_NO_DERIVATIVES = "license-no-derivatives"
    LICENSE_SHARE_ALIKE = "license-share-alike"
    LICENSE_ATTRIBUTION = "license-attribution"
    LICENSE_USE_RESTRICTED = "license-use-restricted"
    LICENSE_AMBIGUOUS = "license-ambiguous"
    TOS_SCRAPING_PROHIBITED = "tos-scraping-prohibited"
    TOS_AI_TRAINING_PROHIBITED = "tos-ai-training-prohibited"
    TOS_REVIEW = "tos-review"
    MODEL_OUTPUT_TERMS = "model-output-terms"
    MODEL_OUTPUT_CONDITIONS = "model-output-conditions"
    MODEL_OUTPUT_UNKNOWN = "model-output-unknown"
    MODEL_GENERATOR_UNNAMED = "model-generator-unnamed"
    GATED_TERMS_CONFLICT = "gated-terms-conflict"
    LINEAGE_CYCLE = "lineage-cycle"
    LINEAGE_UNRESOLVED = "lineage-unresolved"
    REFERENCE_UNRESOLVED = "reference-unresolved"
    REFERENCE_FROM_REGISTRY = "reference-from-registry"
    DATASET_WITHDRAWN = "dataset-withdrawn"
    WAIVER_EXPIRED = "waiver-expired"
    LICENSE_CONFLICT = "license-conflict"
    TERMS_UNRESOLVED = "terms-unresolved"
    COLLECTION_UNRESOLVED = "collection-unresolved"
    ATTRIBUTION_MISSING = "attribution-missing"
    # Raised by `auditor scan` only: machine-readable opt-outs read from saved snapshots.
    OPTOUT_ROBOTS_TXT = "optout-robots-txt"
    OPTOUT_AI_TXT = "optout-ai-txt"
    OPTOUT_TDMREP = "optout-tdmrep"


# The rules only `auditor scan` raises. A policy file that leaves them out (one written before they
# existed) gets them at `error`, as the scan judged opt-outs then.
SCAN_ONLY = frozenset({Rule.OPTOUT_ROBOTS_TXT, Rule.OPTOUT_AI_TXT, Rule.OPTOUT_TDMREP})


class Example(BaseModel):
    """A small manifest (its ``datasets:`` list) and the dataset the rule is checked on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str
    datasets: tuple[dict[str, Any], ...] = Field(min_length=1)
    policy: str = "commercial"


class RuleDoc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Rule
    name: str
    summary: str
    rationale: str
    how_to_fix: str
    inherited: bool = Field(
        default=True,
        description=(
            "Whether the finding passes down to derived datasets at any severity; a finding at "
            "error passes down whatever this says (a child of a blocked dataset is blocked)"
        ),
    )
    offline: bool = Field(
        default=False, description="Examples run with Hub look-ups answered from the cache only"
    )
    scan_only: bool = Field(
        default=False,
        description="Raised by `auditor scan` on rows, never by `check` (examples in the tests)",
    )
    references: tuple[str, ...] = ()
    triggers: tuple[Example, ...] = ()
    passes: tuple[Example, ...] = ()


class InvalidDoc(BaseModel):
    """Why ``auditor scan`` could not judge a row: an ``invalid-<reason>`` id of its reports."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^invalid-[a-z]+(-[a-z]+)*$")
    name: str
    summary: str
    how_to_fix: str


class Rulebook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[RuleDoc, ...]
    invalid: tuple[InvalidDoc, ...] = ()

    def doc(self, rule: Rule) -> RuleDoc:
        return next(r for r in self.rules if r.id == rule)


@cache
def load_rulebook(path: Path | None = None) -> Rulebook:
    source = path or rules_dir() / "checks.yaml"
    doc = document.load(source)
    try:
        book = Rulebook.model_validate(doc.data)
    except ValidationError as exc:
        raise doc.validation_error(exc, "rule documentation") from exc
    documented = [r.id for r in book.rules]
    missing = [r.value for r in Rule if r not in documented]
    if missing or len(set(documented)) != len(documented):
        raise InputError(doc.path, f"every rule must be documented once (missing: {missing})")
    return book
