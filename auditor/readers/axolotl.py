"""axolotl training configs (YAML): the datasets a run trains and evaluates on, by reference.

``datasets`` (SFT and RL), ``test_datasets`` and ``pretraining_dataset`` hold entries whose
``path`` is a Hugging Face repo id, an ``s3://`` / ``gs://`` URI or a local file or directory
(``ds_type`` marks a local file). A config carries no license: each entry becomes a dataset with
its ``source`` set, for a later stage to resolve.
"""

from __future__ import annotations

from typing import Any

from auditor.document import Document, PathKey
from auditor.model import Dataset, Location
from auditor.readers.references import reference, unique_ids

FORMAT = "axolotl"

_LISTS = ("datasets", "test_datasets", "pretraining_dataset")


def detect(doc: Document) -> bool:
    data = doc.data
    return isinstance(data, dict) and (
        "base_model" in data or any(isinstance(data.get(k), list | dict) for k in _LISTS)
    )


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if not isinstance(data, dict):
        raise doc.error((), "an axolotl config must be a mapping")
    entries: list[tuple[PathKey, str, dict[str, Any]]] = []
    for field in _LISTS:
        node = data.get(field)
        if node is None:
            continue
        items = list(enumerate(node)) if isinstance(node, list) else [(None, node)]
        for index, item in items:
            key: PathKey = (field,) if index is None else (field, index)
            entry = item if isinstance(item, dict) else {"path": item}
            path = entry.get("path")
            if not isinstance(path, str) or not path.strip():
                raise doc.error(key, f"a '{field}' entry needs a 'path' naming the dataset")
            entries.append((key, path.strip(), entry))
    if not entries:
        present = next((k for k in _LISTS if k in data), None)
        raise doc.error(
            (present,) if present else (),
            "no datasets: the config lists none under 'datasets', 'test_datasets' or "
            "'pretraining_dataset'",
        )
    ids = unique_ids(path for _, path, _ in entries)
    datasets = tuple(
        Dataset(
            id=ident,
            name=_name(path, entry),
            location=Location(path=doc.path, line=doc.line(key)),
            source=reference(path, local=bool(entry.get("ds_type"))),
        )
        for (key, path, entry), ident in zip(entries, ids, strict=True)
    )
    return None, datasets


def _name(path: str, entry: dict[str, Any]) -> str:
    """The path, with the configuration and split when the entry picks them."""
    picks = [str(entry[k]) for k in ("name", "split") if isinstance(entry.get(k), str | int)]
    return f"{path} ({', '.join(picks)})" if picks else path
