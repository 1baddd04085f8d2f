"""Policies: which finding rule matters how much for a given use, as data in ``rules/policies``.

A policy maps every rule to a severity (``error``, ``warning``, ``info``) or ``off``. A user policy
file may ``extends:`` a built-in one and override some rules. The opt-out rules of ``auditor scan``
(``rulebook.SCAN_ONLY``) are ``error`` where a policy file does not name them.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

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


class PolicyFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    extends: str | None = None
    severities: dict[Rule, Level]


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    severities: dict[Rule, Level]

    def severity(self, rule: Rule) -> Severity | None:
        level = self.severities[rule]
        return None if level is Level.OFF else Severity(level.value)


def builtin_policies() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in (rules_dir() / "policies").glob("*.yaml")))


def load_policy(name_or_path: str) -> Policy:
    """A built-in policy by name (``commercial``, ``research``) or a policy file by path."""
    if name_or_path in builtin_policies():
        return _load(rules_dir() / "policies" / f"{name_or_path}.yaml", seen=())
    path = Path(name_or_path)
    if not path.exists():
        known = ", ".join(builtin_policies())
        raise InputError(name_or_path, f"no such policy file or built-in policy ({known})")
    return _load(path, seen=())


def _load(path: Path, seen: tuple[str, ...]) -> Policy:
    doc = document.load(path)
    try:
        spec = PolicyFile.model_validate(doc.data)
    except ValidationError as exc:
        raise doc.validation_error(exc, "policy") from exc
    severities: dict[Rule, Level] = {}
    if spec.extends is not None:
        if spec.extends not in builtin_policies() or spec.extends in seen:
            raise doc.error(("extends",), f"cannot extend '{spec.extends}'")
        base = _load(rules_dir() / "policies" / f"{spec.extends}.yaml", (*seen, spec.name))
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
    return Policy(name=spec.name, description=spec.description, severities=severities)
