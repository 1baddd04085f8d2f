"""Platform terms: which findings content from each platform gets, by collection method."""

from __future__ import annotations

from pathlib import Path

import pytest

import auditor
from auditor import engine
from auditor.hub import Hub
from auditor.knowledge import (
    Clause,
    Covers,
    KnowledgeBase,
    Platform,
    PlatformClause,
    Source,
    load_knowledge,
)
from auditor.model import Collection, Dataset, Location
from auditor.platforms import SANCTIONED_METHODS, decide, platform_findings
from auditor.policy import load_policy
from auditor.report import Finding
from auditor.rulebook import Rule
from tests.conftest import fixture_path

KB = load_knowledge()
POLICY = load_policy("commercial")
HERE = Location(path="manifest.yaml", line=1)
AUTOMATED = ("yt-dlp", "scrape", "crawl", "download", None)


def findings(
    target: str, method: str | None, *, pointer: bool = False, kb: KnowledgeBase = KB
) -> list[Finding]:
    key = "url" if "//" in target else "domain"
    collection = Collection.model_validate({key: target, "method": method, "location": HERE})
    dataset = Dataset(id="d", location=HERE, collected_from=(collection,), pointer=pointer)
    return platform_findings(dataset, kb, POLICY)


def rules(target: str, method: str | None, *, pointer: bool = False) -> set[Rule]:
    return {f.rule for f in findings(target, method, pointer=pointer)}


def by_dataset(path: Path) -> dict[str, list[Finding]]:
    report = auditor.audit(path)
    out: dict[str, list[Finding]] = {d.id: [] for d in report.datasets}
    for f in report.findings:
        out[f.dataset].append(f)
    return out


def test_look_alike_hosts_are_judged_under_the_platforms_terms() -> None:
    found = by_dataset(fixture_path("manifest.lookalike-hosts.yaml"))
    assert len(found) == 8
    for dataset, items in found.items():
        assert Rule.TOS_SCRAPING_PROHIBITED in {f.rule for f in items}, dataset


def test_the_message_says_how_a_disguised_host_was_read() -> None:
    (scraping,) = [
        f
        for f in findings("https://you\u200btube.com/", "yt-dlp")
        if f.rule is Rule.TOS_SCRAPING_PROHIBITED
    ]
    assert "'https://you\\u200btube.com/' (read as youtube.com)" in scraping.message


def test_unreadable_hosts_and_unknown_pointer_hosts_are_findings() -> None:
    found = by_dataset(fixture_path("manifest.unreadable-hosts.yaml"))
    for dataset in ("empty", "garbage", "invalid-idna", "no-authority"):
        (review,) = [f for f in found[dataset] if f.rule is Rule.COLLECTION_UNRESOLVED]
        assert review.message.startswith("could not read a host from collected_from value ")
        assert review.message.endswith(": its platform terms cannot be checked")
        assert review.location is not None and review.location.line
    (pointer,) = [f for f in found["pointers-elsewhere"] if f.rule is Rule.COLLECTION_UNRESOLVED]
    assert pointer.message == (
        "pointer dataset: its license covers the references, not the content at "
        "videos.example.org; the rights to that content are unknown"
    )
    assert not [f for f in found["plain-elsewhere"] if f.rule.value.startswith("tos-")]
    assert not [f for f in found["plain-elsewhere"] if f.rule is Rule.COLLECTION_UNRESOLVED]


def test_a_pointer_dataset_on_a_known_platform_keeps_the_platform_findings() -> None:
    found = rules("https://www.youtube.com/", "yt-dlp", pointer=True)
    assert found == {Rule.TOS_SCRAPING_PROHIBITED, Rule.TOS_REVIEW}


@pytest.mark.parametrize("platform", KB.platforms, ids=lambda p: p.id)
def test_automated_collection_gets_every_finding_sanctioned_access_gets(
    platform: Platform,
) -> None:
    domain = platform.domains[0]
    for sanctioned in sorted(SANCTIONED_METHODS):
        granted = rules(domain, sanctioned)
        assert {r for r, _ in decide(platform, sanctioned)} == granted
        for automated in AUTOMATED:
            taken = rules(domain, automated)
            assert granted <= taken, (sanctioned, automated)
            assert {r for r, _ in decide(platform, automated)} == taken


@pytest.mark.parametrize("platform", KB.platforms, ids=lambda p: p.id)
def test_the_decision_table(platform: Platform) -> None:
    """Each rule fires exactly when the table in auditor.platforms says so."""
    training = platform.clause(Clause.NO_ML_TRAINING) is not None
    scraping = platform.clause(Clause.NO_AUTOMATED_ACCESS, Clause.NO_DOWNLOAD, Clause.API_ONLY)
    for method in (*sorted(SANCTIONED_METHODS), *AUTOMATED):
        found = {r for r, _ in decide(platform, method)}
        opened = any(
            c.kind is Clause.OPEN_LICENSE
            and (c.covers is Covers.CONTENT or (c.covers is Covers.API_OUTPUT and method == "api"))
            for c in platform.clauses
        )
        assert (Rule.TOS_AI_TRAINING_PROHIBITED in found) == training
        assert (Rule.TOS_REVIEW in found) == (not training and not opened)
        automated = method not in SANCTIONED_METHODS
        assert (Rule.TOS_SCRAPING_PROHIBITED in found) == (automated and scraping is not None)


def test_scraping_a_platform_without_a_scraping_clause_is_not_a_pass() -> None:
    # GitHub's terms have no no-scraping clause and license no content: review, as for its API.
    assert rules("https://github.com/o/r", "scrape") == {Rule.TOS_REVIEW}
    assert rules("https://github.com/o/r", "api") == {Rule.TOS_REVIEW}
    assert rules("github.com", None) == {Rule.TOS_REVIEW}


def test_an_open_license_over_the_metadata_does_not_clear_the_content() -> None:
    for method in ("api", "crawl"):
        (review,) = findings("https://arxiv.org/abs/2401.00001", method)
        assert review.rule is Rule.TOS_REVIEW
        assert "its open license covers only the metadata" in review.message
        assert review.evidence is not None
        assert "descriptive metadata" in (review.evidence.quote or "")
    assert rules("commoncrawl.org", "official-dump") == {Rule.TOS_REVIEW}


def test_an_open_license_over_the_content_clears_it() -> None:
    for method in ("api", "crawl", None):
        assert rules("https://en.wikipedia.org/wiki/X", method) == set()
    assert rules("pmc.ncbi.nlm.nih.gov", "api") == set()
    assert rules("pmc.ncbi.nlm.nih.gov", "crawl") == {Rule.TOS_SCRAPING_PROHIBITED}


def test_an_open_license_over_the_api_output_clears_only_what_came_through_the_api() -> None:
    clause = PlatformClause(
        kind=Clause.OPEN_LICENSE, quote="API data is CC0.", covers=Covers.API_OUTPUT
    )
    platform = Platform(
        id="p",
        name="P",
        domains=("p.example",),
        clauses=(clause,),
        terms_url="https://p.example/terms",
        source=Source(url="https://p.example/terms", version="1"),
    )
    assert decide(platform, "api") == ()
    assert decide(platform, "licensed") == ((Rule.TOS_REVIEW, clause),)
    assert decide(platform, "scrape") == ((Rule.TOS_REVIEW, clause),)
    kb = KB.model_copy(update={"platforms": (platform,)})
    assert not findings("p.example", "api", kb=kb)
    (review,) = findings("p.example", "scrape", kb=kb)
    assert "its open license covers only the api output" in review.message


def test_a_training_ban_in_developer_terms_binds_scraped_content_too() -> None:
    (x,) = [p for p in KB.platforms if p.id == "x"]
    clause = x.clause(Clause.NO_ML_TRAINING)
    assert clause is not None and clause.covers is Covers.API_OUTPUT
    scraped = {f.rule: f for f in findings("https://x.com/someone", "scrape")}
    assert set(scraped) == {Rule.TOS_SCRAPING_PROHIBITED, Rule.TOS_AI_TRAINING_PROHIBITED}
    assert "no less restricted" in scraped[Rule.TOS_AI_TRAINING_PROHIBITED].message
    assert rules("https://x.com/someone", "api") == {Rule.TOS_AI_TRAINING_PROHIBITED}


@pytest.mark.parametrize(
    ("value", "platform"),
    [("YouTube", "youtube"), ("youtube", "youtube"), ("Reddit", "reddit")],
)
def test_a_platform_named_without_a_domain_is_that_platform(value: str, platform: str) -> None:
    assert KB.platform_named(value) is not None
    assert KB.platform_named(value).id == platform  # type: ignore[union-attr]
    assert Rule.TOS_SCRAPING_PROHIBITED in rules(value, "yt-dlp")


@pytest.mark.parametrize(
    "host", ["y\u043eutube.com", "xn--yutube-zxf.com", "g\u03bf\u03bfgle.com", "paypa\u04cf.com"]
)
def test_hosts_that_mix_scripts_are_not_read_as_any_platform(host: str) -> None:
    assert rules(host, "yt-dlp") == {Rule.COLLECTION_UNRESOLVED}


@pytest.mark.parametrize("host", ["m\u00fcnchen.de", "\u4f8b\u3048.jp", "b\u00fccher.example"])
def test_hosts_in_one_script_are_read_as_they_are(host: str) -> None:
    assert Rule.COLLECTION_UNRESOLVED not in rules(host, "crawl")


@pytest.mark.parametrize("method", ["yt-dlp", "scrape", "crawl"])
def test_scraping_a_site_with_unknown_terms_is_for_review(method: str) -> None:
    assert rules("https://clips.example-stock.net/video/", method) == {Rule.TOS_REVIEW}
    assert rules("https://clips.example-stock.net/video/", "download") == set()


def test_a_publishers_redistribution_is_not_the_users_scraping() -> None:
    # The publisher collected the content; the user downloads the publisher's release.
    assert rules("youtube.com", "redistributed") == {Rule.TOS_REVIEW}
    assert rules("vimeo.com", "redistributed") == {Rule.TOS_REVIEW}
    (review,) = findings("vimeo.com", "redistributed")
    assert "collected by the dataset's publisher" in review.message
    # A training ban binds the content however it reached the user.
    assert Rule.TOS_AI_TRAINING_PROHIBITED in rules("netflix.com", "redistributed")


def test_peoples_speech_is_judged_as_the_publishers_licensed_redistribution(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "version: 1\nname: m\ndatasets:\n  - id: ps\n    source: hf://MLCommons/peoples_speech\n",
        encoding="utf-8",
    )
    report = engine.audit(manifest, hub=Hub(cache_dir=tmp_path / "c", offline=True))
    found = {f.rule for f in report.findings if f.dataset == "ps"}
    assert Rule.TOS_SCRAPING_PROHIBITED not in found
    assert Rule.TOS_REVIEW in found
    (verdict,) = (d.verdict.value for d in report.datasets if d.id == "ps")
    assert verdict == "review"


@pytest.mark.parametrize("word", ["movies", "Anime", "TV", "undisclosed web", "Internet Video"])
def test_a_source_that_names_no_site_fails_closed(word: str) -> None:
    """A ``collected_from`` word that is neither a domain nor a known platform (the Data
    Provenance Initiative's "movies", "undisclosed web") leaves the content's rights unknown."""
    assert rules(word, None) == {Rule.COLLECTION_UNRESOLVED}


@pytest.mark.parametrize("named", ["LibriVox", "librivox", "librivox.org", "https://librivox.org/"])
def test_librivox_recordings_are_public_domain_by_its_own_terms(named: str) -> None:
    # Its page: "anyone can use all our recordings however they wish (even to sell them)".
    assert rules(named, None) == set()
    assert rules(named, "scraper") == set()
