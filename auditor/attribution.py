"""Attribution: which licenses that apply to a dataset require crediting its source, and the rule
``attribution-missing`` for a dataset that must be credited but names nobody to credit.

Who to credit is what the metadata claims: ``creators`` (the manifest's ``creator``/``creators``,
Croissant ``creator``, DPI ``Creators``, a card's BibTeX authors, the Hub account, the registry)
and ``attribution``, the credit the licensor asks for as written (the manifest's ``attribution``,
Croissant ``citeAs``, a card's Citation section, DPI ``Bibtex``). Either is enough to give credit.
"""

from __future__ import annotations

from auditor.findings import finding
from auditor.knowledge import License
from auditor.licensing import Choice
from auditor.model import Dataset
from auditor.policy import Policy
from auditor.report import Evidence, Finding
from auditor.rulebook import Rule

_NAMED = 3  # licenses named in a message before "and N more"


def crediting_licenses(choice: Choice | None) -> tuple[License, ...]:
    """The licenses among those that apply (every OR decided) that require attribution, once each,
    in the order of the expression."""
    if choice is None:
        return ()
    found: dict[str, License] = {}
    for leaf in choice.leaves:
        if leaf.license is not None and leaf.license.terms.attribution:
            found.setdefault(leaf.license.id, leaf.license)
    return tuple(found.values())


def attribution_findings(ds: Dataset, choice: Choice | None, policy: Policy) -> list[Finding]:
    """``attribution-missing`` when a license that applies requires attribution and the dataset
    names neither a creator nor the credit to give."""
    required = crediting_licenses(choice)
    if not required or ds.creators or ds.attribution:
        return []
    ids = [lic.id for lic in required]
    more = len(ids) - _NAMED
    named = ", ".join(ids[:_NAMED]) + (f" and {more} more" if more > 0 else "")
    message = (
        f"{named} require{'s' if len(ids) == 1 else ''} crediting the source, but no creator or "
        "attribution text is recorded: the credit cannot be given (record 'creator' or "
        "'attribution')"
    )
    evidence = Evidence(
        source_url=required[0].source.url,
        version=required[0].source.version,
        trigger=f"license: {ds.licenses[0].value}" if ds.licenses else None,
    )
    return finding(policy, Rule.ATTRIBUTION_MISSING, ds.id, message, ds.license_location, evidence)
