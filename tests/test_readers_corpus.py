"""Every file of the shared corpus of real metadata reads through auto-detection.

The corpus (``../shared/corpus``, see its README) holds files copied unmodified from public
repositories. Each manifest file must be detected as its folder's format and read without error,
except a file that is no manifest of that format at all, which must fail as an input error with a
line: an axolotl example that configures Modal cloud runs names no base model or datasets,
CycloneDX test documents of license forms describe software but no data, and the Data Provenance
schema template documents a record rather than being one (each would otherwise pass a gate on
nothing). Hugging Face
*builder* cards (``csv``, ``json``...) have no YAML front matter: each reads as one dataset with no
declared license, which the audit reports as a finding on it. The files that are not
manifests (the corpus README, the DPI terms tables, the ``dataset_infos.json`` read beside each
card) are skipped by name; anything else must read as some format.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import document, readers
from auditor.errors import InputError

# folder -> (files in it, their format)
FOLDERS = {
    "hf-cards": ("*/README.md", "hf-card"),
    "croissant": ("*.json", "croissant"),
    "spdx3": ("*.json", "spdx3"),
    "cyclonedx": ("*.json", "cyclonedx"),
    "dpi": ("*/*.json", "dpi"),
    "mixes": ("axolotl-*", "axolotl"),
}
NOT_MANIFESTS = ("README.md", "hf-cards/*/dataset_infos.json", "dpi/terms-*.csv")
TRAINING_KEYS = {"base_model", "datasets", "test_datasets", "pretraining_dataset"}


def _files(corpus: Path, folder: str) -> list[Path]:
    return sorted(p for p in (corpus / folder).glob(FOLDERS[folder][0]) if p.is_file())


def _not_a_manifest(path: Path) -> str | None:
    """Why a corpus file is not a manifest of its folder's format, or None if it is one."""
    if path.parent.name == "mixes" and not TRAINING_KEYS & set(document.load(path).data):
        return "not a recognised manifest"
    if path.parent.name == "cyclonedx" and not any(map(_names_data, _objects(_json(path)))):
        return "no datasets"
    if path.parent.parent.name == "dpi" and any(
        str(record.get("Unique Dataset Identifier")).startswith("string:")
        for record in _json(path).values()
    ):
        return "the schema template's example"
    return None


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _objects(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        node = list(node.values())
    if isinstance(node, list):
        for item in node:
            yield from _objects(item)


def _names_data(node: dict[str, Any]) -> bool:
    """A data component, or a model's list of the datasets it was trained on."""
    params = node.get("modelParameters")
    return str(node.get("type")).strip().lower() == "data" or (
        isinstance(params, dict) and bool(params.get("datasets"))
    )


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_corpus_folder_reads_as_its_format(corpus: Path, folder: str) -> None:
    files = _files(corpus, folder)
    assert files, f"no {FOLDERS[folder][0]} in {folder}"
    read = 0
    for path in files:
        reason = _not_a_manifest(path)
        if reason is not None:
            with pytest.raises(InputError) as caught:
                readers.read(path)
            assert reason in caught.value.message, path
            assert caught.value.line is not None, path
            continue
        manifest = readers.read(path)
        read += 1
        assert manifest.format == FOLDERS[folder][1], path
        ids = Counter(d.id for d in manifest.datasets)
        assert [i for i, n in ids.items() if n > 1] == [], path
        for dataset in manifest.datasets:
            assert dataset.location.path == path.as_posix()
            for fact in (*dataset.licenses, *dataset.derived_from, *dataset.generated_by):
                assert fact.value.strip(), (path, dataset.id)
    assert read, folder  # every file the oracle calls a manifest was read (or raised above)


def test_every_other_corpus_file_reads_as_some_format(corpus: Path) -> None:
    covered = {p for folder in FOLDERS for p in _files(corpus, folder)}
    skipped = {p for pattern in NOT_MANIFESTS for p in corpus.glob(pattern)}
    for path in sorted(p for p in corpus.rglob("*") if p.is_file()):
        if path not in covered and path not in skipped:
            assert readers.read(path).format in readers.FORMATS


def test_hf_cards_are_named_by_folder_and_every_fact_has_a_line(corpus: Path) -> None:
    licensed = 0
    cards = [p for p in _files(corpus, "hf-cards") if _not_a_manifest(p) is None]
    for path in cards:
        (card,) = readers.read(path).datasets
        assert card.id == path.parent.name
        for fact in (*card.licenses, *card.license_notes, *card.derived_from, *card.terms):
            assert fact.location.line is not None, (path, fact)
        licensed += bool(card.licenses)
    assert licensed > len(cards) * 0.9


def test_files_that_name_no_dataset_are_input_errors(corpus: Path) -> None:
    refused = [p for folder in FOLDERS for p in _files(corpus, folder) if _not_a_manifest(p)]
    assert {p.parent.name for p in refused} >= {"cyclonedx", "text"}
