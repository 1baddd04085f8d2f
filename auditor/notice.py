"""The attribution notice: every dataset whose license requires crediting the source, with the
license that applies, where the data is published and the credit to give, for the NOTICE or
ATTRIBUTION file shipped with a model (rendered by :mod:`auditor.render.notice`).

A dataset is listed when a license that applies to it, every OR decided under the policy, requires
attribution (as ``license-attribution`` says); upstreams a dataset was derived from are listed too,
since their credit passes down. The credit is what its metadata claims (see
:mod:`auditor.attribution`); a listed dataset with none says so, as ``attribution-missing`` does.
Datasets whose license could not be resolved are named apart: whether they need credit is not
known. Entries are sorted by dataset id, then manifest, so the notice is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict

from auditor.attribution import crediting_licenses
from auditor.checks import Judged
from auditor.engine import JudgedManifest
from auditor.licensing import Status
from auditor.version import __version__


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NoticeEntry(Frozen):
    dataset: str
    name: str | None
    manifest: str
    license: str  # the license that applies, as decided; the raw value when it is ambiguous
    chosen_from: str | None  # the expression an OR was decided in, when one was
    license_texts: tuple[str, ...]  # the dataset's license URL, else each crediting license's
    link: str | None  # where the data is published
    credit: tuple[str, ...]  # the credit as the licensor asks it, as written
    creators: tuple[str, ...]

    @property
    def uncredited(self) -> bool:
        return not self.credit and not self.creators


class Notice(Frozen):
    tool_version: str
    manifests: tuple[str, ...]
    entries: tuple[NoticeEntry, ...]
    unresolved: tuple[str, ...]  # ids of datasets whose license is not known


def build_notice(manifests: Sequence[JudgedManifest]) -> Notice:
    entries: list[NoticeEntry] = []
    unresolved: set[str] = set()
    for manifest in manifests:
        for item in (*manifest.datasets, *manifest.upstreams):
            entry = _entry(item, manifest.path)
            if entry is not None:
                entries.append(entry)
            elif item.choice is None or any(leaf.license is None for leaf in item.choice.leaves):
                unresolved.add(item.dataset.id)
    return Notice(
        tool_version=__version__,
        manifests=tuple(m.path for m in manifests),
        entries=tuple(sorted(entries, key=lambda e: (e.dataset, e.manifest))),
        unresolved=tuple(sorted(unresolved)),
    )


def _entry(item: Judged, manifest: str) -> NoticeEntry | None:
    required = crediting_licenses(item.choice)
    if not required or item.choice is None:
        return None
    ds, resolution = item.dataset, item.resolution
    decided = " AND ".join(leaf.render() for leaf in item.choice.leaves)
    ambiguous = resolution.ambiguous or resolution.status is Status.AMBIGUOUS
    own_url = ds.license_url if ds.license_url and "://" in ds.license_url else None
    return NoticeEntry(
        dataset=ds.id,
        name=ds.name,
        manifest=manifest,
        license=(resolution.raw or decided) if ambiguous else decided,
        chosen_from=resolution.expression if item.choice.decisions and not ambiguous else None,
        license_texts=(own_url,) if own_url else tuple(lic.source.url for lic in required),
        link=ds.link,
        credit=_unique(fact.value for fact in ds.attribution),
        creators=_unique(fact.value for fact in ds.creators),
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Each value once (case and spacing ignored), the first spelling kept, in order."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(" ".join(value.casefold().split()), value.strip())
    return tuple(seen.values())
