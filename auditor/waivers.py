"""Waivers: accepted exceptions, each naming the rule and dataset it covers, a reason, who
approved it and when it expires. A waived finding stays in every report, marked waived; an expired
waiver stops applying and says so.

A waiver covers exactly the (dataset, rule, origin) it names. Without ``upstream`` it covers the
dataset's own findings (``via`` empty), never what the dataset inherits from another licensor;
``upstream: <id>`` covers the findings it inherits from that dataset (``via[-1]``), and
``upstream: "*"`` those it inherits from any upstream. A waiver on the upstream dataset itself
covers the upstream's own finding, not the copies on its descendants.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from auditor import document
from auditor.model import Location
from auditor.policy import Policy
from auditor.report import Finding, WaiverRef, WaiverReport, WaiverStatus
from auditor.rulebook import Rule


def _has_text(value: str) -> str:
    if _WORD.search(value) is None:
        raise ValueError("must contain text (a letter or a digit), not only spaces or marks")
    return value


_WORD = re.compile(r"[^\W_]")
# A value someone must actually write: "", " " and "\u200b" are refused, the text is kept as
# written.
Written = Annotated[str, AfterValidator(_has_text)]


def _is_name(value: str) -> str:
    if not value.strip() or not value.isprintable():
        raise ValueError("must name a dataset: printable text, not blank")
    return value


# A dataset id (or "*" for every upstream): printable and not blank.
Named = Annotated[str, AfterValidator(_is_name)]


# ``upstream: "*"``: the findings a dataset inherits from any upstream, written out on purpose.
ANY_UPSTREAM = "*"


class Waiver(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: Rule
    dataset: Named
    upstream: Named | None = None
    reason: Written
    approved_by: Written
    expires: date

    @field_validator("upstream")
    @classmethod
    def _not_itself(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == info.data.get("dataset"):
            raise ValueError(
                f"'{value}' is the waiver's own dataset; its own findings are waived "
                "without 'upstream'"
            )
        return value

    def covers(self, finding: Finding) -> bool:
        """Whether this waiver names the finding's dataset, rule and origin."""
        if finding.rule != self.rule or finding.dataset != self.dataset:
            return False
        if not finding.via:
            return self.upstream is None
        return self.upstream in (ANY_UPSTREAM, finding.via[-1])


class WaiverFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: Literal[1] = 1
    waivers: tuple[Waiver, ...]


@dataclass(frozen=True)
class PlacedWaiver:
    waiver: Waiver
    location: Location


def load_waivers(path: Path) -> tuple[PlacedWaiver, ...]:
    doc = document.load(path)
    try:
        spec = WaiverFile.model_validate(doc.data)
    except ValidationError as exc:
        raise doc.validation_error(exc, "waivers") from exc
    return tuple(
        PlacedWaiver(w, Location(path=doc.path, line=doc.line(("waivers", i))))
        for i, w in enumerate(spec.waivers)
    )


def apply_waivers(
    findings: Sequence[Finding],
    waivers: Sequence[PlacedWaiver],
    today: date,
    policy: Policy,
) -> tuple[list[Finding], list[WaiverReport]]:
    """Mark findings covered by an unexpired waiver; report expired waivers as findings."""
    result: list[Finding] = []
    used: set[int] = set()
    expired_hits: dict[int, Finding] = {}
    for finding in findings:
        match = None
        for index, placed in enumerate(waivers):
            w = placed.waiver
            if not w.covers(finding):
                continue
            if w.expires < today:
                expired_hits.setdefault(index, finding)
                continue
            match = index
            break
        if match is None:
            result.append(finding)
            continue
        used.add(match)
        placed = waivers[match]
        ref = WaiverRef(
            reason=placed.waiver.reason,
            approved_by=placed.waiver.approved_by,
            expires=placed.waiver.expires,
            location=placed.location,
        )
        result.append(finding.model_copy(update={"waived": True, "waiver": ref}))
    severity = policy.severity(Rule.WAIVER_EXPIRED)
    statuses: list[WaiverReport] = []
    for index, placed in enumerate(waivers):
        w = placed.waiver
        if index in used:
            status = WaiverStatus.APPLIED
        elif w.expires < today:
            status = WaiverStatus.EXPIRED
        else:
            status = WaiverStatus.UNUSED
        if index in expired_hits and severity is not None:
            result.append(
                Finding(
                    rule=Rule.WAIVER_EXPIRED,
                    severity=severity,
                    dataset=w.dataset,
                    message=(
                        f"waiver for {w.rule.value}{_inherited(w)} expired on "
                        f"{w.expires.isoformat()} "
                        f"(approved by {w.approved_by}); the finding applies again"
                    ),
                    location=placed.location,
                )
            )
        statuses.append(
            WaiverReport(
                rule=w.rule,
                dataset=w.dataset,
                upstream=w.upstream,
                reason=w.reason,
                approved_by=w.approved_by,
                expires=w.expires,
                status=status,
                location=placed.location,
            )
        )
    return result, statuses


def _inherited(waiver: Waiver) -> str:
    """How an expiry message names a waiver's upstream, if it has one."""
    if waiver.upstream is None:
        return ""
    source = "any upstream" if waiver.upstream == ANY_UPSTREAM else waiver.upstream
    return f" (inherited from {source})"
