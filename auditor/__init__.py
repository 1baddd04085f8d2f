"""auditor: may we train on this data? A license and terms gate for training-data manifests.

Use it at the top of a training script::

    import auditor
    auditor.gate("mix.yaml", policy="commercial")   # raises auditor.GateFailed if blocked

The result informs legal review; it is not legal advice.
"""

from __future__ import annotations

from auditor.api import GateFailed, audit, gate
from auditor.errors import AuditorError, InputError
from auditor.report import Report
from auditor.version import __version__

__all__ = ["AuditorError", "GateFailed", "InputError", "Report", "__version__", "audit", "gate"]
