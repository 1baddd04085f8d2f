"""Reference resolution: local metadata, the Hub (fake, on 127.0.0.1), the cache, the registry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import auditor
import auditor.engine
from auditor.hub import Hub
from auditor.knowledge import EvidenceLevel, Modality, RegistryEntry, Source, load_knowledge
from auditor.lookup import Lookups
from auditor.model import Dataset, Location
from auditor.report import Verdict
from auditor.rulebook import Rule
from tests.conftest import fixture_path
from tests.hubserver import fake_hub

MIX = "lookup/mixes/references.yaml"


def test_references_resolve_through_hub_and_local_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        report = auditor.audit(fixture_path(MIX), policy="commercial")
    datasets = {d.id: d for d in report.datasets}
    assert datasets["from-hub"].license.expression == "CC-BY-NC-4.0"
    assert datasets["from-folder"].license.expression == "CC-BY-NC-SA-4.0"
    assert datasets["permissive"].license.expression == "Apache-2.0"
    # The finding points at the reference (the `source:` line) in the manifest.
    nc = next(f for f in report.findings_for("from-hub") if f.rule is Rule.LICENSE_NONCOMMERCIAL)
    assert nc.location is not None
    assert nc.location.line == 5
    # The external upstream is looked up and its restrictions pass down.
    inherited = [f for f in report.findings_for("child") if f.via]
    assert {f.rule for f in inherited} >= {Rule.LICENSE_NONCOMMERCIAL}
    # The upstream reference is the source of the manifest's from-hub: that dataset, by its id.
    assert inherited[0].via == ("from-hub",)
    assert report.verdict is Verdict.FAIL


def test_offline_uses_the_cache_and_reports_misses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        Hub(cache_dir=cache).card("example-org/nc-instructions")
    hub = Hub(cache_dir=cache, offline=True)
    report = auditor.engine.audit(fixture_path(MIX), hub=hub)
    datasets = {d.id: d for d in report.datasets}
    assert datasets["from-hub"].license.expression == "CC-BY-NC-4.0"
    missing = [f for f in report.findings_for("permissive") if f.rule is Rule.REFERENCE_UNRESOLVED]
    assert len(missing) == 1
    assert "offline" in missing[0].message
    assert datasets["permissive"].verdict.value == "blocked"


def test_unreachable_hub_never_passes(tmp_path: Path) -> None:
    report = auditor.engine.audit(fixture_path(MIX), hub=Hub(cache_dir=tmp_path, timeout=2))
    unresolved = [f for f in report.findings if f.rule is Rule.REFERENCE_UNRESOLVED]
    assert {f.dataset for f in unresolved if not f.via} == {"from-hub", "permissive"}
    assert all("unreachable" in f.message or "Connect" in f.message for f in unresolved)
    # The child's upstream is the manifest's from-hub (same reference): its failed look-up blocks
    # the child too, inherited.
    (inherited,) = [f for f in unresolved if f.dataset == "child"]
    assert inherited.via == ("from-hub",)
    assert report.verdict is Verdict.FAIL


def test_registry_answers_when_the_hub_is_out_of_reach(tmp_path: Path) -> None:
    kb = load_knowledge()
    entry = RegistryEntry(
        id="example-org/permissive-text",
        name="Permissive Text",
        modality=Modality.TEXT,
        evidence=EvidenceLevel.PUBLISHER,
        license=("Apache-2.0",),
        source=Source(url="https://example.org/permissive-text", version="test"),
    )
    kb = kb.model_copy(update={"registry": dict.fromkeys(entry.match_keys(), entry)})
    lookups = Lookups(kb=kb, hub=Hub(cache_dir=tmp_path, offline=True))
    stub = Dataset(
        id="p",
        location=Location(path="mix.yaml", line=3),
        source="hf://example-org/permissive-text",
    )
    (found,) = lookups.expand(str(tmp_path / "mix.yaml"), (stub,))
    assert found.lookup is not None
    assert found.lookup.outcome == "registry"
    assert "https://example.org/permissive-text" in found.lookup.detail
    assert [f.value for f in found.licenses] == ["Apache-2.0"]
    assert found.licenses[0].origin == "registry (https://example.org/permissive-text)"


def test_local_paths_may_not_leave_the_manifest_folder() -> None:
    report = auditor.audit(fixture_path("lookup/mixes/escape.yaml"), offline=True)
    (finding,) = [f for f in report.findings if f.rule is Rule.REFERENCE_UNRESOLVED]
    assert "outside the manifest's folder" in finding.message


def test_a_declared_license_is_checked_against_the_hub_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mix = tmp_path / "mix.yaml"
    mix.write_text(
        "version: 1\nname: believed\ndatasets:\n"
        "  - id: nc\n    license: MIT\n    source: hf://example-org/nc-instructions\n",
        encoding="utf-8",
    )
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        report = auditor.audit(mix, policy="commercial")
        assert hub_server.requests, "the declared license must not switch the look-up off"
    (ds,) = report.datasets
    assert ds.license.expression == "MIT AND CC-BY-NC-4.0"
    (conflict,) = [f for f in report.findings_for("nc") if f.rule is Rule.LICENSE_CONFLICT]
    assert "license says 'MIT'" in conflict.message
    assert "hf://example-org/nc-instructions (README.md" in conflict.message
    assert report.verdict is Verdict.FAIL


def test_the_hub_owner_is_a_creator_claim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Data a provider publishes from its own models is judged by its license: the Hub account
    that publishes it says who released it (hh-rlhf under Anthropic's account)."""
    mix = tmp_path / "mix.yaml"
    mix.write_text(
        "version: 1\nname: own\ndatasets:\n"
        "  - id: own\n    source: hf://Anthropic/helpful\n    generated_by: [claude-3-opus]\n"
        "  - id: other\n    source: hf://example-org/permissive-text\n"
        "    generated_by: [claude-3-opus]\n",
        encoding="utf-8",
    )
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        report = auditor.audit(mix, policy="commercial")
    assert Rule.MODEL_OUTPUT_TERMS not in {f.rule for f in report.findings_for("own")}
    assert Rule.MODEL_OUTPUT_TERMS in {f.rule for f in report.findings_for("other")}


def _cache_nc_card(cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Fetch the nc-instructions card into ``cache`` from a fake Hub that is then gone."""
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        return Hub(cache_dir=cache).card("example-org/nc-instructions").path


def _nc_mix(tmp_path: Path) -> Path:
    mix = tmp_path / "mix.yaml"
    mix.write_text(
        "version: 1\nname: cached\ndatasets:\n"
        "  - id: nc\n    source: hf://example-org/nc-instructions\n",
        encoding="utf-8",
    )
    return mix


def test_an_edited_cached_card_never_turns_an_offline_fail_into_a_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = _cache_nc_card(tmp_path / "cache", monkeypatch)
    assert auditor.audit(_nc_mix(tmp_path), cache_dir=tmp_path / "cache", offline=True).verdict is (
        Verdict.FAIL
    )
    card.write_text("---\nlicense: mit\npretty_name: NC Instructions\n---\n", encoding="utf-8")
    report = auditor.audit(_nc_mix(tmp_path), cache_dir=tmp_path / "cache", offline=True)
    (finding,) = [f for f in report.findings if f.rule is Rule.REFERENCE_UNRESOLVED]
    assert "does not match the sha256 recorded when it was fetched" in finding.message
    assert report.datasets[0].license.expression is None
    assert report.verdict is Verdict.FAIL


def test_a_card_answered_from_the_cache_says_so_with_its_age(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cache_nc_card(tmp_path / "cache", monkeypatch)
    # Online, but the Hub is gone: the cached card answers, as the cache, not as the Hub.
    report = auditor.audit(_nc_mix(tmp_path), cache_dir=tmp_path / "cache")
    lookup = report.datasets[0].lookup
    assert lookup is not None
    assert lookup.outcome == "cache"
    assert "; from the cache: fetched from http://127.0.0.1:" in lookup.detail
    assert lookup.detail.endswith(", less than a minute ago")
    assert report.datasets[0].license.expression == "CC-BY-NC-4.0"


def _unresolved(report: auditor.Report, dataset: str) -> list[tuple[int | None, str]]:
    return [
        (f.location.line if f.location else None, f.message)
        for f in report.findings_for(dataset)
        if f.rule is Rule.REFERENCE_UNRESOLVED
    ]


def test_hostile_local_references_are_unresolved_at_their_line(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    os.mkfifo(tmp_path / "pipe")
    long_name = "a" * 300
    manifest = tmp_path / "mix.yaml"
    manifest.write_text(
        "version: 1\nname: hostile\ndatasets:\n"
        "  - id: loop\n    license: MIT\n    source: loop\n"
        "  - id: pipe\n    license: MIT\n    source: pipe\n"
        f"  - id: long-local\n    license: MIT\n    source: {long_name}\n"
        f"  - id: long-hub\n    license: MIT\n    source: hf://owner/{long_name}\n"
    )
    report = auditor.audit(manifest, offline=True)
    assert report.verdict is Verdict.FAIL
    [(line, message)] = _unresolved(report, "loop")
    assert line == 6
    assert "'loop' is not a usable local path (Symlink loop from" in message
    [(line, message)] = _unresolved(report, "pipe")
    assert line == 9
    assert "is not a regular file (it is a FIFO)" in message
    for dataset, line in (("long-local", 12), ("long-hub", 15)):
        [(found, message)] = _unresolved(report, dataset)
        assert found == line
        assert "a name in it is longer than any file or dataset name" in message
        assert "cache" not in message


def test_a_nul_byte_in_a_listed_reference_is_unresolved(tmp_path: Path) -> None:
    listed = tmp_path / "datasets.txt"
    listed.write_bytes(b"data/a\x00b\n")
    report = auditor.audit(listed, offline=True)
    [(line, message)] = _unresolved(report, "data/a\x00b")
    assert line == 1
    assert "is not a usable local path (embedded null byte)" in message
