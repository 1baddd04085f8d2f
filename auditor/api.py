"""The Python API: ``audit`` returns the report, ``gate`` raises when the gate fails.

At the top of a training script::

    auditor.gate("mix.yaml", policy="commercial")

Both take the same arguments (see :func:`auditor.engine.audit`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from auditor.engine import audit
from auditor.errors import AuditorError
from auditor.report import Report

__all__ = ["GateFailed", "audit", "gate"]

P = ParamSpec("P")


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


def _gating(run: Callable[P, Report]) -> Callable[P, Report]:
    @functools.wraps(run)
    def gate(*args: P.args, **kwargs: P.kwargs) -> Report:
        report = run(*args, **kwargs)
        if not report.passed:
            raise GateFailed(report)
        return report

    gate.__doc__ = (
        "Audit like :func:`audit`; return the report if the gate passes, raise "
        ":class:`GateFailed` carrying it otherwise."
    )
    gate.__name__ = gate.__qualname__ = "gate"  # wraps() copied the audit's name and module
    gate.__module__ = __name__
    return gate


gate = _gating(audit)
