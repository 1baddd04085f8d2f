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
from auditor.render.json import render_json
from auditor.report import Verdict
from auditor.rulebook import Rule
from tests.hubserver import CARDS, COMMIT, COMMIT_V1, TOKEN, FakeHub, fake_hub


def test_fetches_and_caches_a_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        hub = Hub(cache_dir=tmp_path)
        card = hub.card("example-org/nc-instructions")
        assert "cc-by-nc-4.0" in card.path.read_text()
        assert card.outcome == "hub"
        # Two requests: the dataset API (commit, gating), then the card at that commit; no
        # telemetry or other surprise traffic.
        assert [(m, p) for m, p, _ in hub_server.requests] == [
            (
                "GET",
                "/api/datasets/example-org/nc-instructions?expand=sha&expand=gated&expand=cardData",
            ),
            ("GET", f"/datasets/example-org/nc-instructions/resolve/{COMMIT}/README.md"),
        ]
    # The cache records what was fetched: the URL, the revision, when, and the card's hash.
    url = f"{hub_server.url}/datasets/example-org/nc-instructions/resolve/{COMMIT}/README.md"
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


def test_not_found_private_and_gated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        hub = Hub(cache_dir=tmp_path / "a")
        with pytest.raises(HubError) as missing:
            hub.card("example-org/nothing-here")
        assert missing.value.failure is HubFailure.NOT_FOUND
        with pytest.raises(HubError) as private:
            hub.card("example-org/private")
        assert private.value.failure is HubFailure.DENIED
        # A gated README is refused without access: the card is the metadata the API gives.
        gated = hub.card("example-org/gated")
        assert gated.gated == "manual"
        assert "license: cc-by-nc-4.0" in gated.path.read_text()
        assert gated.record.url.startswith(f"{hub_server.url}/api/datasets/example-org/gated?")
        assert gated.provenance().endswith(f"(revision {COMMIT}; gated: manual approval)")
        monkeypatch.setenv("HF_TOKEN", TOKEN)
        hub = Hub(cache_dir=tmp_path / "b")
        assert hub.card("example-org/private").record.revision == COMMIT
        with_access = hub.card("example-org/gated")
        assert "# " in with_access.path.read_text()  # the README itself, prose included
        assert with_access.gated == "manual"
        assert hub_server.requests[-1][2] == f"Bearer {TOKEN}"
    # Offline, the cache keeps the gating.
    assert Hub(cache_dir=tmp_path / "a", offline=True).card("example-org/gated").gated == "manual"


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


def _mix(tmp_path: Path, *sources: str) -> Path:
    lines = ["version: 1", "name: mix", "datasets:"]
    for i, source in enumerate(sources):
        lines += [f"  - id: d{i}", f"    source: {source}"]
    path = tmp_path / "mix.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_token_saved_by_hf_auth_login_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    # `hf auth login` writes the token to HF_HOME/token (constants.HF_TOKEN_PATH); no HF_TOKEN.
    token_file = Path(constants.HF_TOKEN_PATH)
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(TOKEN + "\n")
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        card = Hub(cache_dir=tmp_path).card("example-org/private")
        assert {auth for _, _, auth in hub_server.requests} == {f"Bearer {TOKEN}"}
    assert card.record.revision == COMMIT
    token_file.unlink()  # logged out: the same dataset is denied
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        with pytest.raises(HubError) as denied:
            Hub(cache_dir=tmp_path / "other").card("example-org/private")
    assert denied.value.failure is HubFailure.DENIED


def _hf_cache_snapshot(cache: Path, repo_id: str, commit: str, card: Path) -> Path:
    """A dataset's README as ``hf_hub_download`` leaves it in the shared cache."""
    repo = cache / f"datasets--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "README.md").write_bytes(card.read_bytes())
    return snapshot / "README.md"


def test_offline_reads_the_shared_hugging_face_cache(tmp_path: Path) -> None:
    from huggingface_hub import constants

    nc = CARDS / "example-org" / "nc-instructions" / "README.md"
    commit = "a" * 40
    _hf_cache_snapshot(Path(constants.HF_HUB_CACHE), "example-org/from-datasets", commit, nc)
    card = Hub(cache_dir=tmp_path, offline=True).card("example-org/from-datasets")
    assert card.hf_cache and card.outcome == "cache"
    assert card.record.revision == commit
    assert card.provenance().startswith("from the Hugging Face cache: ")
    # Through the CLI's engine: HF_HUB_OFFLINE, the verdict from the shared cache's card, and the
    # report records the commit read.
    report = auditor.audit(_mix(tmp_path, "hf://example-org/from-datasets"), offline=True)
    assert report.provenance is not None
    assert report.datasets[0].license.expression == "CC-BY-NC-4.0"
    assert [(c.outcome, c.revision) for c in report.provenance.cards] == [("cache", commit)]
    # A revision the shared cache does not hold is not answered from another one.
    with pytest.raises(HubError) as missing:
        Hub(cache_dir=tmp_path, offline=True).card("example-org/from-datasets", "v2")
    assert missing.value.failure is HubFailure.OFFLINE


def test_a_pinned_revision_is_read_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        mix = _mix(tmp_path, "hf://example-org/permissive-text@v1.0", "example-org/permissive-text")
        report = auditor.audit(mix, cache_dir=tmp_path / "cache")
        paths = [p for _, p, _ in hub_server.requests]
    assert "/api/datasets/example-org/permissive-text/revision/v1.0" in paths[0]
    # At v1.0 the card said CC BY-NC; main says Apache-2.0. Each is judged at its revision.
    assert report.provenance is not None
    licenses = [d.license.expression for d in report.datasets]
    assert licenses == ["CC-BY-NC-4.0", "Apache-2.0"]
    revisions = {c.reference: c.revision for c in report.provenance.cards}
    assert revisions == {
        "hf://example-org/permissive-text@v1.0": COMMIT_V1,
        "example-org/permissive-text": COMMIT,
    }
    data = json.loads(render_json(report))
    assert {c["revision"] for c in data["provenance"]["cards"]} == {COMMIT, COMMIT_V1}
    # Offline, the pinned copy answers for the pin only.
    offline = Hub(cache_dir=tmp_path / "cache", offline=True)
    assert offline.card("example-org/permissive-text", "v1.0").record.revision == COMMIT_V1
    assert offline.card("example-org/permissive-text").record.revision == COMMIT


def test_gate_terms_are_read_and_an_unread_gate_is_a_review(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_hub() as hub_server:
        monkeypatch.setenv("HF_ENDPOINT", hub_server.url)
        mix = _mix(tmp_path, "hf://example-org/gated-terms", "hf://example-org/gated")
        report = auditor.audit(mix, cache_dir=tmp_path / "cache")
    # The gate's prompt says non-commercial though the card's tag says CC BY 4.0.
    terms = {f.rule for f in report.findings_for("d0")}
    assert Rule.GATED_TERMS_CONFLICT in terms
    # A gate whose terms are nowhere in the card is for a person to read, never silence.
    unread = [f for f in report.findings_for("d1") if f.rule is Rule.TERMS_UNRESOLVED]
    assert len(unread) == 1
    assert unread[0].severity.rank >= Severity.WARNING.rank
    assert unread[0].evidence is not None
    assert "manual approval" in (unread[0].evidence.quote or "")


def test_the_cli_uses_the_hugging_face_home_as_the_hub_client_does(tmp_path: Path) -> None:
    """HF_HOME as a user sets it, read by huggingface_hub itself: the saved token online, the
    shared cache offline."""
    import os
    import subprocess
    import sys

    home = tmp_path / "hf-home"
    home.mkdir()
    (home / "token").write_text(TOKEN + "\n")  # where `hf auth login` saves it
    nc = CARDS / "example-org" / "nc-instructions" / "README.md"
    _hf_cache_snapshot(home / "hub", "example-org/downloaded", "b" * 40, nc)
    mix = _mix(tmp_path, "hf://example-org/private", "hf://example-org/downloaded")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "AUDITOR_"))}
    env |= {"HF_HOME": str(home), "AUDITOR_CACHE_DIR": str(tmp_path / "cache")}

    def check(*args: str) -> dict[str, str]:
        done = subprocess.run(
            [sys.executable, "-m", "auditor", "check", str(mix), "-f", "json", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        report = json.loads(done.stdout)
        return {d["id"]: d["lookup"]["outcome"] for d in report["datasets"]}

    with fake_hub() as hub_server:
        env["HF_ENDPOINT"] = hub_server.url
        online = check()
        sent = {auth for _, path, auth in hub_server.requests if "private" in path}
    assert sent == {f"Bearer {TOKEN}"}
    assert online["d0"] == "hub"
    env["HF_HUB_OFFLINE"] = "1"
    offline = check()
    assert offline == {"d0": "cache", "d1": "cache"}


@pytest.mark.parametrize("repo_id", ["hf---", "org/name-", "org/na--me", "a" * 97, "org/.name."])
def test_ids_the_hub_refuses_are_not_ids_online_or_offline(tmp_path: Path, repo_id: str) -> None:
    # Found by the fuzz harness: a name auditor's pattern allowed but huggingface_hub's cache
    # functions refused ended the audit with an unexpected error.
    for offline in (True, False):
        hub = Hub(cache_dir=tmp_path / "c", offline=offline)
        with pytest.raises(HubError) as caught:
            hub.card(repo_id)
        assert caught.value.failure is HubFailure.NOT_FOUND
