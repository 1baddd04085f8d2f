"""LLaMA-Factory dataset registries (``data/dataset_info.json``): dataset name to where it lives.

Each entry names its data by ``hf_hub_url`` (a Hugging Face repo id, which wins over the rest, as in
LLaMA-Factory), ``ms_hub_url`` (ModelScope), ``om_hub_url`` (Modelers), ``script_url`` (a loading
script's folder) or ``file_name`` (a local file under the dataset folder). No license: each entry
becomes a dataset with its ``source`` set, for a later stage to resolve.
"""

from __future__ import annotations

from typing import Any

from auditor.document import Document
from auditor.model import Dataset, Location
from auditor.readers.references import reference

FORMAT = "llamafactory"

_SOURCES = ("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "file_name")
_HUBS = {
    "ms_hub_url": "https://modelscope.cn/datasets/",
    "om_hub_url": "https://modelers.cn/datasets/",
}


def detect(doc: Document) -> bool:
    data = doc.data
    return (
        isinstance(data, dict)
        and bool(data)
        and all(
            isinstance(entry, dict) and any(k in entry for k in _SOURCES) for entry in data.values()
        )
    )


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    data = doc.data
    if not isinstance(data, dict) or not data:
        raise doc.error((), "no datasets: a dataset_info.json maps dataset names to their sources")
    datasets = []
    for name, entry in data.items():
        source = _source(entry) if isinstance(entry, dict) else None
        if source is None:
            raise doc.error(
                (name,), f"dataset '{name}' names no source (one of {', '.join(_SOURCES)})"
            )
        datasets.append(
            Dataset(
                id=name,
                name=name,
                location=Location(path=doc.path, line=doc.line((name,))),
                source=source,
            )
        )
    return None, tuple(datasets)


def _source(entry: dict[str, Any]) -> str | None:
    for key in _SOURCES:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()
        if key == "hf_hub_url":
            return reference(value)
        if key in _HUBS:
            return value if "://" in value else _HUBS[key] + value
        return reference(value, local=True)
    return None
