"""Readers never pass on what they did not read: no dataset found, an element skipped or a field of
the wrong type is an input error at its line, and no shape of input ends in a traceback."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditor import document, readers
from auditor.document import Document, PathKey
from auditor.errors import InputError
from auditor.model import Dataset
from tests.conftest import CORPUS, FIXTURES, fixture_path


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        (
            "cyclonedx.no-data-component.json",
            1,
            "no datasets: the BOM has no component of type 'data' and no machine-learning model",
        ),
        ("cyclonedx.unknown-type.json", 12, "unknown component type 'dataset' (CycloneDX types:"),
        ("cyclonedx.licenses-not-a-list.json", 9, "'components.0.licenses' must be a list, not a"),
        ("spdx2.no-packages.json", 8, "no datasets: the document has no package"),
        ("spdx3.no-dataset.json", 1, "no datasets: the document has no dataset_DatasetPackage"),
        (
            "spdx3.spdxid-not-a-string.json",
            11,
            "'@graph.1.spdxId' must be an identifier (a string), not a number (3)",
        ),
        (
            "dpi.template-like-id.json",
            9,
            "record 'demo-template' is the schema template's example, not a dataset",
        ),
        (
            "dpi.license-not-text.json",
            8,
            "'demo-real.Licenses.1.License' must be a string, not a number (5)",
        ),
        ("datapackage.licenses-not-a-list.json", 3, "'licenses' must be a list, not a string"),
    ],
)
def test_what_a_reader_cannot_read_is_an_input_error(name: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        readers.read(fixture_path(f"hostile/{name}"))
    assert caught.value.line == line
    assert caught.value.message.startswith(message)


def test_a_forced_format_meets_a_wrongly_typed_field() -> None:
    # Detection refuses "Licenses": 5; forced, the DPI reader must refuse it too, at its line.
    with pytest.raises(InputError) as caught:
        readers.read(fixture_path("hostile/dpi.licenses-not-a-list.json"), fmt="dpi")
    assert caught.value.line == 6
    assert caught.value.message == "'demo-real.Licenses' must be a list, not a number (5)"


def test_component_types_are_read_without_case_or_spaces() -> None:
    manifest = readers.read(fixture_path("hostile/cyclonedx.type-variants.json"))
    assert [(d.id, [f.value for f in d.licenses]) for d in manifest.datasets] == [
        ("captions", ["CC-BY-NC-4.0"]),
        ("transcripts", ["CC-BY-NC-4.0"]),
    ]


def test_spdx3_types_may_be_listed(tmp_path: Path) -> None:
    path = tmp_path / "doc.spdx3.json"
    path.write_text(
        '{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": ['
        '{"type": ["dataset_DatasetPackage", "software_Package"], "spdxId": "urn:d"}]}'
    )
    assert [d.id for d in readers.read(path).datasets] == ["urn:d"]


def test_a_license_object_that_names_nothing_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "datapackage.json"
    path.write_text('{"name": "p", "licenses": [{"title": ""}], "resources": [{"name": "r"}]}')
    (ds,) = readers.read(path).datasets
    assert [f.value for f in ds.licenses] == ['{"title": ""}']  # resolves to unknown


def test_no_reader_passes_on_zero_datasets(monkeypatch: pytest.MonkeyPatch) -> None:
    def read_nothing(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
        return None, ()

    monkeypatch.setattr(readers.datapackage, "read", read_nothing)
    with pytest.raises(InputError, match="no datasets: the file reads as datapackage"):
        readers.read(fixture_path("readers/datapackage.json"))


# Every file a reader is tested on, and every value in it replaced by a value of another type:
# every reader, forced onto the result, reads it or raises an InputError.
_SAMPLES = (
    *sorted(p for p in (FIXTURES / "readers").glob("*.json") if "malformed" not in p.name),
    *sorted((FIXTURES / "readers").glob("*.y*ml")),
    CORPUS / "spdx3" / "dataset-example01.spdx3.json",
    CORPUS / "cyclonedx" / "valid-machine-learning-1.6.json",
)
_REPLACEMENTS: tuple[Any, ...] = (5, "x", "", [], {}, None, True, [5], {"a": 5}, 1.5)


def _paths(node: Any, key: PathKey = ()) -> Iterator[PathKey]:
    yield key
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _paths(value, (*key, name))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*key, index))


def _replaced(data: Any, key: PathKey, value: Any) -> Any:
    if not key:
        return value
    copied = copy.deepcopy(data)
    node = copied
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = value
    return copied


@pytest.mark.parametrize("sample", _SAMPLES, ids=lambda p: p.name)
def test_no_shape_of_input_ends_in_a_traceback(sample: Path) -> None:
    original = document.load(sample)
    for key in _paths(original.data):
        for value in _REPLACEMENTS:
            doc = Document(original.path, _replaced(original.data, key, value), original.lines)
            for reader in readers.READERS:
                with contextlib.suppress(InputError):
                    reader.read(doc)


def test_a_dataset_package_with_an_empty_spdx_id_is_not_skipped(tmp_path: Path) -> None:
    path = tmp_path / "doc.spdx3.json"
    path.write_text(
        '{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": [\n'
        '{"type": "dataset_DatasetPackage", "spdxId": "urn:a"},\n'
        '{"type": "dataset_DatasetPackage", "spdxId": ""}]}'
    )
    with pytest.raises(InputError) as caught:
        readers.read(path)
    assert (caught.value.line, caught.value.message) == (
        3,
        "a dataset_DatasetPackage needs an 'spdxId'",
    )
