"""auditor: may we train on this data? A license and terms gate for training-data manifests.

Use it at the top of a training script::

    import auditor
    auditor.gate("mix.yaml", policy="commercial")   # raises auditor.GateFailed if blocked

The result informs legal review; it is not legal advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from auditor.errors import AuditorError, InputError
from auditor.version import __version__

if TYPE_CHECKING:
    from auditor.api import GateFailed, audit, gate
    from auditor.report import Report

__all__ = ["AuditorError", "GateFailed", "InputError", "Report", "__version__", "audit", "gate"]

# The API loads on first use, so that `auditor scan` and other subpackages do not pay for the
# manifest readers they never call.
_LAZY = {"GateFailed": "auditor.api", "audit": "auditor.api", "gate": "auditor.api"}
_LAZY["Report"] = "auditor.report"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'auditor' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
