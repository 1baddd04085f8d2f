"""The dataset registry: sources, the generated part, matching, precedence, lineage, coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import auditor
import auditor.engine
from auditor.cli import app
from auditor.errors import InputError
from auditor.evidence import ClaimRole
from auditor.hub import Hub
from auditor.knowledge import (
    EvidenceLevel,
    RegistryEntry,
    dataset_key,
    load_knowledge,
    load_registry,
)
from auditor.registry import coverage
from auditor.report import DatasetVerdict, Report
from auditor.rulebook import Rule
from scripts import build_registry
from tests.conftest import FIXTURES, fixture_path

ROOT = Path(__file__).resolve().parent.parent
KB = load_knowledge()
ENTRIES = sorted({e.id: e for e in KB.registry.values()}.values(), key=lambda e: e.id)


def fixture_dir(name: str) -> Path:
    path = FIXTURES / "registry" / name
    if not path.is_dir():
        pytest.fail(f"fixture folder missing: {path}")
    return path


def audit_text(tmp_path: Path, datasets: str) -> Report:
    manifest = tmp_path / "mix.yaml"
    manifest.write_text(f"version: 1\nname: mix\ndatasets:\n{datasets}", encoding="utf-8")
    return auditor.engine.audit(manifest, hub=Hub(cache_dir=tmp_path / "cache", offline=True))


# --- Sources --------------------------------------------------------------------------------


def test_every_entry_cites_a_source() -> None:
    def cited(entry: RegistryEntry) -> bool:
        sources = [entry.source, *([entry.withdrawn.source] if entry.withdrawn else [])]
        return all(s.url.startswith("https://") and s.version.strip() for s in sources)

    assert len(ENTRIES) > 1800
    assert [e.id for e in ENTRIES if not cited(e)] == []


def test_an_entry_without_a_source_fails_to_load_with_its_place() -> None:
    with pytest.raises(InputError) as caught:
        load_registry(fixture_dir("rules-no-source") / "registry")
    assert caught.value.line == 7  # the entry without a source
    assert "missing required key 'source'" in caught.value.message


def test_generated_entries_cite_their_file_at_a_commit_with_its_date() -> None:
    generated = [e for e in ENTRIES if "/blob/" in e.source.url and e.source.dated]
    assert len(generated) > 1500
    assert all(len(e.source.url.split("/blob/")[1].split("/")[0]) == 40 for e in generated)


def test_the_generated_registry_is_what_the_builder_writes(corpus: Path) -> None:
    """Re-running scripts/build_registry.py on the corpus gives the committed files, byte for
    byte (run it to refresh them; docs/registry.md says how)."""
    built = build_registry.build(corpus)
    folder = ROOT / "rules" / "registry" / "generated"
    assert sorted(built) == sorted(p.name for p in folder.glob("*.json"))
    for name, text in built.items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"{name} is out of date"
    assert build_registry.main(["--corpus", str(corpus), "--check"]) == 0


def test_the_builder_check_mode_reports_stale_files(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "dpi.json").write_text('{"datasets": []}\n', encoding="utf-8")
    assert build_registry.main(["--corpus", str(corpus), "--output", str(tmp_path), "--check"])


# --- Matching -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("hf://TempoFunk/webvid-10M", "tempofunk/webvid-10m"),
        ("https://huggingface.co/datasets/TempoFunk/webvid-10M/", "tempofunk/webvid-10m"),
        ("https://huggingface.co/datasets/nkp37/OpenVid-1M/tree/main", "nkp37/openvid-1m"),
        ("datasets/squad", "squad"),
        ("https://huggingface.co/datasets/squad/viewer", "squad"),
        ("https://www.GitHub.com/m-bain/webvid.git/", "github.com/m-bain/webvid"),
        ("http://github.com/m-bain/webvid#terms", "github.com/m-bain/webvid"),
        ("github.com/m-bain/webvid", "github.com/m-bain/webvid"),
        ("MS Marco", "msmarco"),
        ("ms_marco", "msmarco"),
        ("Kinetics-700", "kinetics700"),
        # A trailing word "dataset" names nothing more; inside a name or an id it stays.
        ("COPA dataset", "copa"),
        ("Book Corpus  Data set", "bookcorpus"),
        ("dataset", "dataset"),
        ("hf://org/my-dataset", "org/my-dataset"),
    ],
)
def test_references_are_compared_in_one_normal_form(reference: str, key: str) -> None:
    assert dataset_key(reference) == key


@pytest.mark.parametrize(
    ("reference", "entry_id"),
    [
        ("TempoFunk/webvid-10M", "webvid-10m"),
        ("nkp37/OpenVid-1M", "nkp37/OpenVid-1M"),
        ("Koala-36M/Koala-36M-v1", "Koala-36M/Koala-36M-v1"),
        ("HuggingFaceM4/howto100m", "howto100m"),
        ("speechcolab/gigaspeech", "speechcolab/gigaspeech"),
        ("espnet/yodas", "espnet/yodas"),
        ("kakaobrain/coyo-700m", "kakaobrain/coyo-700m"),
        ("mlfoundations/datacomp_pools", "mlfoundations/datacomp_pools"),
        (
            "google-research-datasets/conceptual_captions",
            "google-research-datasets/conceptual_captions",
        ),
        ("https://github.com/m-bain/webvid", "webvid-10m"),
        ("https://github.com/kakaobrain/coyo-dataset/", "kakaobrain/coyo-700m"),
        ("HowTo100M", "howto100m"),
        ("Panda-70M", "panda-70m"),
        ("LAION-5B", "laion-5b"),
        ("CC3M", "google-research-datasets/conceptual_captions"),
        ("MS Marco retrieval corpus", "ms_marco"),
        ("xP3", "bigscience/xP3"),
        ("snap-research/Panda-70M", "panda-70m"),
        ("EPIC-KITCHENS-100", "epic-kitchens-100"),
        ("epic-kitchenes", "epic-kitchens-100"),
        ("UCF-101", "ucf101"),
        ("HMDB51", "hmdb51"),
        ("Moments in Time", "moments-in-time"),
        ("ActivityNet Captions", "Leyo/ActivityNet_Captions"),
        ("https://github.com/sangho-vision/acav100m", "acav100m"),
        ("Open Images V7", "open-images"),
        ("SA-1B", "sa-1b"),
        ("Flickr30k", "flickr30k"),
        ("mozilla-foundation/common_voice_11_0", "mozilla-foundation/common_voice_17_0"),
        ("common_voice_13_0", "mozilla-foundation/common_voice_17_0"),
        ("facebook/multilingual_librispeech", "facebook/multilingual_librispeech"),
        ("VoxCeleb2", "voxceleb"),
        ("AudioSet", "audioset"),
        ("cvssp/WavCaps", "cvssp/WavCaps"),
        ("Clotho", "clotho"),
        ("https://github.com/cdjkim/audiocaps", "audiocaps"),
        ("togethercomputer/RedPajama-Data-V2", "togethercomputer/RedPajama-Data-V2"),
        ("RedPajama", "togethercomputer/RedPajama-Data-1T"),
        ("FineWeb", "HuggingFaceFW/fineweb"),
        ("https://github.com/allenai/dolma", "allenai/dolma"),
        ("RefinedWeb", "tiiuae/falcon-refinedweb"),
        ("SlimPajama", "cerebras/SlimPajama-627B"),
        ("bigcode/the-stack-v2", "bigcode/the-stack-v2"),
        ("CommonSenseQA", "tau/commonsense_qa"),
        ("WorldTree corpus", "worldtree"),
        ("Anthropic-HHH", "Anthropic/hh-rlhf"),
        ("LAION-COCO", "laion/laion-coco"),
        ("DataComp-1B", "mlfoundations/datacomp_1b"),
        ("MiraData", "mira-space/MiraData"),
        ("facebook/voxpopuli", "facebook/voxpopuli"),
        ("LibriLight", "libri-light"),
        ("K400", "kinetics"),
        ("OpenWebMath", "open-web-math/open-web-math"),
        ("peS2o", "allenai/peS2o"),
        ("DCLM-Baseline", "mlfoundations/dclm-baseline-1.0"),
        ("HumanEval", "openai/openai_humaneval"),
        ("hf://xquad", "google/xquad"),
        ("VGGSound", "vggsound"),
        ("ESC-50", "esc-50"),
        ("How2", "how2"),
        ("WIT", "google/wit"),
        ("DiffusionDB", "poloclub/diffusiondb"),
        ("FFHQ", "ffhq"),
        ("JourneyDB", "JourneyDB/JourneyDB"),
        ("liuhaotian/LLaVA-Instruct-150K", "liuhaotian/LLaVA-Instruct-150K"),
        ("HACS", "hacs-dataset"),  # the short name of a DPI record's paper title
        ("NTU RGB+D", "ntu-rgbd"),
        # Hub ids of canonical datasets moved under an organization in 2024 (review defect 19)
        ("microsoft/ms_marco", "ms_marco"),
        ("hf://Salesforce/wikitext", "wikitext"),
        ("https://huggingface.co/datasets/keithito/lj_speech", "lj_speech"),
        ("detection-datasets/coco", "coco"),  # a re-upload, judged as what it copies
    ],
)
def test_the_ids_names_and_pages_teams_use_find_their_entry(reference: str, entry_id: str) -> None:
    entry = KB.known_dataset(reference)
    assert entry is not None and entry.id == entry_id


def test_subsets_sharing_a_name_are_matched_by_their_repository() -> None:
    # 277 CommitPackFT subsets share the name: the builder gives it to their Hub repository's
    # entry, which carries every license of any of them.
    assert KB.known_dataset("commitpackft-edn") is not None
    generated = json.loads((ROOT / "rules/registry/generated/dpi.json").read_text("utf-8"))
    (built,) = [e for e in generated["datasets"] if e["id"] == "bigcode/commitpackft"]
    assert "CommitPackFT" in built["aliases"] and len(built["license"]) > 5
    # The publisher's own terms, hand-written, win over the generated entry by that name.
    repository = KB.known_dataset("CommitPackFT")
    assert repository is not None and repository.id == "bigcode/commitpackft"
    assert repository.evidence is EvidenceLevel.PUBLISHER


# --- Precedence -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("HMDB: A Large Video Database for Human Motion Recognition (ICCV 2011)", "HMDB"),
        ("NTU RGB+D: A Large Scale Dataset for 3D Human Activity Analysis", "NTU RGB+D"),
        ("Collective: What are they doing? : Collective activity classification", ""),
        ("Moments in Time Dataset: one million videos", "Moments in Time Dataset"),
        ("A name of five words: and a title", ""),
        ("MSR-VTT", ""),
        ("http://example.org/x", ""),
    ],
)
def test_the_builder_reads_the_short_name_before_a_paper_title(name: str, short: str) -> None:
    assert build_registry._short_name(name) == short


def test_hand_written_entries_win_over_generated_ones() -> None:
    registry = load_registry(fixture_dir("rules-precedence") / "registry")
    curated = registry[dataset_key("example-org/webclips")]
    assert curated.license == ("CC-BY-NC-4.0",)
    # The generated entry with the curated alias as its id is superseded and lends its names.
    assert registry[dataset_key("webclips")] is curated
    assert registry[dataset_key("Web Clips 1M")] is curated
    assert registry[dataset_key("https://github.com/example-org/webclips")] is curated
    # Another generated entry keeps its own names, not the curated one's.
    other = registry[dataset_key("example-org/other")]
    assert registry[dataset_key("example-org/webclips-mirror")] is other
    assert {e.id for e in registry.values()} == {"example-org/webclips", "example-org/other"}


def test_a_name_twice_among_generated_entries_is_an_error() -> None:
    with pytest.raises(InputError, match="'thesame' is in the registry twice"):
        load_registry(fixture_dir("rules-duplicate-generated") / "registry")


# --- Evidence -------------------------------------------------------------------------------


def test_an_unaudited_hub_tag_is_a_hint_that_never_clears_a_dataset(tmp_path: Path) -> None:
    entry = KB.known_dataset("nyu-mll/multi_nli")
    assert entry is not None and entry.evidence is EvidenceLevel.HUB_TAG
    report = audit_text(tmp_path, "  - id: mnli\n    source: hf://nyu-mll/multi_nli\n")
    (ds,) = report.datasets
    # Every license the tag names is a hint, shown and never applied.
    named = [c for c in ds.claims if c.origin.startswith("registry (") and c.expression]
    assert named and {c.role for c in named} == {ClaimRole.HINT}
    assert ds.verdict is DatasetVerdict.BLOCKED
    assert Rule.LICENSE_UNKNOWN in {f.rule for f in report.findings_for("mnli")}


def test_a_publishers_license_applies(tmp_path: Path) -> None:
    report = audit_text(tmp_path, "  - id: squad\n    source: hf://rajpurkar/squad\n")
    datasets = {d.id: d for d in report.datasets}
    assert datasets["squad"].license.expression == "CC-BY-SA-4.0"


def test_a_repository_url_source_is_matched_in_the_registry(tmp_path: Path) -> None:
    report = audit_text(
        tmp_path, "  - id: coyo\n    source: https://github.com/kakaobrain/coyo-dataset\n"
    )
    (ds,) = report.datasets
    assert ds.lookup is not None and ds.lookup.outcome == "registry"
    assert ds.license.expression == "CC-BY-4.0"


# --- Lineage --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "upstream"),
    [("hf://rajpurkar/squad", "wikipedia"), ("hf://Open-Orca/OpenOrca", "flan-collection")],
)
def test_registry_upstreams_written_as_bare_names_are_followed(
    tmp_path: Path, reference: str, upstream: str
) -> None:
    report = audit_text(tmp_path, f"  - id: data\n    source: {reference}\n")
    assert upstream in {d.id for d in report.datasets}
    assert Rule.LINEAGE_UNRESOLVED not in {f.rule for f in report.findings_for("data")}


def test_an_upstream_the_registry_does_not_know_stays_unresolved(tmp_path: Path) -> None:
    report = audit_text(
        tmp_path,
        "  - id: data\n    license: MIT\n    derived_from: [hf://example-org/unknown-corpus]\n",
    )
    assert Rule.LINEAGE_UNRESOLVED in {f.rule for f in report.findings_for("data")}


def test_a_card_naming_its_own_dataset_as_source_has_no_lineage_to_itself() -> None:
    report = auditor.engine.audit(
        fixture_path("registry/manifest.self-reference.yaml"),
        hub=Hub(cache_dir=FIXTURES / "registry" / "no-cache", offline=True),
    )
    assert [d.id for d in report.datasets] == ["voices"]
    rules = {f.rule for f in report.findings_for("voices")}
    assert Rule.LINEAGE_UNRESOLVED not in rules and Rule.LINEAGE_CYCLE not in rules


def test_an_upstream_that_is_one_of_the_datasets_registry_names_is_no_lineage(
    tmp_path: Path,
) -> None:
    report = audit_text(
        tmp_path,
        "  - id: voices\n    source: hf://mozilla-foundation/common_voice_17_0\n"
        "    derived_from: [hf://common_voice]\n",
    )
    assert [d.id for d in report.datasets] == ["voices"]
    assert Rule.LINEAGE_UNRESOLVED not in {f.rule for f in report.findings_for("voices")}


# --- Withdrawal -----------------------------------------------------------------------------


def test_laion_5b_and_its_subsets_are_withdrawn_as_of_december_2023() -> None:
    for name in ("laion-5b", "laion/laion2B-en"):
        entry = KB.known_dataset(name)
        assert entry is not None and entry.withdrawn is not None
        assert entry.withdrawn.on is not None and entry.withdrawn.on.isoformat() == "2023-12-19"
        assert "laion-maintenance" in entry.withdrawn.source.url


def test_a_withdrawn_dataset_blocks_under_both_policies(tmp_path: Path) -> None:
    for policy in ("commercial", "research"):
        manifest = tmp_path / f"{policy}.yaml"
        manifest.write_text(
            "version: 1\nname: m\ndatasets:\n  - id: clips\n    source: hf://TempoFunk/webvid-10M\n",
            encoding="utf-8",
        )
        report = auditor.engine.audit(
            manifest, policy=policy, hub=Hub(cache_dir=tmp_path / "cache", offline=True)
        )
        (hit,) = [f for f in report.findings_for("clips") if f.rule is Rule.DATASET_WITHDRAWN]
        assert hit.severity.value == "error"
        assert hit.evidence is not None and "m-bain/webvid" in (hit.evidence.source_url or "")
        assert "2024-02-23" in hit.message


# --- Coverage -------------------------------------------------------------------------------


def test_the_coverage_table_in_the_docs_is_current() -> None:
    text = (ROOT / "docs" / "registry.md").read_text(encoding="utf-8")
    begin, end = "<!-- registry-coverage:begin -->\n", "<!-- registry-coverage:end -->"
    table = text[text.index(begin) + len(begin) : text.index(end)]
    assert table == coverage(KB).markdown(), "run `auditor registry stats -f markdown`"


def test_coverage_counts_every_entry_once_by_modality_and_evidence() -> None:
    cov = coverage(KB)
    assert cov.total.entries == len(ENTRIES) == sum(r.entries for r in cov.rows)
    assert sum(cov.total.evidence.values()) == cov.total.entries
    assert {r.modality for r in cov.rows} >= {"text", "instruction", "code", "image", "video"}
    assert cov.total.withdrawn >= 3


def test_registry_stats_command() -> None:
    result = CliRunner().invoke(app, ["registry", "stats", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == "1.0"
    assert data["total"]["entries"] == len(ENTRIES)
    assert set(data["total"]["evidence"]) == {"publisher", "expert-audit", "hub-tag"}
    table = CliRunner().invoke(app, ["registry", "stats"])
    assert table.exit_code == 0 and "expert-audit" in table.stdout and table.stderr == ""


def test_the_builder_gives_a_name_several_datasets_share_to_none(tmp_path: Path) -> None:
    record = {
        "Licenses": [{"License": "MIT License", "License URL": ""}],
        "GitHub URL": "https://github.com/example-org/shared-tools",
        "Creators": ["Example"],
    }
    summaries = {
        "first": {
            **record,
            "Unique Dataset Identifier": "first",
            "Dataset Name": "first",
            "Collection": "First",
            "Hugging Face URL": "https://huggingface.co/datasets/a/one",
        },
        "second": {
            **record,
            "Unique Dataset Identifier": "second",
            "Dataset Name": "second",
            "Collection": "Second",
            "Hugging Face URL": "https://huggingface.co/datasets/b/two",
        },
    }
    (tmp_path / "dpi" / "text").mkdir(parents=True)
    (tmp_path / "dpi" / "text" / "Two.json").write_text(json.dumps(summaries), encoding="utf-8")
    (built,) = build_registry.build(tmp_path).values()
    assert "a/one" in built and "b/two" in built and "first" in built
    assert "shared-tools" not in built


# --- Readings: what a third party's word for a license means for one dataset ------------------


def _dpi_record(
    tmp_path: Path, licenses: list[str], url: str, name: str = "CommitPackFT"
) -> Report:
    record = {
        "Unique Dataset Identifier": "commitpackft-demo",
        "Dataset Name": name,
        "Collection": name,
        "Hugging Face URL": url,
        "Licenses": [{"License": name, "License URL": ""} for name in licenses],
        "Text Sources": ["github"],
        "Creators": ["BigCode"],
    }
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"commitpackft-demo": record}), encoding="utf-8")
    return auditor.engine.audit(path, hub=Hub(cache_dir=tmp_path / "cache", offline=True))


def _errors(report: Report) -> set[Rule]:
    return {f.rule for f in report.findings if f.severity.value == "error" and not f.waived}


def test_every_reading_cites_its_source_and_means_licenses_with_known_terms() -> None:
    from auditor.resolver import Resolver

    resolver = Resolver(KB)
    readings = [(e.id, r) for e in ENTRIES for r in e.readings]
    assert readings, "the registry holds no readings"
    for entry_id, reading in readings:
        assert reading.source.url.startswith("https://") and reading.source.version.strip()
        resolved = resolver.resolve(reading.means)
        assert resolved.status.value != "unknown", (entry_id, reading.written, resolved.evidence)


def test_a_reading_settles_a_third_partys_word_for_that_dataset_only(tmp_path: Path) -> None:
    hub_page = "https://huggingface.co/datasets/bigcode/commitpackft"
    read = _dpi_record(tmp_path, ["MIT License", "No License"], hub_page)
    assert Rule.LICENSE_UNKNOWN not in _errors(read)
    (claim,) = [c for c in read.datasets[0].claims if c.value == "No License"]
    assert claim.role is ClaimRole.APPLIED and "read as" in claim.detail
    assert "octopack" in claim.detail  # the source that settles it is cited
    # Share-alike licenses among those the reading admits are still reported.
    assert any(f.rule is Rule.LICENSE_SHARE_ALIKE for f in read.findings)
    # The same words about another dataset are not read: no license stated stays unknown.
    other = _dpi_record(
        tmp_path, ["MIT License", "No License"], "https://example.org/other", name="Other code"
    )
    assert Rule.LICENSE_UNKNOWN in _errors(other)
    # Only the words the reading names are read: "Unspecified" stays unknown.
    unspecified = _dpi_record(tmp_path, ["MIT License", "Unspecified"], hub_page)
    assert Rule.LICENSE_UNKNOWN in _errors(unspecified)


def test_a_reading_is_matched_case_folded_with_spaces_collapsed() -> None:
    (reading,) = KB.known_dataset("bigcode/commitpackft").readings  # type: ignore[union-attr]
    assert reading.matches("  no   LICENSE ")
    assert not reading.matches("No License Provided")


@pytest.mark.parametrize(
    "reference",
    [
        "nkp37/OpenVid-1M",  # clips from the web ("Internet Video")
        "OpenVid-1M",
        "ava-dataset",  # movies
        "eev-dataset",  # undisclosed web
        "lsmdc-ordering",  # Hollywood films
        "davis",
        "joujiboi/japanese-anime-speech",  # anime audio, CC0 by the uploader
        "Wild-Heart/Disney-VideoGeneration-Dataset",
        "Leyo/ActivityNet_Captions",
    ],
)
def test_media_made_by_others_is_not_passed_under_the_dataset_license(
    tmp_path: Path, reference: str
) -> None:
    """Video and speech entries whose audit says the media come from movies, anime or the web
    (not the creators' own recordings) are blocked: the dataset's license need not cover them
    (new-user review, defect 7)."""
    listed = tmp_path / "mix.txt"  # a plain list of references, as the review wrote it
    listed.write_text(f"{reference}\n", encoding="utf-8")
    report = auditor.engine.audit(listed, hub=Hub(cache_dir=tmp_path / "cache", offline=True))
    (verdict,) = report.datasets
    assert verdict.verdict is DatasetVerdict.BLOCKED
    assert Rule.COLLECTION_UNRESOLVED in {f.rule for f in report.findings}
