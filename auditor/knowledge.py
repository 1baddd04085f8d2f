"""The knowledge base in ``rules/``: licenses, license families, platform terms, model-output terms.

Everything here is data with a source. The YAML files are validated into frozen pydantic models at
load time, so a typo in ``rules/`` fails with ``path:line`` instead of being ignored. Entries that
cannot be sourced are simply absent, and whatever would have matched them resolves to unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditor import document
from auditor.errors import InputError


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(Frozen):
    """Where a knowledge entry comes from, and which version or date of the terms it reflects."""

    url: Annotated[str, Field(pattern=r"^https?://")]
    version: str
    retrieved: date | None = None
    note: str | None = None


class CommercialUse(StrEnum):
    """Whether a license lets you train a model that is used or sold commercially."""

    ALLOWED = "allowed"
    RESTRICTED = "restricted"  # allowed under use-based conditions (RAIL, acceptable-use policy)
    UNKNOWN = "unknown"
    PROHIBITED = "prohibited"

    @property
    def rank(self) -> int:
        return _COMMERCIAL_RANK[self]


_COMMERCIAL_RANK = {
    CommercialUse.ALLOWED: 0,
    CommercialUse.RESTRICTED: 1,
    CommercialUse.UNKNOWN: 2,
    CommercialUse.PROHIBITED: 3,
}


class LicenseTerms(Frozen):
    """What a license permits and requires, as far as training a model on the data goes."""

    commercial_use: CommercialUse
    attribution: bool = False
    share_alike: bool = False
    no_derivatives: bool = False
    research_only: bool = False
    use_restricted: bool = False


class License(Frozen):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")]
    name: str
    terms: LicenseTerms
    source: Source
    aliases: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    phrases: tuple[str, ...] = Field(
        default=(),
        description="Regexes that, found in license prose, are heuristic evidence of these terms",
    )
    notes: str | None = None

    @field_validator("phrases")
    @classmethod
    def _phrases_compile(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            re.compile(pattern)
        return value

    @field_validator("id")
    @classmethod
    def _ref_prefix(cls, value: str) -> str:
        if value.lower().startswith("licenseref-") and not value.startswith("LicenseRef-"):
            raise ValueError("custom ids must start with 'LicenseRef-' exactly")
        return value


class Family(Frozen):
    """A name that stands for several licenses (``cc``, ``bsd``, "CC BY-NC" without a version)."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    candidates: Annotated[tuple[str, ...], Field(min_length=2)]
    source: Source


class Alias(Frozen):
    """Another name for a license, from a named source (e.g. a Hugging Face Hub license id)."""

    alias: str
    license: str
    source: Source


class Clause(StrEnum):
    NO_AUTOMATED_ACCESS = "no-automated-access"
    NO_DOWNLOAD = "no-download"
    NO_ML_TRAINING = "no-ml-training"
    API_ONLY = "api-only"
    WRITTEN_PERMISSION = "written-permission"
    OPEN_LICENSE = "open-license"


class Covers(StrEnum):
    """What of a platform's material a clause speaks of."""

    CONTENT = "content"  # the works themselves: posts, videos, articles, code
    METADATA = "metadata"  # descriptions of the works (titles, abstracts, crawl records)
    API_OUTPUT = "api-output"  # what the platform's API returns, under its developer terms


class PlatformClause(Frozen):
    kind: Clause
    quote: str
    section: str | None = None
    covers: Covers = Covers.CONTENT


class Platform(Frozen):
    id: str
    name: str
    domains: Annotated[tuple[str, ...], Field(min_length=1)]
    clauses: tuple[PlatformClause, ...]
    terms_url: Annotated[str, Field(pattern=r"^https?://")]
    source: Source
    notes: str | None = None

    def clause(self, *kinds: Clause) -> PlatformClause | None:
        return next((c for c in self.clauses if c.kind in kinds), None)


class OutputTermsKind(StrEnum):
    NO_COMPETING_MODELS = "no-competing-models"
    NO_MODEL_DEVELOPMENT = "no-model-development"
    NAMING_CONDITION = "naming-condition"
    PERMITTED = "permitted"


class ModelFamily(Frozen):
    id: str
    provider: str
    name: str
    patterns: Annotated[tuple[str, ...], Field(min_length=1)]
    terms: OutputTermsKind
    clause: str
    quote: str
    source: Source

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            re.compile(pattern)
        return value

    @cached_property
    def matcher(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in self.patterns), re.IGNORECASE)


class RegistryEntry(Frozen):
    """Public license facts about a well-known dataset, used when its metadata is out of reach.

    ``id`` is the dataset's Hugging Face repo id (``owner/name``) or another stable name; every
    fact comes from ``source`` (the dataset's card, paper or repository), noted in reports as the
    origin of the fact.
    """

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    license: str | None = None
    generated_by: tuple[str, ...] = ()
    derived_from: tuple[str, ...] = ()
    collected_from: tuple[str, ...] = ()  # domains
    pointer: bool = False
    source: Source
    notes: str | None = None


class RegistryFile(Frozen):
    datasets: tuple[RegistryEntry, ...]


class LicenseFile(Frozen):
    licenses: tuple[License, ...] = ()
    families: tuple[Family, ...] = ()
    aliases: tuple[Alias, ...] = ()


class PlatformFile(Frozen):
    platforms: tuple[Platform, ...]


class ModelFile(Frozen):
    models: tuple[ModelFamily, ...]


class KnowledgeBase(Frozen):
    licenses: Mapping[str, License]
    families: Mapping[str, Family]
    aliases: tuple[Alias, ...]
    platforms: tuple[Platform, ...]
    models: tuple[ModelFamily, ...]
    registry: Mapping[str, RegistryEntry] = Field(default_factory=dict)

    def known_dataset(self, name: str) -> RegistryEntry | None:
        """A registry entry by id or alias, case-insensitively (``hf://`` prefix ignored)."""
        key = name.lower().removeprefix("hf://").removeprefix("datasets/").strip("/")
        return self.registry.get(key)

    def license(self, license_id: str) -> License | None:
        return self.licenses.get(license_id)

    def platform_for(self, host: str) -> Platform | None:
        """The platform whose domain is ``host`` or a parent domain of it."""
        host = host.lower().rstrip(".")
        for platform in self.platforms:
            for domain in platform.domains:
                if host == domain or host.endswith("." + domain):
                    return platform
        return None

    def model_for(self, name: str) -> ModelFamily | None:
        return next((m for m in self.models if m.matcher.fullmatch(name.strip())), None)


def rules_dir() -> Path:
    """``auditor/rules`` inside an installed wheel, else ``rules/`` of the source checkout."""
    packaged = Path(str(resources.files("auditor"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


def _validated(path: Path, model: type[Frozen], what: str) -> Any:
    doc = document.load(path)
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        raise doc.validation_error(exc, what) from exc


def _yaml_files(folder: Path) -> Iterable[Path]:
    return sorted(folder.glob("*.yaml"))


@cache
def load_knowledge(root: Path | None = None) -> KnowledgeBase:
    base = root or rules_dir()
    licenses: dict[str, License] = {}
    families: dict[str, Family] = {}
    aliases: list[Alias] = []
    for path in _yaml_files(base / "licenses"):
        data: LicenseFile = _validated(path, LicenseFile, "license knowledge")
        for entry in data.licenses:
            if entry.id in licenses:
                raise InputError(path, f"license '{entry.id}' is defined twice")
            licenses[entry.id] = entry
        for family in data.families:
            families[family.id] = family
        aliases.extend(data.aliases)
    for family in families.values():
        missing = [c for c in family.candidates if c not in licenses]
        if missing:
            raise InputError(base / "licenses", f"family '{family.id}' names unknown {missing}")
    for alias in aliases:
        if alias.license not in licenses:
            raise InputError(base / "licenses", f"alias '{alias.alias}' names unknown license")
    platforms: list[Platform] = []
    for path in _yaml_files(base / "platforms"):
        platforms.extend(_validated(path, PlatformFile, "platform terms").platforms)
    models: list[ModelFamily] = []
    for path in _yaml_files(base / "models"):
        models.extend(_validated(path, ModelFile, "model-output terms").models)
    registry: dict[str, RegistryEntry] = {}
    for path in _yaml_files(base / "registry"):
        for entry in _validated(path, RegistryFile, "dataset registry").datasets:
            for key in (entry.id, *entry.aliases):
                if key.lower() in registry:
                    raise InputError(path, f"dataset '{key}' is in the registry twice")
                registry[key.lower()] = entry
    return KnowledgeBase(
        registry=registry,
        licenses=licenses,
        families=families,
        aliases=tuple(aliases),
        platforms=tuple(platforms),
        models=tuple(models),
    )
