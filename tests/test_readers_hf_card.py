"""Hugging Face dataset cards: license values and notes with their lines, terms, lineage."""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor.engine
from auditor import readers
from auditor.errors import InputError
from auditor.model import Dataset, Fact
from tests.conftest import fixture_path


def card(name: str) -> Dataset:
    manifest = readers.read(fixture_path(f"readers/hf-card/{name}/README.md"))
    assert manifest.format == "hf-card"
    (dataset,) = manifest.datasets
    return dataset


def facts(items: tuple[Fact, ...]) -> list[tuple[str, int | None, str | None]]:
    return [(f.value, f.location.line, f.origin) for f in items]


def test_gated_card_keeps_license_details_gate_and_licensing_section() -> None:
    ds = card("imagenet-1k")
    assert (ds.id, ds.name, ds.location.line) == ("imagenet-1k", "ImageNet", 1)
    assert facts(ds.licenses) == [("other", 9, "license")]
    assert facts(ds.license_notes)[0] == ("imagenet-agreement", 10, "license_details")
    section = ds.license_notes[1]
    assert (section.origin, section.location.line) == ("Licensing Information", 41)
    assert section.value.startswith("In exchange for permission to use the ImageNet database")
    assert "non-commercial research and educational purposes" in section.value
    (prompt,) = ds.terms
    assert (prompt.origin, prompt.location.line) == ("extra_gated_prompt", 23)
    assert "only for non-commercial research" in prompt.value
    assert ds.derived_from == ()
    assert not ds.machine_generated


def test_legacy_per_config_licenses_other_text_and_source_datasets() -> None:
    ds = card("legacy-multi")
    assert facts(ds.licenses) == [
        ("cc-by-sa-4.0", 8, "licenses"),
        ("unknown", 10, "licenses"),
        ("other-Licence Universal Dependencies v2.5", 12, "licenses"),
    ]
    infos = str(fixture_path("readers/hf-card/legacy-multi/dataset_infos.json"))
    assert [(f.value, f.location.path, f.location.line, f.origin) for f in ds.license_notes] == [
        ("Licence Universal Dependencies v2.5", ds.location.path, 12, "licenses"),
        # A config's free-text license, once per text; a feature named "license" is not one.
        ("Creative Commons Attribution Share-Alike 4.0", infos, 4, "dataset_infos.json"),
        ("Licence Universal Dependencies v2.5", infos, 13, "dataset_infos.json"),
    ]
    # "original" has no upstream; extended|<id> and a bare id are Hub datasets.
    assert facts(ds.derived_from) == [
        ("hf://squad", 16, "source_datasets"),
        ("extended|other-sts-b", 17, "source_datasets"),
        ("hf://laion/laion-2b", 18, "source_datasets"),
    ]
    assert ds.machine_generated  # annotations_creators: machine-generated, no model named
    assert ds.generated_by == ()


def test_modern_other_license_with_name_link_and_gate_checkbox() -> None:
    ds = card("gated-modern")
    assert facts(ds.licenses) == [("other", 2, "license")]
    assert facts(ds.license_notes) == [
        ("mixed-non-commercial", 3, "license_name"),
        ("https://example.org/gated-modern/LICENSE.md", 4, "license_link"),
        ("Evaluation only; see LICENSE.md.", 32, "Licensing Information"),
    ]
    assert ds.license_url == "https://example.org/gated-modern/LICENSE.md"
    # Only the checkbox is agreed to; the company, country and choice fields collect data.
    assert facts(ds.terms) == [
        (
            "You agree to not use the dataset to conduct experiments that cause harm to human "
            "subjects.",
            12,
            "extra_gated_prompt",
        ),
        ("I agree to use this dataset for non-commercial use ONLY", 21, "extra_gated_fields"),
        ("extra_gated_eu_disallowed: true", 22, "extra_gated_eu_disallowed"),
    ]


def test_real_card_with_dataset_infos_license() -> None:
    ds = card("turkish_movie_sentiment")
    assert facts(ds.licenses) == [("unknown", 9, "license")]
    infos, section = ds.license_notes
    assert (infos.value, infos.location.line, infos.origin) == (
        "CC0: Public Domain",
        1,
        "dataset_infos.json",
    )
    assert infos.location.path.endswith("turkish_movie_sentiment/dataset_infos.json")
    assert (section.origin, section.location.line) == ("Licensing Information", 146)


def test_empty_dataset_infos_license_and_placeholder_section_are_skipped() -> None:
    ds = card("afrikaans_ner_corpus")
    assert [f.origin for f in ds.license_notes] == ["license_details", "Licensing Information"]
    assert card("legacy-multi").license_notes[-1].origin == "dataset_infos.json"


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("unclosed", 1, "front matter is not closed"),
        ("broken-yaml", 5, "invalid YAML"),
    ],
)
def test_bad_cards_are_input_errors_with_a_line(name: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as caught:
        readers.read(fixture_path(f"readers/hf-card/{name}/README.md"))
    assert caught.value.line == line
    assert message in caught.value.message


def test_a_card_without_metadata_is_one_dataset_with_no_license() -> None:
    # Only this card is affected, so it reads (and the audit finds no license) instead of failing.
    (ds,) = readers.read(fixture_path("readers/hf-card/no-front-matter/README.md")).datasets
    assert ds.id == "no-front-matter"
    assert ds.licenses == ()


def test_other_markdown_without_front_matter_is_an_input_error(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n", encoding="utf-8")
    with pytest.raises(InputError, match="no YAML front matter"):
        readers.read(notes)


def test_markdown_without_card_keys_is_not_a_card(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("---\ntitle: Meeting notes\n---\n# Notes\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a recognised manifest"):
        readers.read(notes)
    named = tmp_path / "mix-card.md"
    named.write_text("---\nlicense: mit\n---\n", encoding="utf-8")
    assert readers.read(named).datasets[0].id == tmp_path.name


@pytest.mark.parametrize(
    ("name", "line", "prose"),
    [
        ("card.blank-line-before-fence", 3, 11),
        ("card.space-before-fence", 2, 10),
        ("card.cr-line-breaks", 2, 10),
    ],
)
def test_front_matter_is_found_where_the_hub_finds_it(name: str, line: int, prose: int) -> None:
    # Blank lines or spaces before the opening '---', and CR line breaks, hide nothing: the
    # non-commercial license in the metadata is read beside the "MIT License" prose.
    (ds,) = readers.read(fixture_path(f"hostile/{name}/README.md")).datasets
    assert ds.id == name
    assert facts(ds.licenses) == [("cc-by-nc-4.0", line, "license")]
    assert facts(ds.license_notes) == [("MIT License", prose, "Licensing Information")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("\n\n---\nlicense: mit\n", 3, "front matter is not closed"),
        ("\r\n---\r\nlicense: [mit\r\n---\r\n", 4, "invalid YAML"),
        ("  \n---\n---\n", 2, "front matter is empty"),
    ],
)
def test_front_matter_after_blank_lines_keeps_file_lines(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(text.encode())
    with pytest.raises(InputError) as caught:
        readers.read(path)
    assert caught.value.line == line
    assert message in caught.value.message


def test_citation_section_is_the_credit_and_its_bibtex_authors_the_creators() -> None:
    ds = card("afrikaans_ner_corpus")
    (citation,) = ds.attribution
    assert (citation.location.line, citation.origin) == (162, "Citation")
    assert citation.value.startswith("@inproceedings{afrikaans_ner_corpus,")
    assert citation.value.endswith("}")
    assert [(f.value, f.location.line) for f in ds.creators] == [
        ("Gerhard van Huyssteen", 162),
        ("Martin Puttkammer", 162),
        ("E.B. Trollip", 162),
        ("J.C. Liversage", 162),
        ("Roald Eiselen", 162),
    ]
    assert {f.origin for f in ds.creators} == {"Citation (BibTeX author)"}


def test_a_heading_inside_the_code_block_does_not_end_the_citation() -> None:
    ds = card("citation-fenced")
    (citation,) = ds.attribution
    assert citation.value.splitlines()[0] == "# Fenced Corpus"
    assert citation.value.splitlines()[-1] == "}"
    # "others" is not a name.
    assert [f.value for f in ds.creators] == ["Doe, Jane", "Roe, Richard"]


@pytest.mark.parametrize("name", ["turkish_movie_sentiment", "citation-template", "gated-modern"])
def test_placeholder_or_missing_citation_gives_no_credit(name: str) -> None:
    ds = card(name)
    assert (ds.attribution, ds.creators) == ((), ())


def test_annotations_creators_are_kinds_not_names() -> None:
    # afrikaans_ner_corpus says annotations_creators: expert-generated; its creators are the
    # BibTeX authors only.
    assert "expert-generated" not in [f.value for f in card("afrikaans_ner_corpus").creators]


@pytest.mark.parametrize(
    ("citation", "authors"),
    [
        ('@misc{a, author = "Doe, Jane and Roe, R."}', ("Doe, Jane", "Roe, R.")),
        ("@misc{a, author={{Example Lab}}}", ("Example Lab",)),
        ("@misc{a, title={x}} @misc{b, author={Doe}}", ()),  # two entries: not simple
        ("@misc{a, title={No author}}", ()),
        ('@misc{a, author={M{\\"u}ller, K}}', ()),  # a LaTeX command: not read
        ("@misc{a, author={Doe, Jane", ()),  # unbalanced
        ('@misc{a, author="Doe', ()),
        ("Doe, J. (2024). A corpus.", ()),  # prose: not BibTeX
    ],
)
def test_only_a_simple_bibtex_entry_names_creators(citation: str, authors: tuple[str, ...]) -> None:
    from auditor.readers.hf_card import _bibtex_authors

    assert _bibtex_authors(citation) == authors


def _audit_card(name: str) -> tuple[str, str | None]:
    report = auditor.engine.audit(fixture_path(f"readers/hf-card/{name}/README.md"), offline=True)
    (verdict,) = report.datasets
    return verdict.verdict.value, verdict.license.expression


def test_license_prose_outside_any_license_section_is_evidence() -> None:
    """A remark in the card's body naming a license or restriction counts like a Licensing
    section (new-user review, defect 9): the most restrictive reading applies."""
    (ds,) = readers.read(fixture_path("readers/hf-card/prose-remark/README.md")).datasets
    prose = [f for f in ds.license_notes if f.origin == "card text"]
    assert [(f.value, f.location.line) for f in prose] == [
        ("Licensed CC BY-NC 4.0, scraped from Instagram and YouTube.", 10)
    ]
    assert _audit_card("prose-remark") == ("blocked", "MIT AND CC-BY-NC-4.0")


def test_license_prose_never_clears_a_dataset_alone_and_prose_naming_none_is_silent() -> None:
    verdict, expression = _audit_card("prose-alone")
    assert verdict == "blocked" and expression is None  # no license stated: CC0 is only a hint
    assert _audit_card("prose-naming-none") == ("review", "MIT")  # review: MIT asks for credit
