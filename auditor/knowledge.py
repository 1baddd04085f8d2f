"""The knowledge base in ``rules/``: licenses, license families, platform terms, model-output terms.

Everything here is data with a source. The YAML files are validated into frozen pydantic models at
load time, so a typo in ``rules/`` fails with ``path:line`` instead of being ignored. Entries that
cannot be sourced are simply absent, and whatever would have matched them resolves to unknown.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from functools import cache, cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from auditor import document
from auditor.errors import InputError


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _compiled(patterns: tuple[str, ...]) -> tuple[str, ...]:
    for pattern in patterns:
        re.compile(pattern)  # a typo in a rule's regex fails at load time, with its place
    return patterns


Regexes = Annotated[tuple[str, ...], AfterValidator(_compiled)]


class Source(Frozen):
    """Where a knowledge entry comes from, and which version or date of the terms it reflects."""

    url: Annotated[str, Field(pattern=r"^https?://")]
    version: str
    dated: date | None = None  # the date of that version (a commit's date, a page's "last updated")
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

    def __hash__(self) -> int:  # pydantic's hashes every field through a getter, per call
        return hash(self.key)

    @property
    def key(self) -> tuple[CommercialUse, bool, bool, bool, bool, bool]:
        """The terms as a plain tuple: equal exactly when the terms are."""
        return (
            self.commercial_use,
            self.attribution,
            self.share_alike,
            self.no_derivatives,
            self.research_only,
            self.use_restricted,
        )


class License(Frozen):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")]
    name: str
    terms: LicenseTerms
    source: Source
    aliases: tuple[str, ...] = ()
    urls: tuple[str, ...] = ()
    phrases: Regexes = Field(
        default=(),
        description="Regexes that, found in license prose, are heuristic evidence of these terms",
    )
    notes: str | None = None

    def __hash__(self) -> int:
        # Equal licenses have one id; pydantic's hash walks every field (aliases, URLs, phrases)
        # and a license tree's leaves are hashed often (its ORs decided, its leaves made unique).
        return hash(self.id)

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
    """Another name for a license or family, from a named source (a Hugging Face Hub license id,
    the value a downloader writes, a platform's label).

    ``whole_value`` names are read only as the whole of a license value, never inside prose: a
    short code ("by-nc") or a status ("public domain") that words around it could contradict
    ("funded by NC State", "not in the public domain").
    """

    alias: str
    license: str  # a license id or a family id
    whole_value: bool = False
    source: Source


def _normalised(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(" ".join(v.split()).lower() for v in values)


Placeholder = Annotated[tuple[str, ...], AfterValidator(_normalised)]


class Placeholders(Frozen):
    """Whole license values that name no license, matched case-folded with spaces collapsed."""

    no_license: Placeholder = Field(
        description="Values saying there is no license, or one that is not given ('unknown', "
        "'No License', 'custom'): an unknown part, which blocks whatever else is claimed"
    )
    no_statement: Placeholder = Field(
        description="Values stating nothing (SPDX's NOASSERTION, an unfilled card template): "
        "silent, like prose that names no license"
    )
    pointers: Placeholder = Field(
        description="Values pointing elsewhere ('other', 'see license'): silent when a license "
        "name, link or prose of the same dataset resolves, an unknown part otherwise"
    )

    @model_validator(mode="after")
    def _one_meaning_each(self) -> Placeholders:
        lists = (self.no_license, self.no_statement, self.pointers)
        seen = [v for values in lists for v in set(values)]
        twice = sorted({v for v in seen if seen.count(v) > 1})
        if twice:
            raise ValueError(f"placeholders listed with two meanings: {twice}")
        return self

    @cached_property
    def every(self) -> frozenset[str]:
        return frozenset(self.no_license) | frozenset(self.no_statement) | frozenset(self.pointers)


class ExpressionPhrases(Frozen):
    """Words in license prose that say how the licenses it names combine."""

    placeholders: Placeholders

    or_later: Regexes = Field(
        description="Regexes for a trailing 'or later' after one license name ('GPL v2 or later')"
    )
    choice: Regexes = Field(
        description="Regexes saying the licenses named are alternatives ('dual licensed', 'either')"
    )
    not_license: Regexes = Field(
        default=(),
        description="Regexes for words that make a short value a dataset's name, not a license",
    )
    limiting: Regexes = Field(
        default=(),
        description=(
            "Regexes for words that limit a use ('educational use only', 'requires permission'); "
            "where no known phrase reads them, they are a restriction whose terms are unknown"
        ),
    )
    withholding: Regexes = Field(
        default=(),
        description=(
            "Regexes for words that deny or withhold a license named beside them ('not CC0', "
            "'all rights reserved', 'CC0 compatible'): a restriction whose terms are unknown"
        ),
    )
    scope: Regexes = Field(
        default=(),
        description=(
            "Regexes for a part of the data ('metadata', 'images', 'annotations only'); beside "
            "the one license a value names, the other parts' terms are unstated"
        ),
    )
    whole: Regexes = Field(
        default=(),
        description=(
            "Regexes for words that extend a license to the whole dataset ('both the dataset and "
            "the underlying text'): beside them a part named is not a scope"
        ),
    )
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
    """The shape of what a model's terms say about training other models on its output."""

    BAN = "ban"  # forbidden, for some or all models: rule model-output-terms
    CONDITIONS = "conditions"  # allowed once conditions are met: rule model-output-conditions
    NONE = "none"  # no restriction on training with the output: no finding


class ConditionKind(StrEnum):
    """A condition that can be met when a model trained on the output is distributed."""

    NAMING = "naming"  # the model's name must begin with the generator's ("Llama ...")
    ATTRIBUTION = "attribution"  # its documentation must credit the generator ("Built with ...")
    PASS_THROUGH = "pass-through"  # the generator's terms and use restrictions pass on to it


class OutputCondition(Frozen):
    kind: ConditionKind
    summary: str  # what to do, in a few words, for the finding's message
    quote: str  # the clause, verbatim


class Channel(StrEnum):
    """How the output was produced, which decides whose terms govern it."""

    SERVICE = "service"  # a hosted API or app: the provider's service terms
    OPEN_WEIGHTS = "open-weights"  # a checkpoint run by the user: the model's own license


class Provider(Frozen):
    """A model provider and the names it publishes data under (Hub organisations included)."""

    name: str
    aliases: tuple[str, ...] = ()

    def claims(self, creator: str) -> bool:
        """Whether ``creator`` names this provider (case-insensitively)."""
        key = creator.strip().casefold()
        return any(key == name.casefold() for name in (self.name, *self.aliases))


class ModelFamily(Frozen):
    """Generator names of one model (or one hosted service), and the terms its output carries.

    ``examples`` are names that must match this entry and no other; the test suite checks them.
    """

    id: str
    provider: str
    name: str
    channel: Channel
    license: str | None = None  # the model license of open weights, as its source names it
    patterns: Annotated[Regexes, Field(min_length=1)]
    examples: Annotated[tuple[str, ...], Field(min_length=1)]
    terms: OutputTermsKind
    clause: str
    quote: str
    conditions: tuple[OutputCondition, ...] = ()
    source: Source

    @model_validator(mode="after")
    def _conditions_fit_terms(self) -> ModelFamily:
        if self.terms is OutputTermsKind.CONDITIONS and not self.conditions:
            raise ValueError("terms 'conditions' need at least one entry in 'conditions'")
        if self.terms is OutputTermsKind.NONE and self.conditions:
            raise ValueError("terms 'none' cannot have 'conditions'")
        if self.channel is Channel.OPEN_WEIGHTS and self.license is None:
            raise ValueError("open-weights entries name their model 'license'")
        return self

    @cached_property
    def matcher(self) -> re.Pattern[str]:
        return _matcher(self.patterns)


class NameForms(Frozen):
    """How published names wrap a model's own name: repackagers' namespaces ("TheBloke/") and
    format or quantisation suffixes ("-GGUF", ".Q4_K_M"). A name no entry matches is matched again
    without them; they never change which model it is."""

    note: str
    prefixes: Regexes = ()
    suffixes: Regexes = ()


class NotModels(Frozen):
    """Generator values that name no model (people, templates, rules): no output terms apply."""

    note: str
    patterns: Annotated[Regexes, Field(min_length=1)]


def _matcher(patterns: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


class EvidenceLevel(StrEnum):
    """How far a registry entry's license facts have been checked, best first."""

    PUBLISHER = "publisher"  # the publisher's own terms: its repository, paper, page or Hub card
    EXPERT_AUDIT = "expert-audit"  # an expert audit (the Data Provenance Initiative's Licenses)
    HUB_TAG = "hub-tag"  # a metadata tag others wrote (a canonical Hub card, a Croissant export)


class Modality(StrEnum):
    TEXT = "text"
    INSTRUCTION = "instruction"  # instruction-tuning, chat and preference data
    CODE = "code"
    IMAGE = "image"
    VIDEO = "video"
    SPEECH = "speech"
    AUDIO = "audio"
    TABULAR = "tabular"
    MULTIMODAL = "multimodal"


class MediaRights(StrEnum):
    """What a dataset's source says of the media (images, videos, audio) beside its license."""

    NOT_LICENSED = "not-licensed"  # only the references or metadata are licensed; the media stay
    # with their owners, under the terms of the sites they are on
    PER_ITEM = "per-item"  # each item carries its own license, recorded with the item


class Withdrawal(Frozen):
    """A dataset its publisher or host took down, and who says so."""

    on: date | None = None  # when it was withdrawn, where the source says
    source: Source
    note: str | None = None


class Reading(Frozen):
    """What a value some source writes about this dataset means, from a source that settles it.

    A third party may record a dataset's license in words of its own (the Data Provenance
    Initiative's "No License" on CommitPackFT). Where the publisher's own material settles what
    that value covers (the query that selected the data), ``means`` is the license expression it
    stands for, the most restrictive reading of what the source allows; claims whose value is
    ``written`` (compared case-folded, spaces collapsed) are read as ``means``, and say so.
    """

    written: Annotated[str, Field(min_length=1)]
    means: Annotated[str, Field(min_length=1)]
    source: Source
    note: Annotated[str, Field(min_length=1)]

    def matches(self, value: str) -> bool:
        return _folded(value) == _folded(self.written)


def _folded(text: str) -> str:
    return " ".join(text.split()).casefold()


def _one_or_many(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


Strings = Annotated[tuple[str, ...], BeforeValidator(_one_or_many)]


class RegistryEntry(Frozen):
    """Public license facts about a well-known dataset, used when its metadata is out of reach.

    ``id`` is the dataset's Hugging Face repo id (``owner/name``) or another stable name; it is
    matched, like ``aliases`` and ``urls``, in the normal form of :func:`dataset_key`. Every fact
    comes from ``source`` (the dataset's card, paper, repository or an audit of it), noted in
    reports as the origin of the fact; ``evidence`` says how far that source can be trusted: a
    ``hub-tag`` entry's license is unaudited, a hint that never clears a dataset on its own.
    ``license`` covers what the dataset distributes (for a pointer dataset, the references);
    ``media`` says what rights the media carry. Several license values all apply.
    """

    id: str
    name: str
    modality: Modality
    evidence: EvidenceLevel
    aliases: tuple[str, ...] = ()
    urls: tuple[Annotated[str, Field(pattern=r"^https?://")], ...] = ()
    license: Strings = ()
    pointer: bool = False
    media: MediaRights | None = None
    generated_by: tuple[str, ...] = ()
    machine_generated: bool = False  # model-generated, the model not named
    derived_from: tuple[str, ...] = ()
    collected_from: tuple[str, ...] = ()  # domains
    # The publisher collected the content itself and redistributes it under its own license.
    redistributed: bool = False
    creators: Strings = ()  # who released it (a model provider's own release is judged by it)
    withdrawn: Withdrawal | None = None
    readings: tuple[Reading, ...] = ()  # what third parties' words for its license mean
    source: Source
    notes: str | None = None

    def match_keys(self) -> tuple[str, ...]:
        """Every normal form this entry is matched by: its id first, then aliases and urls."""
        return tuple(dict.fromkeys(dataset_key(k) for k in (self.id, *self.aliases, *self.urls)))


class RegistryFile(Frozen):
    generated: str | None = None  # what wrote a generated file, and how to refresh it
    datasets: tuple[RegistryEntry, ...]


# A Hub dataset page, and the path segments that follow a repo id in its URLs.
_HUB_PAGE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://)?(?:www\.)?huggingface\.co/datasets/", re.I)
_HUB_PAGE_TAILS = frozenset(
    {"tree", "blob", "resolve", "viewer", "discussions", "commits", "commit", "raw", "edit"}
)
_SEPARATORS = re.compile(r"[\s_.\-]+")
# A bare name's trailing word "dataset" ("COPA dataset", "Book Corpus dataset") names nothing more.
_DATASET_WORD = re.compile(r"(?<=\S)\s+(?:data ?sets?)$", re.I)
_HOST = re.compile(r"^[^/\s]+\.[a-z]{2,}(?:[:/]|$)", re.I)


# Platform domain indexes of the last platform lists seen, by the list's identity (a copy of a
# knowledge base with other platforms is another list); each entry keeps its list alive, so an
# identity is never reused while it is here.
_DOMAIN_INDEXES: dict[int, tuple[tuple[Platform, ...], dict[str, int]]] = {}


def _platform_domains(platforms: tuple[Platform, ...]) -> dict[str, int]:
    """Each platform domain, and the position of the first platform that lists it."""
    cached = _DOMAIN_INDEXES.get(id(platforms))
    if cached is not None and cached[0] is platforms:
        return cached[1]
    index: dict[str, int] = {}
    for at, platform in enumerate(platforms):
        for domain in platform.domains:
            index.setdefault(domain, at)
    if len(_DOMAIN_INDEXES) >= 8:
        _DOMAIN_INDEXES.clear()
    _DOMAIN_INDEXES[id(platforms)] = (platforms, index)
    return index


@lru_cache(maxsize=1 << 16)  # a manifest names a dataset several times (its id, lineage, look-ups)
def dataset_key(reference: str) -> str:
    """The normal form in which a dataset reference is matched against the registry.

    A Hub id (``hf://Owner/Name``, ``datasets/owner/name``, its ``huggingface.co/datasets/`` page,
    with or without a trailing slash or a ``/tree/main`` tail) is its ``owner/name``, case
    folded. Any other URL (``https://www.github.com/Owner/Repo.git/``) is its host and path,
    case folded, without scheme, ``www.``, query, fragment, trailing slash or ``.git``. A bare
    name (``MS Marco``, ``ms_marco``) is case folded with spaces, ``_``, ``-`` and ``.`` removed,
    as papers, cards and the Data Provenance Initiative spell one name several ways, and without a
    trailing word "dataset" (``COPA dataset`` is ``COPA``).
    """
    text = reference.strip()
    page = hub_page_id(text)
    if page is not None:
        text = page
    elif ("://" in text and not text.lower().startswith("hf://")) or _HOST.match(text):
        return _url_key(text)
    text = text.casefold().removeprefix("hf://").removeprefix("datasets/").strip("/")
    return text if "/" in text else _SEPARATORS.sub("", _DATASET_WORD.sub("", text))


def hub_page_id(url: str) -> str | None:
    """The repo id, as written, of a ``huggingface.co/datasets/`` page; None for other text."""
    page = _HUB_PAGE.match(url.strip())
    if page is None:
        return None
    parts = [p for p in re.split(r"[/?#]", url.strip()[page.end() :])[:2] if p]
    if len(parts) == 2 and parts[1].lower() in _HUB_PAGE_TAILS:
        parts = parts[:1]
    return "/".join(parts) or None


def _url_key(url: str) -> str:
    text = url.strip().casefold().split("://", 1)[-1]
    text = re.split(r"[?#]", text, maxsplit=1)[0].removeprefix("www.").rstrip("/")
    return text.removesuffix(".git").rstrip("/")


class LicenseFile(Frozen):
    licenses: tuple[License, ...] = ()
    families: tuple[Family, ...] = ()
    aliases: tuple[Alias, ...] = ()
    expression_phrases: ExpressionPhrases | None = None


class PlatformFile(Frozen):
    platforms: tuple[Platform, ...]


class ModelFile(Frozen):
    providers: tuple[Provider, ...] = ()
    models: tuple[ModelFamily, ...] = ()
    not_models: NotModels | None = None
    name_forms: NameForms | None = None


class KnowledgeBase(Frozen):
    licenses: Mapping[str, License]
    families: Mapping[str, Family]
    aliases: tuple[Alias, ...]
    platforms: tuple[Platform, ...]
    expression_phrases: ExpressionPhrases | None = None
    models: tuple[ModelFamily, ...]
    providers: Mapping[str, Provider] = Field(default_factory=dict)
    not_models: tuple[str, ...] = ()  # patterns of generator values that name no model
    name_forms: NameForms | None = None
    registry: Mapping[str, RegistryEntry] = Field(default_factory=dict)

    def known_dataset(self, name: str) -> RegistryEntry | None:
        """A registry entry by id, alias or URL, compared in the normal form of
        :func:`dataset_key` (case, ``hf://``, Hub pages, schemes and trailing slashes ignored)."""
        return self.registry.get(dataset_key(name))

    def license(self, license_id: str) -> License | None:
        return self.licenses.get(license_id)

    def platform_for(self, host: str) -> Platform | None:
        """The platform whose domain is ``host`` or a parent domain of it (the first listed, when
        several are)."""
        labels = host.lower().rstrip(".").split(".")
        domains = _platform_domains(self.platforms)
        found = [
            at for i in range(len(labels)) if (at := domains.get(".".join(labels[i:]))) is not None
        ]
        return self.platforms[min(found)] if found else None

    def platform_named(self, name: str) -> Platform | None:
        """The platform a bare name stands for (``YouTube``, ``reddit``): its id or its name,
        case and punctuation ignored. A name with a dot is a host, not a name."""
        key = re.sub(r"[^a-z0-9]", "", name.lower())
        if not key or "." in name:
            return None
        return next(
            (p for p in self.platforms if key in {p.id, re.sub(r"[^a-z0-9]", "", p.name.lower())}),
            None,
        )

    def model_for(self, name: str) -> ModelFamily | None:
        for candidate in dict.fromkeys((name.strip(), self._bare_name(name.strip()))):
            found = next((m for m in self.models if m.matcher.fullmatch(candidate)), None)
            if found is not None:
                return found
        return None

    def _bare_name(self, name: str) -> str:
        """``name`` without a repackager's namespace and format suffixes (``name_forms``)."""
        if self.name_forms is None:
            return name
        prefix, suffix = _name_form_patterns(self.name_forms)
        bare = prefix.sub("", name, count=1)
        while (shorter := suffix.sub("", bare, count=1)) != bare and shorter:
            bare = shorter
        return bare

    def not_a_model(self, name: str) -> bool:
        """Whether a generator value names people, templates or rules rather than a model."""
        return (
            bool(self.not_models)
            and _not_models(self.not_models).fullmatch(" ".join(name.split())) is not None
        )

    def released_by_provider(self, family: ModelFamily, creators: Iterable[str]) -> bool:
        """Whether ``family``'s provider released the data: every creator claim names it.

        Every, not any: a claim beside someone else's is not the provider's own release (the Data
        Provenance Initiative lists ShareGPT's user-shared ChatGPT conversations under "OpenAI"
        and "ShareGPT"), and a wrong exemption would pass data the provider's terms forbid.
        """
        provider = self.providers.get(family.provider, Provider(name=family.provider))
        claims = list(creators)
        return bool(claims) and all(provider.claims(creator) for creator in claims)


@cache
def _not_models(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return _matcher(patterns)


@cache
def _name_form_patterns(forms: NameForms) -> tuple[re.Pattern[str], re.Pattern[str]]:
    prefix = "|".join(f"(?:{p})" for p in forms.prefixes) or r"(?!)"
    suffix = "|".join(f"(?:{p})" for p in forms.suffixes) or r"(?!)"
    return (
        re.compile(f"^(?:{prefix})", re.IGNORECASE),
        re.compile(f"(?:{suffix})$", re.IGNORECASE),
    )


def rules_dir() -> Path:
    """``auditor/rules`` inside an installed wheel, else ``rules/`` of the source checkout."""
    packaged = Path(str(resources.files("auditor"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


@cache
def rules_digest(root: Path | None = None) -> str:
    """The knowledge base's version: a sha256 over every file under ``rules/`` (or ``root``).

    Files are taken in the order of their POSIX paths relative to the folder, sorted; each adds
    its path, a NUL, its size as 8 bytes and its bytes, so the same files give the same digest on
    every machine and no two different trees give the same input to the hash.
    """
    base = root or rules_dir()
    files = sorted(
        (path.relative_to(base).as_posix(), path) for path in base.rglob("*") if path.is_file()
    )
    digest = hashlib.sha256()
    for name, path in files:
        data = path.read_bytes()
        digest.update(name.encode("utf-8") + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


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
    phrases: ExpressionPhrases | None = None
    for path in _yaml_files(base / "licenses"):
        data: LicenseFile = _validated(path, LicenseFile, "license knowledge")
        if data.expression_phrases is not None:
            if phrases is not None:
                raise InputError(path, "expression phrases are defined twice")
            phrases = data.expression_phrases
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
        if alias.license not in licenses and alias.license not in families:
            raise InputError(base / "licenses", f"alias '{alias.alias}' names unknown license")
    platforms: list[Platform] = []
    for path in _yaml_files(base / "platforms"):
        platforms.extend(_validated(path, PlatformFile, "platform terms").platforms)
    models: list[ModelFamily] = []
    providers: dict[str, Provider] = {}
    not_models: list[str] = []
    name_forms: NameForms | None = None
    for path in _yaml_files(base / "models"):
        model_file: ModelFile = _validated(path, ModelFile, "model-output terms")
        if model_file.name_forms is not None:
            if name_forms is not None:
                raise InputError(path, "model name forms are defined twice")
            name_forms = model_file.name_forms
        for provider in model_file.providers:
            if provider.name in providers:
                raise InputError(path, f"provider '{provider.name}' is defined twice")
            providers[provider.name] = provider
        models.extend(model_file.models)
        if model_file.not_models is not None:
            not_models.extend(model_file.not_models.patterns)
    for generator in models:
        if generator.provider not in providers:
            raise InputError(
                base / "models",
                f"model '{generator.id}' names unknown provider '{generator.provider}'",
            )
    return KnowledgeBase(
        registry=load_registry(base / "registry"),
        licenses=licenses,
        families=families,
        aliases=tuple(aliases),
        platforms=tuple(platforms),
        expression_phrases=phrases,
        models=tuple(models),
        providers=providers,
        not_models=tuple(not_models),
        name_forms=name_forms,
    )


GENERATED = "generated"  # the registry's subfolder written by scripts/build_registry.py


def _generated(path: Path) -> RegistryFile:
    """A generated registry file: JSON, read fast; on an error, read again for its line."""
    try:
        return RegistryFile.model_validate_json(path.read_bytes())
    except ValidationError:
        validated: RegistryFile = _validated(path, RegistryFile, "dataset registry")
        return validated


def load_registry(folder: Path) -> dict[str, RegistryEntry]:
    """The registry by every key of every entry: hand-written files, then generated ones.

    A hand-written entry wins over a generated one: a generated entry whose id a hand-written one
    holds (as id, alias or URL) is superseded and lends it its other keys, where free; a generated
    entry's alias or URL that a hand-written entry holds stays with the hand-written one. The same
    key twice among hand-written entries, or among generated ones, is an error.
    """
    registry: dict[str, RegistryEntry] = {}
    for path in _yaml_files(folder):
        for entry in _validated(path, RegistryFile, "dataset registry").datasets:
            for key in entry.match_keys():
                if key in registry:
                    raise InputError(path, f"dataset '{key}' is in the registry twice")
                registry[key] = entry
    curated = dict(registry)
    for path in sorted((folder / GENERATED).glob("*.json")):
        for entry in _generated(path).datasets:
            first, *rest = entry.match_keys()
            holder = curated.get(first, entry)
            for key in (first, *rest):
                if key in curated:
                    continue
                if key in registry:
                    raise InputError(path, f"dataset '{key}' is in the registry twice")
                registry[key] = holder
    return registry
