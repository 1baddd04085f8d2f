"""The Hub client against a fake Hub on 127.0.0.1: real huggingface_hub session, no internet."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import auditor
from auditor.errors import InputError
from auditor.hub import Hub, HubError, HubFailure, Limits
from auditor.policy import Severity
from auditor.report import Verdict
from auditor.rulebook import Rule
from tests.hubserver import CARDS, TOKEN, FakeHub, fake_hub


def test_fetches_and_caches_a_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        hub = Hub(cache_dir=tmp_path)
        path = hub.card("example-org/nc-instructions")
        assert "cc-by-nc-4.0" in path.read_text()
        # Exactly one request, for the card: no telemetry or other surprise traffic.
        assert [(m, p) for m, p, _ in hub_server.requests] == [
            ("GET", "/datasets/example-org/nc-instructions/resolve/main/README.md")
        ]
    # Offline, the cache answers; nothing is requested.
    offline = Hub(cache_dir=tmp_path, offline=True)
    assert offline.card("example-org/nc-instructions") == path
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
        assert "cc-by-nc-4.0" in hub.card("example-org/gated").read_text()
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
    assert hub.card("example-org/gzipped").read_text() == expected
    assert hub.card("example-org/moved").read_text() == expected
    with pytest.raises(HubError) as caught:
        hub.card("example-org/loop")
    assert caught.value.detail == "more than 5 redirects"


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
