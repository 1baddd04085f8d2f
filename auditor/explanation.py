"""``auditor explain``: how one license string resolves, and the terms it carries."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from auditor.checks import judge_resolution
from auditor.knowledge import CommercialUse, load_knowledge
from auditor.licensing import Status, commercial_use
from auditor.policy import load_policy
from auditor.resolver import resolver_for


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ExplainedLicense(Frozen):
    id: str
    name: str | None
    known: bool
    commercial_use: CommercialUse
    attribution: bool
    share_alike: bool
    no_derivatives: bool
    research_only: bool
    use_restricted: bool
    source_url: str | None
    source_version: str | None


class Explanation(Frozen):
    """The stable contract of ``auditor explain --format json``."""

    input: str
    expression: str | None
    status: Status
    commercial_use: CommercialUse
    evidence: str
    candidates: tuple[str, ...]
    decisions: tuple[str, ...]
    licenses: tuple[ExplainedLicense, ...]


def explain(text: str, policy: str = "commercial") -> Explanation:
    """Resolve ``text`` and decide any OR as the gate would under ``policy``."""
    kb = load_knowledge()
    resolution = resolver_for(kb).resolve(text)
    choice = judge_resolution(resolution, load_policy(policy))
    chosen = choice.leaves if choice else ()
    licenses = []
    for leaf in chosen:
        lic = leaf.license
        licenses.append(
            ExplainedLicense(
                id=leaf.render(),
                name=lic.name if lic else None,
                known=lic is not None,
                commercial_use=lic.terms.commercial_use if lic else CommercialUse.UNKNOWN,
                attribution=bool(lic and lic.terms.attribution),
                share_alike=bool(lic and lic.terms.share_alike),
                no_derivatives=bool(lic and lic.terms.no_derivatives),
                research_only=bool(lic and lic.terms.research_only),
                use_restricted=bool(lic and lic.terms.use_restricted),
                source_url=lic.source.url if lic else None,
                source_version=lic.source.version if lic else None,
            )
        )
    return Explanation(
        input=text,
        expression=resolution.expression,
        status=resolution.status,
        commercial_use=commercial_use(chosen),
        evidence=resolution.evidence,
        candidates=resolution.candidates,
        decisions=choice.decisions if choice else (),
        licenses=tuple(licenses),
    )
