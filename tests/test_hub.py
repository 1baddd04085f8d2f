"""The Hub client against a fake Hub on 127.0.0.1: real huggingface_hub session, no internet."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from auditor.hub import Hub, HubError, HubFailure
from tests.hubserver import TOKEN, fake_hub


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


def test_rejects_malformed_ids(tmp_path: Path) -> None:
    with pytest.raises(HubError):
        Hub(cache_dir=tmp_path, offline=True).card("../../etc/passwd")
