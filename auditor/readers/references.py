"""Dataset references as training configs write them, and ids for the datasets they name.

A config names a dataset by Hugging Face repo id (``teknium/OpenHermes-2.5``), URL or object-store
URI (``s3://bucket/prefix``) or local path (``data/train.jsonl``). :func:`reference` turns the
value into the form :attr:`auditor.model.Dataset.source` uses: ``hf://owner/name`` for a Hub id,
anything else as written. Nothing here touches the file system or the network: a later stage
resolves the references.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A Hub repo id: "name" or "owner/name" (letters, digits, '-', '_', '.'), not a dotted file name.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")
_DATA_FILE = re.compile(
    r"\.(jsonl?|csv|tsv|txt|parquet|arrow|zst|gz|bz2|xz|zip|tar|json\.gz|jsonl\.gz)$",
    re.IGNORECASE,
)


def reference(value: str, *, local: bool = False) -> str:
    """``hf://<id>`` for a Hugging Face repo id; URLs, URIs and local paths as written.

    ``local`` says the config marks the value as a file (axolotl's ``ds_type``).
    """
    text = value.strip()
    if local or "://" in text or text.startswith(("/", ".", "~")) or _DATA_FILE.search(text):
        return text
    if _HUB_ID.match(text):
        return f"hf://{text}"
    return text


def unique_ids(ids: Iterable[str]) -> list[str]:
    """The ids in order, a repeated one suffixed ``#2``, ``#3``... so each is unique in its file."""
    taken: set[str] = set()
    out: list[str] = []
    for raw in ids:
        candidate, count = raw, 1
        while candidate in taken:
            count += 1
            candidate = f"{raw}#{count}"
        taken.add(candidate)
        out.append(candidate)
    return out
