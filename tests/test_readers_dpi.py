"""Data Provenance Initiative summaries: licenses, generators, lineage, sources, the template."""

from __future__ import annotations

import pytest

from auditor import readers
from auditor.errors import InputError
from auditor.model import Fact
from tests.conftest import fixture_path


def facts(items: tuple[Fact, ...]) -> list[tuple[str, int | None, str | None]]:
    return [(f.value, f.location.line, f.origin) for f in items]


def test_real_record_with_model_generated_content() -> None:
    manifest = readers.read(fixture_path("readers/dpi.alpaca.json"))
    assert (manifest.format, manifest.name) == ("dpi", "Alpaca")
    (ds,) = manifest.datasets
    assert (ds.id, ds.name, ds.location.line) == ("alpaca", "alpaca", 2)
    assert ds.source == "https://huggingface.co/datasets/tatsu-lab/alpaca"
    # "OpenAI" in the license column names OpenAI's terms: it is read as the generator's terms.
    assert facts(ds.licenses) == [("CC BY-NC 4.0", 56, "Licenses")]
    # Every license's URL is a note (a claim where it identifies a license); what the crawler
    # inferred from the Hub is kept, marked inferred: a hint, never applied.
    assert [(f.value, f.origin, f.inferred) for f in ds.license_notes] == [
        ("https://crfm.stanford.edu/2023/03/13/alpaca.html", "License URL", False),
        (
            "https://github.com/tatsu-lab/stanford_alpaca/blob/main/DATA_LICENSE",
            "License URL",
            False,
        ),
        (ds.license_notes[2].value, "License Notes", False),
        ("CC BY-NC 4.0", "Inferred Metadata.HF Yaml License", True),
    ]
    assert facts(ds.generated_by) == [
        ("OpenAI", 52, "Licenses"),
        ("OpenAI GPT-3", 45, "Model Generated"),
    ]
    assert not ds.machine_generated
    assert facts(ds.creators) == [("Stanford University", 48, "Creators")]


def test_video_sources_name_the_platform() -> None:
    (ds,) = readers.read(fixture_path("readers/dpi.howto100m.json")).datasets
    assert [(c.domain, c.location.line) for c in ds.collected_from] == [("youtube.com", 16)]
    assert facts(ds.licenses) == [("Unspecified", 20, "Licenses")]
    # Nothing found by the annotators: what the crawler inferred is a note (never GitHub's).
    assert facts(ds.license_notes) == [("Various", 57, "Inferred Metadata.PwC License Name")]


def test_lineage_within_the_file_sources_and_unnamed_generators() -> None:
    manifest = readers.read(fixture_path("readers/dpi.collection.json"))
    assert manifest.name == "Demo"
    seed, chat, synthetic = manifest.datasets
    assert [(c.url, c.domain) for c in seed.collected_from] == [
        (None, "wikipedia.org"),
        (None, "reddit.com"),
        ("https://collectivecognition.ai", None),
    ]
    assert facts(seed.license_notes) == [("CC BY 4.0", 16, "Inferred Metadata.HF Yaml License")]
    # "Demo Seed" is a record in this file (by name); "ShareGPT" is not; itself is dropped.
    assert facts(chat.derived_from) == [
        ("demo-seed", 28, "Derived from Datasets"),
        ("ShareGPT", 28, "Derived from Datasets"),
    ]
    assert facts(chat.generated_by) == [  # not templates
        ("OpenAI", 31, "Licenses"),
        ("OpenAI GPT-4", 27, "Model Generated"),
    ]
    assert facts(chat.license_notes) == [
        ("https://openai.com/policies/terms-of-use", 31, "License URL"),
        ("Terms forbid commercial use.", 33, "License Notes"),
        ("MIT License", 35, "Inferred Metadata.HF Yaml License"),
    ]
    assert [f.inferred for f in chat.license_notes] == [False, False, True]
    assert synthetic.machine_generated  # "Other": a model, not named
    assert synthetic.generated_by == ()
    assert [c.domain for c in synthetic.collected_from] == ["youtube.com", "vimeo.com"]


def test_the_template_is_not_a_summary() -> None:
    # Its record documents the schema: auditing it would pass on zero datasets.
    with pytest.raises(InputError) as caught:
        readers.read(fixture_path("readers/dpi._template.json"))
    assert caught.value.line == 3
    assert "is the schema template's example, not a dataset" in caught.value.message


def test_creators_and_bibtex_are_the_credit() -> None:
    credited, uncredited = readers.read(fixture_path("readers/dpi.credit.json")).datasets
    assert facts(credited.creators) == [
        ("Example Lab", 7, "Creators"),
        ("University of Nowhere", 7, "Creators"),
    ]
    assert facts(credited.attribution) == [
        ("@misc{credited2024,\n  author = {Doe, Jane},\n  title = {Credited}\n}", 8, "Bibtex")
    ]
    assert (uncredited.creators, uncredited.attribution) == ((), ())
