"""The training mix as its manifests weigh it: each dataset's ``weight``, where one is given.

The report (schema 1.1) does not carry weights, so a renderer that charts the mix by weight is
given them beside the report: read from the same manifests, keyed by the manifest path and the
dataset id as the report names them. Datasets added by a look-up (an upstream named in
``derived_from``) have no weight of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from auditor import readers


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
