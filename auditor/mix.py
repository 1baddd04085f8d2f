"""The training mix as its manifests weigh it: each dataset's ``weight``, where one is given.

A renderer that charts the mix by weight is given them beside the report, keyed by the manifest
path and the dataset id as the report names them: read from the same manifests (a report of
schema 1.1 does not carry weights), or taken from a report of schema 1.2, which does. Datasets
added by a look-up (an upstream named in ``derived_from``) have no weight of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditor import readers
from auditor.report import Report


def mix_weights(
    paths: Sequence[str | Path], *, fmt: str | None = None
) -> dict[tuple[str, str], float]:
    """The weight of every dataset that states one in the manifests at ``paths``, by (manifest
    path as the report gives it, dataset id)."""
    weights: dict[tuple[str, str], float] = {}
    for path in paths:
        manifest = readers.read(Path(path), fmt=fmt)
        for ds in manifest.datasets:
            if ds.weight is not None:
                weights[(manifest.path, ds.id)] = ds.weight
    return weights


def report_weights(report: Report) -> dict[tuple[str, str], float]:
    """The weights :func:`mix_weights` reads, from a report of schema 1.2 or later (which
    carries each dataset's weight as written): no manifest is read again, standard input
    included."""
    return {(d.manifest, d.id): d.weight for d in report.datasets if d.weight is not None}
