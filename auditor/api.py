"""The Python API: ``audit`` returns the report, ``gate`` raises when the gate fails.

A training script has Hub ids, a manifest file, or a manifest it built, in hand::

    import auditor

    auditor.gate(["hf://tatsu-lab/alpaca", "openai/gsm8k"])   # Hugging Face datasets
    auditor.gate("mix.yaml", policy="commercial")               # a manifest file
    auditor.gate({"version": 1, "name": "sft", "datasets": [...]})  # a native manifest

Each target is a manifest path, a Hugging Face reference (``hf://owner/name``, optionally
``@revision``, or a bare ``owner/name`` that is not a local path), a native manifest as a dict or
as an :class:`auditor.manifest.Manifest`, or a list mixing them. Hub references are audited
together as one manifest named ``<hub references>``; each dict or model is one named
``<manifest N>``. Options are checked as the command line checks them (``fail_on`` is ``error``
or ``warning``); a bad value is an :class:`~auditor.errors.InputError`.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, ParamSpec

from auditor.engine import Inline, Source
from auditor.engine import audit as audit_sources
from auditor.errors import AuditorError, InputError
from auditor.hub import REPO_ID
from auditor.manifest import Manifest
from auditor.policy import FailOn, Policy, Severity
from auditor.readers import FORMATS
from auditor.report import Report

__all__ = ["GateFailed", "Target", "audit", "gate"]

P = ParamSpec("P")

Target = str | os.PathLike[str] | Mapping[str, Any] | Manifest
HUB_REFERENCES = "<hub references>"
TARGET_KINDS = "pass a path, a Hub reference, a dict or a Manifest"
_HUB_PREFIXES = ("hf://", "https://huggingface.co/datasets/")
# A bare "owner/name" with one of these endings names a file that is missing, not a Hub dataset.
_FILE_SUFFIXES = {".yaml", ".yml", ".json", ".jsonld", ".md", ".txt", ".spdx", ".xml", ".rdf"}


def audit(
    targets: Target | Sequence[Target],
    *,
    policy: str | Policy = "commercial",
    waivers: str | os.PathLike[str] | None = None,
    fail_on: FailOn | str = FailOn.ERROR,
    today: date | None = None,
    fmt: str | None = None,
    offline: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
    allow_outside_root: bool = False,
) -> Report:
    """Audit the targets (see the module's docstring) and return the report.

    Raises :class:`~auditor.errors.InputError` on a bad option, manifest, policy or waiver file.
    """
    try:
        threshold = FailOn(fail_on)
    except ValueError:
        choices = " or ".join(f"'{f.value}'" for f in FailOn)
        raise InputError("fail_on", f"must be {choices}, not {fail_on!r}") from None
    if fmt is not None and fmt not in FORMATS:
        raise InputError("fmt", f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    return audit_sources(
        sources(targets),
        policy=policy,
        waivers=Path(waivers) if waivers is not None else None,
        fail_on=Severity(threshold.value),
        today=today,
        fmt=fmt,
        offline=offline,
        cache_dir=Path(cache_dir) if cache_dir is not None else None,
        allow_outside_root=allow_outside_root,
    )


def sources(targets: Target | Sequence[Target]) -> list[Source]:
    """The targets as the engine reads them: files, and inline manifests (Hub references
    gathered into one, each dict or model one of its own), in the order first given."""
    # A sequence of targets, or one target (or a value that is none: bytes are a sequence, but
    # of ints) as a list of one.
    items: Sequence[object]
    if isinstance(targets, Sequence) and not isinstance(targets, str | bytes | bytearray):
        items = targets
    else:
        items = [targets]
    if not items:
        raise InputError("targets", f"nothing to audit: {TARGET_KINDS}")
    out: list[Source] = []
    hub: list[str] = []
    inline = 0
    for target in items:
        match target:
            case Manifest():
                inline += 1
                out.append(_inline(f"<manifest {inline}>", target.model_dump(mode="json")))
            case Mapping():
                inline += 1
                out.append(_inline(f"<manifest {inline}>", dict(target)))
            case str() if (reference := _hub_reference(target)) is not None:
                if not hub:
                    out.append(_inline(HUB_REFERENCES, {}))  # its place; filled below
                hub.append(reference)
            case str() | os.PathLike():
                out.append(Path(target))
            case _:
                what = type(target).__name__
                raise InputError("targets", f"cannot audit {what}: {TARGET_KINDS}")
    if hub:
        at = next(
            i for i, s in enumerate(out) if isinstance(s, Inline) and s.name == HUB_REFERENCES
        )
        out[at] = _hub_manifest(hub)
    return out


def _hub_reference(text: str) -> str | None:
    """``text`` as ``hf://owner/name[@revision]`` when it names a Hub dataset, else None (a
    path). A bare ``owner/name`` is a Hub id only when no such local path exists."""
    if text.startswith(_HUB_PREFIXES):
        rest = text
        for prefix in _HUB_PREFIXES:
            rest = rest.removeprefix(prefix)
        return "hf://" + rest.strip("/")
    repo, _, revision = text.partition("@")
    if text.count("/") - revision.count("/") != 1 or not REPO_ID.match(repo):
        return None
    if Path(text).exists() or Path(repo).suffix.lower() in _FILE_SUFFIXES:
        return None
    return f"hf://{text}"


def _hub_manifest(references: list[str]) -> Inline:
    datasets = []
    for reference in dict.fromkeys(references):  # each once, in order
        datasets.append({"id": reference.removeprefix("hf://"), "source": reference})
    return _inline(HUB_REFERENCES, {"version": 1, "name": "hub references", "datasets": datasets})


def _inline(name: str, data: dict[str, Any]) -> Inline:
    try:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InputError(name, f"not a manifest that JSON can hold: {exc}") from None
    return Inline(name=name, text=text + "\n")


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
