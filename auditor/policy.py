"""Policies: which finding rule matters how much for a given use, as data in ``rules/policies``.

A policy maps every rule to a severity (``error``, ``warning``, ``info``) or ``off``. A user policy
file may ``extends:`` a built-in one and override some rules. The opt-out rules of ``auditor scan``
(``rulebook.SCAN_ONLY``) are ``error`` where a policy file does not name them.

A policy cannot pass for what it is not. The built-in names are reserved: a policy file must name
itself otherwise. The fail-closed rules (``FAIL_CLOSED``: what the gate cannot check blocks it) may
be set below ``error`` only by a policy that says so in ``relaxes:``, listing exactly the
fail-closed rules it lowers once ``extends`` is applied (inherited ones included); every report
under it says so too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from auditor import document
from auditor.errors import InputError
from auditor.knowledge import rules_dir
from auditor.rulebook import SCAN_ONLY, Rule


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]


class FailOn(StrEnum):
    """The lowest severity that fails the gate (a command-line choice)."""

    ERROR = "error"
    WARNING = "warning"


class Level(StrEnum):
    """A severity as a policy sets it: one of the severities, or ``off``."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    OFF = "off"


# The rules that make the gate fail closed: what the auditor could not establish (a license, a
# reference, a lineage, access terms, where content comes from, a generator and its terms) and a
# lineage it cannot trace. Below ``error`` they let unchecked data pass.
FAIL_CLOSED = frozenset(
    {
        Rule.LICENSE_UNKNOWN,
        Rule.REFERENCE_UNRESOLVED,
        Rule.LINEAGE_UNRESOLVED,
        Rule.LINEAGE_CYCLE,
        Rule.TERMS_UNRESOLVED,
        Rule.COLLECTION_UNRESOLVED,
        Rule.MODEL_OUTPUT_UNKNOWN,
        Rule.MODEL_GENERATOR_UNNAMED,
    }
)


# A policy's name is printed on every report as what the verdict was computed under: plain ASCII,
# so that no name can look like another ("commercial" with a zero-width space or a Cyrillic letter).
POLICY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")


class PolicyFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    extends: str | None = None
    relaxes: tuple[Rule, ...] = ()
    severities: dict[Rule, Level]


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    severities: dict[Rule, Level]
    relaxes: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _declares_what_it_relaxes(self) -> Self:
        lowered = relaxed(self.severities)
        if self.relaxes != lowered:
            raise ValueError(
                f"policy '{self.name}' must declare relaxes={[r.value for r in lowered]}, "
                "the fail-closed rules it sets below error (sorted), "
                f"not {[r.value for r in self.relaxes]}"
            )
        return self

    def severity(self, rule: Rule) -> Severity | None:
        level = self.severities[rule]
        return None if level is Level.OFF else Severity(level.value)


def relaxed(severities: Mapping[Rule, Level]) -> tuple[Rule, ...]:
    """The fail-closed rules ``severities`` set below ``error``, sorted."""
    return tuple(
        sorted(r for r in FAIL_CLOSED if severities.get(r, Level.ERROR) is not Level.ERROR)
    )


def builtin_policies() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (rules_dir() / "policies").glob("*.yaml")))


def load_policy(name_or_path: str) -> Policy:
    """A built-in policy by name (``commercial``, ``research``) or a policy file by path."""
    if name_or_path in builtin_policies():
        return _load(_builtin_path(name_or_path), seen=(), builtin=True)
    path = Path(name_or_path)
    if not path.exists():
        known = ", ".join(builtin_policies())
        raise InputError(name_or_path, f"no such policy file or built-in policy ({known})")
    return _load(path, seen=(), builtin=False)


def as_policy(policy: str | Policy) -> Policy:
    """A policy by name or path, or a policy object, which may use a built-in's name only if it is
    that built-in policy."""
    if isinstance(policy, str):
        return load_policy(policy)
    builtin = _builtin_named(policy.name)
    if builtin is not None and policy != load_policy(builtin):
        raise InputError(
            "policy",
            f"this policy differs from the built-in policy '{builtin}' and cannot take its name",
        )
    return policy


def _builtin_path(name: str) -> Path:
    return rules_dir() / "policies" / f"{name}.yaml"


def _builtin_named(name: str) -> str | None:
    """The built-in policy a report would seem to be under if a policy had ``name``."""
    key = " ".join(name.split()).casefold()
    return next((b for b in builtin_policies() if b.casefold() == key), None)


def _load(path: Path, seen: tuple[str, ...], *, builtin: bool) -> Policy:
    doc = document.load(path)
    try:
        spec = PolicyFile.model_validate(doc.data)
    except ValidationError as exc:
        raise doc.validation_error(exc, "policy") from exc
    reserved = None if builtin else _builtin_named(spec.name)
    if reserved is not None:
        raise doc.error(
            ("name",),
            f"'{spec.name}' is the name of a built-in policy; a policy file needs a name of its "
            f"own (it may 'extends: {reserved}')",
        )
    if not builtin and POLICY_NAME.fullmatch(spec.name) is None:
        raise doc.error(
            ("name",),
            f"{spec.name!r} is not a plain name: a policy's name is printed on every report, so it "
            "is ASCII letters, digits, spaces, '.', '_' or '-' (up to 64), and cannot look like "
            "another",
        )
    severities: dict[Rule, Level] = {}
    if spec.extends is not None:
        if spec.extends not in builtin_policies() or spec.extends in seen:
            raise doc.error(("extends",), f"cannot extend '{spec.extends}'")
        base = _load(_builtin_path(spec.extends), (*seen, spec.name), builtin=True)
        severities.update(base.severities)
    severities.update(spec.severities)
    for rule in SCAN_ONLY:
        severities.setdefault(rule, Level.ERROR)
    missing = [r.value for r in Rule if r not in severities]
    if missing:
        hint = (
            ""
            if spec.extends
            else f" (or add 'extends: {builtin_policies()[0]}' to inherit the rest)"
        )
        raise doc.error(
            ("severities",), f"policy gives no severity for: {', '.join(missing)}{hint}"
        )
    _check_relaxes(doc, spec, severities)
    return Policy(
        name=spec.name,
        description=spec.description,
        severities=severities,
        relaxes=relaxed(severities),
    )


def _check_relaxes(
    doc: document.Document, spec: PolicyFile, severities: Mapping[Rule, Level]
) -> None:
    """A policy file's ``relaxes`` lists exactly the fail-closed rules it sets below error."""
    lowered = relaxed(severities)
    for index, rule in enumerate(spec.relaxes):
        if rule not in FAIL_CLOSED:
            closed = ", ".join(sorted(FAIL_CLOSED))
            raise doc.error(
                ("relaxes", index),
                f"relaxes: '{rule.value}' is not a fail-closed rule; only {closed} are declared",
            )
        if rule not in lowered:
            raise doc.error(
                ("relaxes", index),
                f"relaxes: '{rule.value}' is at error in this policy; remove it from relaxes",
            )
    undeclared = [r for r in lowered if r not in spec.relaxes]
    if undeclared:
        first = undeclared[0]
        where = ("severities", first.value) if first in spec.severities else ("extends",)
        items = ", ".join(
            f"{r.value} ({severities[r].value}"
            + ("" if r in spec.severities else f", inherited from '{spec.extends}'")
            + ")"
            for r in undeclared
        )
        raise doc.error(
            where,
            f"fail-closed rule{'s' if len(undeclared) > 1 else ''} set below error but not "
            f"declared: {items}; a policy that lets what the gate cannot check pass must say "
            f"so: 'relaxes: [{', '.join(r.value for r in lowered)}]'",
        )
