"""The Hub client against a fake Hub on 127.0.0.1: real huggingface_hub session, no internet."""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import auditor
from auditor.errors import InputError
from auditor.hub import Hub, HubError, HubFailure, Limits
from auditor.policy import Severity
from auditor.report import Verdict
from auditor.rulebook import Rule
from tests.hubserver import CARDS, COMMIT, TOKEN, FakeHub, fake_hub


def test_fetches_and_caches_a_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        hub = Hub(cache_dir=tmp_path)
        card = hub.card("example-org/nc-instructions")
        assert "cc-by-nc-4.0" in card.path.read_text()
        assert card.outcome == "hub"
        # Exactly one request, for the card: no telemetry or other surprise traffic.
        assert [(m, p) for m, p, _ in hub_server.requests] == [
            ("GET", "/datasets/example-org/nc-instructions/resolve/main/README.md")
        ]
    # The cache records what was fetched: the URL, the revision, when, and the card's hash.
    url = f"{hub_server.url}/datasets/example-org/nc-instructions/resolve/main/README.md"
    record = json.loads(card.path.with_name("meta.json").read_text())
    assert record["repo_id"] == "example-org/nc-instructions"
    assert record["url"] == url
    assert record["revision"] == COMMIT
    assert record["sha256"] == hashlib.sha256(card.path.read_bytes()).hexdigest()
    assert card.provenance() == f"fetched from {url} (revision {COMMIT})"
    # Offline, the cache answers and says so, with the card's age; nothing is requested.
    offline = Hub(cache_dir=tmp_path, offline=True)
    cached = offline.card("example-org/nc-instructions")
    assert (cached.path, cached.outcome, cached.stale) == (card.path, "cache", False)
    assert cached.provenance().startswith(f"from the cache: fetched from {url} at 20")
    assert cached.provenance().endswith(f"(revision {COMMIT}), less than a minute ago")
    with pytest.raises(HubError) as caught:
        offline.card("example-org/permissive-text")
    assert caught.value.failure is HubFailure.OFFLINE


def test_not_found_and_gated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        hub = Hub(cache_dir=tmp_path)
        with pytest.raises(HubError) as missing:
            hub.card("example-org/nothing-here")
        assert missing.value.failure is HubFailure.NOT_FOUND
        with pytest.raises(HubError) as gated:
            hub.card("example-org/gated")
        assert gated.value.failure is HubFailure.DENIED
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        assert "cc-by-nc-4.0" in hub.card("example-org/gated").path.read_text()
        assert hub_server.requests[-1][2] == f"Bearer {TOKEN}"


def test_unreachable_hub_fails_once_then_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    hub = Hub(cache_dir=tmp_path, timeout=2)
    with pytest.raises(HubError) as first:
        hub.card("example-org/nc-instructions")
    assert first.value.failure is HubFailure.NETWORK
    with pytest.raises(HubError) as second:
        hub.card("example-org/permissive-text")
    assert second.value.failure is HubFailure.NETWORK
    assert "unreachable" in second.value.detail


@pytest.mark.parametrize("repo_id", ["../../etc/passwd", "owner/..", "a..b/c", "\uff4fwner/name"])
def test_rejects_malformed_ids(tmp_path: Path, repo_id: str) -> None:
    with pytest.raises(HubError) as caught:
        Hub(cache_dir=tmp_path, offline=True).card(repo_id)
    assert caught.value.failure is HubFailure.NOT_FOUND


# --- limits: a public server may drip, flood or bomb ------------------------------------------


@pytest.fixture
def hub_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with fake_hub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        yield server


@pytest.mark.parametrize("repo", ["drip", "drip-headers"])
def test_a_dripping_server_is_cut_off_at_the_deadline(
    repo: str, tmp_path: Path, hub_server: FakeHub
) -> None:
    # Every byte comes well within the socket timeout; only the overall deadline ends it.
    hub = Hub(cache_dir=tmp_path, timeout=10, limits=Limits(deadline=1))
    start = time.monotonic()
    with pytest.raises(HubError) as caught:
        hub.card(f"example-org/{repo}")
    elapsed = time.monotonic() - start
    assert caught.value.failure is HubFailure.TIMEOUT
    assert caught.value.detail == "no complete answer within 1 s (AUDITOR_HUB_DEADLINE)"
    assert 0.9 < elapsed < 2.5
    assert not list(tmp_path.rglob("README.md"))
    # A Hub that cannot answer in time is not asked again in this run.
    with pytest.raises(HubError) as again:
        hub.card("example-org/nc-instructions")
    assert again.value.failure is HubFailure.NETWORK
    assert "unreachable (no complete answer within 1 s" in again.value.detail


@pytest.mark.parametrize("repo", ["huge", "huge-unsized", "bomb"])
def test_an_oversized_or_inflating_answer_is_refused(
    repo: str, tmp_path: Path, hub_server: FakeHub
) -> None:
    hub = Hub(cache_dir=tmp_path, limits=Limits(max_bytes=64 * 1024))
    start = time.monotonic()
    with pytest.raises(HubError) as caught:
        hub.card(f"example-org/{repo}")
    assert caught.value.failure is HubFailure.TOO_LARGE
    assert caught.value.detail == "the card is larger than 65,536 bytes (AUDITOR_HUB_MAX_BYTES)"
    assert time.monotonic() - start < 2  # refused as it streams in, not after reading it all
    assert not list(tmp_path.rglob("README.md"))


def test_a_gzipped_card_and_a_redirect_are_read(tmp_path: Path, hub_server: FakeHub) -> None:
    hub = Hub(cache_dir=tmp_path, limits=Limits(max_bytes=64 * 1024))
    expected = (CARDS / "example-org" / "nc-instructions" / "README.md").read_text()
    assert hub.card("example-org/gzipped").path.read_text() == expected
    assert hub.card("example-org/moved").path.read_text() == expected
    with pytest.raises(HubError) as caught:
        hub.card("example-org/loop")
    assert caught.value.detail == "more than 5 redirects"


@pytest.mark.parametrize(
    ("repo", "detail"),
    [
        ("brotli", "unsupported Content-Encoding 'br'"),
        ("corrupt", "the card's gzip is corrupt"),
        ("truncated", "the card's gzip is corrupt"),
    ],
)
def test_an_answer_that_cannot_be_decoded_is_an_error(
    repo: str, detail: str, tmp_path: Path, hub_server: FakeHub
) -> None:
    with pytest.raises(HubError) as caught:
        Hub(cache_dir=tmp_path).card(f"example-org/{repo}")
    assert (caught.value.failure, caught.value.detail) == (HubFailure.ERROR, detail)
    assert not list(tmp_path.rglob("README.md"))


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits.from_env() == Limits(deadline=30, max_bytes=10 * 1024 * 1024)
    monkeypatch.setenv("AUDITOR_HUB_DEADLINE", "2.5")
    monkeypatch.setenv("AUDITOR_HUB_MAX_BYTES", "4096")
    assert Hub().limits == Limits(deadline=2.5, max_bytes=4096)
    for bad in ("soon", "0", "-1", "inf", "nan"):
        monkeypatch.setenv("AUDITOR_HUB_DEADLINE", bad)
        with pytest.raises(InputError) as caught:
            Limits.from_env()
        assert str(caught.value) == f"AUDITOR_HUB_DEADLINE: must be a positive number, not {bad!r}"


def test_a_limit_hit_is_an_unresolved_reference_never_a_pass(
    tmp_path: Path, hub_server: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUDITOR_HUB_MAX_BYTES", "65536")
    mix = tmp_path / "mix.yaml"
    mix.write_text(
        "version: 1\nname: bomb\ndatasets:\n"
        "  - id: bomb\n    license: MIT\n    source: hf://example-org/bomb\n",
        encoding="utf-8",
    )
    report = auditor.audit(mix, cache_dir=tmp_path / "cache")
    (finding,) = [f for f in report.findings if f.rule is Rule.REFERENCE_UNRESOLVED]
    assert "larger than 65,536 bytes (AUDITOR_HUB_MAX_BYTES)" in finding.message
    assert finding.severity is Severity.ERROR
    assert report.verdict is Verdict.FAIL


# --- the cache: used only if it matches the record of its fetch -----------------------------

NC = "example-org/nc-instructions"


@pytest.fixture
def cached_card(tmp_path: Path, hub_server: FakeHub) -> Path:
    """The nc-instructions card, fetched once into a cache under tmp_path; its path."""
    return Hub(cache_dir=tmp_path / "cache").card(NC).path


def untrusted(hub: Hub) -> str:
    with pytest.raises(HubError) as caught:
        hub.card(NC)
    assert caught.value.failure is HubFailure.UNTRUSTED
    return caught.value.detail


def test_an_edited_cached_card_is_not_trusted(cached_card: Path, tmp_path: Path) -> None:
    cached_card.write_text("---\nlicense: mit\n---\n", encoding="utf-8")
    assert untrusted(Hub(cache_dir=tmp_path / "cache", offline=True)) == (
        "the cached card does not match the sha256 recorded when it was fetched; it is not "
        "trusted (fetch it again online)"
    )


@pytest.mark.parametrize(
    "meta",
    [
        None,
        "not json",
        # The record an older auditor wrote: no URL, time or hash to check against.
        '{"commit": null, "endpoint": "https://huggingface.co", "repo_id": "example-org/x"}',
    ],
)
def test_a_cached_card_without_a_valid_record_is_not_trusted(
    cached_card: Path, tmp_path: Path, meta: str | None
) -> None:
    record = cached_card.with_name("meta.json")
    if meta is None:
        record.unlink()
    else:
        record.write_text(meta, encoding="utf-8")
    detail = untrusted(Hub(cache_dir=tmp_path / "cache", offline=True))
    assert detail.startswith("the cached card has no valid record of its fetch (meta.json)")


def test_a_card_cached_from_another_endpoint_is_not_trusted(
    cached_card: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.example.org")
    detail = untrusted(Hub(cache_dir=tmp_path / "cache", offline=True))
    assert "not https://hub.example.org/datasets/example-org/nc-instructions/" in detail


def test_an_oversized_cached_card_is_not_read(cached_card: Path, tmp_path: Path) -> None:
    hub = Hub(cache_dir=tmp_path / "cache", offline=True, limits=Limits(max_bytes=10))
    assert "is larger than 10 bytes (AUDITOR_HUB_MAX_BYTES)" in untrusted(hub)


def test_an_unreachable_hub_answers_from_the_cache_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_hub() as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        path = Hub(cache_dir=tmp_path).card(NC).path
    # The server is gone: its port refuses connections.
    hub = Hub(cache_dir=tmp_path, timeout=2)
    card = hub.card(NC)
    assert card.outcome == "cache"
    assert card.provenance().startswith(f"from the cache: fetched from {server.url}/datasets/")
    # Unreachable, and the cached card edited: neither can be used, and the error says both.
    path.write_text("---\nlicense: mit\n---\n", encoding="utf-8")
    detail = untrusted(hub)
    assert detail.startswith("the Hub is unreachable (")
    assert ", and the cached card does not match the sha256" in detail


def test_a_cached_card_older_than_the_limit_is_stale(
    cached_card: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = cached_card.with_name("meta.json")
    record = json.loads(meta.read_text())
    old = datetime.now(UTC) - timedelta(days=40, hours=1)
    meta.write_text(json.dumps({**record, "fetched_at": old.isoformat()}), encoding="utf-8")
    card = Hub(cache_dir=tmp_path / "cache", offline=True).card(NC)
    assert card.stale
    assert card.provenance().endswith(
        "40 days ago; older than 30 days (AUDITOR_CACHE_MAX_AGE_DAYS): the card may have "
        "changed since"
    )
    monkeypatch.setenv("AUDITOR_CACHE_MAX_AGE_DAYS", "60")
    assert not Hub(cache_dir=tmp_path / "cache", offline=True).card(NC).stale
    monkeypatch.setenv("AUDITOR_CACHE_MAX_AGE_DAYS", "a month")
    with pytest.raises(InputError):
        Hub()
