"""Hugging Face recipe mixes: alignment-handbook ``dataset_mixer`` and open-r1 ``dataset_mixture``.

``dataset_mixer`` maps a Hugging Face repo id (or a local path) to the fraction of it to use;
``dataset_mixture.datasets`` lists ``{id, config, split, weight}``. The fraction or weight is the
dataset's weight. No license: each entry becomes a dataset with its ``source`` set, for a later
stage to resolve.
"""

from __future__ import annotations

from typing import Any

from auditor.document import Document, PathKey
from auditor.model import Dataset, Location
from auditor.readers.references import reference, unique_ids

FORMAT = "dataset-mixer"


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and (
        isinstance(data.get("dataset_mixer"), dict) or isinstance(data.get("dataset_mixture"), dict)
    )


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "a recipe must be a mapping with 'dataset_mixer' or 'dataset_mixture'")
    entries: list[tuple[PathKey, str, Any, str | None]] = []  # key, id, weight, config
    mixer = doc.mapping(("dataset_mixer",), data.get("dataset_mixer"))
    entries += [(("dataset_mixer", ref), ref, weight, None) for ref, weight in mixer.items()]
    mixture = doc.mapping(("dataset_mixture",), data.get("dataset_mixture"))
    items = doc.items(("dataset_mixture", "datasets"), mixture.get("datasets"))
    for index, item in enumerate(items):
        key: PathKey = ("dataset_mixture", "datasets", index)
        ref = item.get("id") if isinstance(item, dict) else None
        if not isinstance(ref, str) or not ref.strip():
            raise doc.error(key, "a 'dataset_mixture' entry needs an 'id' naming the dataset")
        config = item.get("config")
        entries.append((key, ref, item.get("weight"), config if isinstance(config, str) else None))
    if not entries:
        field = "dataset_mixer" if "dataset_mixer" in data else "dataset_mixture"
        raise doc.error((field,), f"no datasets: '{field}' lists none")
    ids = unique_ids(ref.strip() for _, ref, _, _ in entries)
    datasets = tuple(
        Dataset(
            id=ident,
            name=f"{ref.strip()} ({config})" if config else ref.strip(),
            location=Location(path=doc.path, line=doc.line(key)),
            source=reference(ref),
            weight=_weight(weight),
        )
        for (key, ref, weight, config), ident in zip(entries, ids, strict=True)
    )
    return None, datasets


def _weight(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None
