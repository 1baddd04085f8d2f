"""The loader side of ``auditor scan``: drop the samples a scan kept out, as the job reads them.

``auditor scan SHARDS --write-blocked-keys blocked.tsv`` writes one ``shard<TAB>key`` line per
sample kept out (blocked or invalid). :class:`BlockedKeys` reads that file (or a JSON report
that lists every such sample) and gives predicates that are True for the samples to keep.
Nothing here imports webdataset, datasets or torch (nor pyarrow, nor the rest of the scan): the
predicates take the plain values those libraries pass.

WebDataset (``select`` keeps the samples for which the predicate is True)::

    blocked = BlockedKeys.from_file("blocked.tsv")
    dataset = wds.WebDataset(urls).select(blocked.keep_sample)

Hugging Face ``datasets`` (the key of a saved dataset's row is its index in its split)::

    dataset = load_from_disk("saved")["train"]
    dataset = dataset.filter(blocked.keep_index("train"), with_indices=True)

PyTorch (any iterable of samples, e.g. an ``IterableDataset`` or a ``StreamingDataset``)::

    loader = DataLoader(blocked.filter_iterable(dataset), batch_size=32)

A shard is matched by its name as the scan wrote it (its path below the scanned folder) at the
end of webdataset's ``__url__`` (a local path, an ``s3://`` or ``pipe:`` URL; a URL's query and
fragment, as presigned and Hub resolve URLs carry, are not part of it); a sample with no
``__url__`` is dropped when its key was kept out in any shard, which errs on the side of
dropping.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from auditor.errors import InputError

__all__ = ["BlockedKeys", "escape_field", "unescape_field"]


class BlockedKeys:
    """The samples a scan kept out, by shard and key."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._by_shard: dict[str, set[str]] = {}
        self._by_name: dict[str, set[str]] = {}  # a shard's file name: the shards of that name
        self._keys: set[str] = set()
        for shard, key in pairs:
            self._by_shard.setdefault(shard, set()).add(key)
            self._by_name.setdefault(shard.rsplit("/", 1)[-1], set()).add(shard)
            self._keys.add(key)
        self.count = sum(len(keys) for keys in self._by_shard.values())

    @classmethod
    def from_file(cls, path: str | Path) -> BlockedKeys:
        """Read a ``--write-blocked-keys`` file."""
        path = Path(path)
        pairs = []
        try:
            with path.open(encoding="utf-8", newline="\n") as lines:
                for number, line in enumerate(lines, 1):
                    fields = line.rstrip("\n").split("\t")
                    if len(fields) != 2:
                        raise InputError(path, "expected 'shard<TAB>key'", number)
                    pairs.append((unescape_field(fields[0]), unescape_field(fields[1])))
        except UnicodeDecodeError as exc:
            raise InputError(path, "not UTF-8 text") from exc
        except OSError as exc:
            raise InputError(path, f"cannot read the file: {exc.strerror or exc}") from exc
        return cls(pairs)

    @classmethod
    def from_report(cls, path: str | Path) -> BlockedKeys:
        """Read the samples a JSON scan report lists; refused when it lists only some of them
        (it names the first thousand: use the keys file for larger scans)."""
        path = Path(path)
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise InputError(path, f"not a readable JSON report: {exc}") from exc
        samples = report.get("samples") if isinstance(report, dict) else None
        listed = samples.get("blocked") if isinstance(samples, dict) else None
        if not isinstance(samples, dict) or not isinstance(listed, list):
            raise InputError(path, "not a scan report of keyed samples (no 'samples.blocked')")
        total = samples.get("blocked_total")
        if total != len(listed):
            raise InputError(
                path,
                f"the report lists {len(listed)} of {total} samples kept out; "
                "scan with --write-blocked-keys and read that file",
            )
        return cls((str(item["shard"]), str(item["key"])) for item in listed)

    def blocks(self, key: str, shard: str | None = None) -> bool:
        """Whether the sample ``key`` of ``shard`` was kept out. ``shard`` may be a path or URL
        ending with the shard's name; None matches any shard."""
        if shard is None:
            return key in self._keys
        keys = self._by_shard.get(shard)
        if keys is not None and key in keys:
            return True
        for token in map(_url_path, shard.split()):
            for name in self._by_name.get(token.rsplit("/", 1)[-1], ()):
                if (token == name or token.endswith("/" + name)) and key in self._by_shard[name]:
                    return True
        return False

    def keep_sample(self, sample: Mapping[str, Any]) -> bool:
        """For ``webdataset``'s ``select``: True for a sample to keep (by ``__key__`` and
        ``__url__``)."""
        url = sample.get("__url__")
        return not self.blocks(str(sample["__key__"]), str(url) if url is not None else None)

    def keep_index(self, split: str = ".") -> Callable[[Any, int], bool]:
        """For ``datasets.Dataset.filter(..., with_indices=True)``: True for a row to keep, by
        its index in ``split`` (``.`` for a saved dataset of one split)."""
        keys = self._by_shard.get(split, set())

        def keep(_row: Any, index: int) -> bool:
            return str(index) not in keys

        return keep

    def filter_iterable(
        self, dataset: Iterable[Any], keep: Callable[[Any], bool] | None = None
    ) -> Iterable[Any]:
        """``dataset`` without the samples kept out, as a PyTorch ``IterableDataset`` when
        torch is loaded (so a ``DataLoader`` takes it), a plain iterable otherwise. ``keep``
        judges one sample (default: :meth:`keep_sample`)."""
        judge = keep or self.keep_sample
        base = _iterable_dataset()

        def iterate(_self: object) -> Iterator[Any]:
            return (sample for sample in dataset if judge(sample))

        return type("FilteredSamples", (base,), {"__iter__": iterate})()  # type: ignore[no-any-return]


def _url_path(token: str) -> str:
    """A URL's path without its query and fragment (a presigned or Hub resolve URL carries a
    query); a local path as it is."""
    if "://" not in token:
        return token
    return token.split("#", 1)[0].split("?", 1)[0]


def _iterable_dataset() -> type:
    """torch's ``IterableDataset`` when torch is already imported, else ``object``."""
    torch = sys.modules.get("torch")
    data = getattr(getattr(torch, "utils", None), "data", None)
    base = getattr(data, "IterableDataset", None)
    return base if isinstance(base, type) else object


# --- the keys file: one shard<TAB>key line per sample ----------------------------------------


def escape_field(text: str) -> str:
    """A shard or key as one field of a tab-separated line: backslash, tab, line feed and
    carriage return escaped (``\\\\``, ``\\t``, ``\\n``, ``\\r``); :func:`unescape_field`
    reverses it. Text that is not UTF-8 (a surrogate escape) is written as its code points."""
    text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
    return text.replace("\r", "\\r").encode("utf-8", "backslashreplace").decode("utf-8")


def unescape_field(text: str) -> str:
    out: list[str] = []
    chars = iter(text)
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        code = next(chars, "")
        out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(code, "\\" + code))
    return "".join(out)
