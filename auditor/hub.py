"""The Hugging Face Hub: fetch a dataset's card, with an on-disk cache and an offline mode.

Uses ``huggingface_hub`` for the URL layout and its HTTP session, honouring ``HF_ENDPOINT`` and
``HF_TOKEN``, but makes one request per card with a short timeout and no retries: an
unreachable Hub is reported once per run and every later look-up is answered from the cache,
instead of each waiting through the library's back-off. Nothing here decides anything about
licenses; a failure is a :class:`HubError` that the caller turns into a finding.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from auditor.output import write_atomically

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


class HubFailure(StrEnum):
    NETWORK = "network"  # the Hub could not be reached
    NOT_FOUND = "not-found"  # no such dataset, or no card in it
    DENIED = "denied"  # gated or private: a token with access is needed
    OFFLINE = "offline"  # offline mode and the card is not in the cache
    ERROR = "error"  # any other HTTP error


class HubError(Exception):
    def __init__(self, repo_id: str, failure: HubFailure, detail: str) -> None:
        self.repo_id, self.failure, self.detail = repo_id, failure, detail
        super().__init__(f"{repo_id}: {detail}")


def default_cache_dir() -> Path:
    explicit = os.environ.get("AUDITOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "auditor"


@dataclass
class Hub:
    """Fetches dataset cards; ``offline`` answers from the cache only."""

    cache_dir: Path = field(default_factory=default_cache_dir)
    offline: bool = False
    timeout: float = 10.0
    _unreachable: str | None = None

    def card(self, repo_id: str) -> Path:
        """The local path of ``repo_id``'s README.md (from the cache or freshly fetched)."""
        if not REPO_ID.match(repo_id):
            raise HubError(repo_id, HubFailure.NOT_FOUND, "not a valid Hugging Face dataset id")
        cached = self.cache_dir / "hub" / "datasets" / repo_id / "README.md"
        if self.offline:
            if cached.is_file():
                return cached
            raise HubError(repo_id, HubFailure.OFFLINE, "offline, and the card is not cached")
        if self._unreachable is not None:
            if cached.is_file():
                return cached
            raise HubError(repo_id, HubFailure.NETWORK, self._unreachable)
        try:
            text, commit = self._fetch(repo_id)
        except HubError as err:
            if err.failure is HubFailure.NETWORK:
                self._unreachable = f"the Hub is unreachable ({err.detail})"
                if cached.is_file():
                    return cached
            raise
        cached.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(cached, text)
        meta = {"repo_id": repo_id, "commit": commit, "endpoint": _endpoint()}
        write_atomically(cached.with_name("meta.json"), json.dumps(meta, sort_keys=True))
        return cached

    def _fetch(self, repo_id: str) -> tuple[str, str | None]:
        import httpx2  # installed with huggingface_hub, whose HTTP client it is
        from huggingface_hub import get_session, hf_hub_url

        from auditor.version import __version__

        url = hf_hub_url(repo_id, "README.md", repo_type="dataset", endpoint=_endpoint())
        # Our own headers: huggingface_hub's build_hf_headers may itself call the Hub (to detect
        # agent harnesses for its telemetry), and a gate makes no request it was not asked for.
        headers = {"User-Agent": f"auditor/{__version__}"}
        token = os.environ.get("HF_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            response = get_session().get(
                url, headers=headers, timeout=self.timeout, follow_redirects=True
            )
        except httpx2.HTTPError as exc:
            raise HubError(repo_id, HubFailure.NETWORK, f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status == 200:
            return response.text, response.headers.get("X-Repo-Commit")
        if status in (401, 403):
            raise HubError(repo_id, HubFailure.DENIED, f"HTTP {status}: gated or private")
        if status == 404:
            raise HubError(repo_id, HubFailure.NOT_FOUND, "HTTP 404: no such dataset or card")
        raise HubError(repo_id, HubFailure.ERROR, f"HTTP {status}")


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
