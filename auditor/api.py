"""The Python API: ``audit`` returns the report, ``gate`` raises when the gate fails."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from auditor.engine import PathLike
from auditor.engine import audit as _audit
from auditor.errors import AuditorError
from auditor.policy import Policy, Severity
from auditor.report import Report


class GateFailed(AuditorError):
    """The training-data gate failed; ``report`` holds every finding."""

    def __init__(self, report: Report) -> None:
        self.report = report
        blocked = [d.id for d in report.datasets if d.verdict.value == "blocked"]
        failing = [
            f for f in report.findings if not f.waived and f.severity.rank >= report.fail_on.rank
        ]
        head = "; ".join(f"{f.dataset}: {f.rule.value}" for f in failing[:5])
        more = f" (and {len(failing) - 5} more)" if len(failing) > 5 else ""
        super().__init__(
            f"training-data gate failed under policy '{report.policy}': "
            f"{len(failing)} finding(s) at or above {report.fail_on.value}, "
            f"{len(blocked)} dataset(s) blocked: {head}{more}"
        )


def audit(
    paths: PathLike | Sequence[PathLike],
    *,
    policy: str | Policy = "commercial",
    waivers: PathLike | None = None,
    fail_on: Severity | str = Severity.ERROR,
    today: date | None = None,
    fmt: str | None = None,
    offline: bool = False,
) -> Report:
    """Audit manifest(s) and return the :class:`Report`; raises :class:`InputError` on bad input.

    ``offline`` answers Hugging Face look-ups from the cache only.
    """
    return _audit(
        paths,
        policy=policy,
        waivers=waivers,
        fail_on=fail_on,
        today=today,
        fmt=fmt,
        offline=offline,
    )


def gate(
    paths: PathLike | Sequence[PathLike],
    *,
    policy: str | Policy = "commercial",
    waivers: PathLike | None = None,
    fail_on: Severity | str = Severity.ERROR,
    today: date | None = None,
    fmt: str | None = None,
    offline: bool = False,
) -> Report:
    """Return the report if the gate passes; raise :class:`GateFailed` carrying it otherwise."""
    report = audit(
        paths,
        policy=policy,
        waivers=waivers,
        fail_on=fail_on,
        today=today,
        fmt=fmt,
        offline=offline,
    )
    if not report.passed:
        raise GateFailed(report)
    return report
