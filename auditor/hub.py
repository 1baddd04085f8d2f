"""The Hugging Face Hub: fetch a dataset's card, with an on-disk cache and an offline mode.

Uses ``huggingface_hub`` for the URL layout and its HTTP client library (``httpx2``), honouring
``HF_ENDPOINT`` and ``HF_TOKEN``, and makes one request per card with no retries: an
unreachable Hub is reported once per run and every later look-up is answered from the cache,
instead of each waiting through the library's back-off. Nothing here decides anything about
licenses; a failure is a :class:`HubError` that the caller turns into a finding.

A card comes from a public server, so every request is bounded (see :class:`Limits`): an overall
deadline that ends the request wherever it waits (connecting, in the headers, in the body), and a
byte cap on the body both as sent and once decompressed, counted while it streams in, so a server
that drips bytes, sends gigabytes or a gzip bomb costs at most the deadline and the cap.

The cache is not trusted blindly either: each card is stored with a record of its fetch (URL,
revision, time, sha256; see :class:`CacheRecord`) that is checked whenever the cached card is
used, and a card that does not match it is an error, never an answer. A card from the cache says
so (:attr:`Card.outcome` is ``cache``) with its age; one older than ``AUDITOR_CACHE_MAX_AGE_DAYS``
(30 by default) is marked stale.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import socket
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from auditor.errors import InputError
from auditor.output import write_atomically

if TYPE_CHECKING:
    import httpx2

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$", re.ASCII)

DEADLINE_VARIABLE = "AUDITOR_HUB_DEADLINE"
MAX_BYTES_VARIABLE = "AUDITOR_HUB_MAX_BYTES"
DEFAULT_DEADLINE = 30.0  # seconds for one card, redirects included
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # the largest Hub cards are a few hundred KB
MAX_AGE_VARIABLE = "AUDITOR_CACHE_MAX_AGE_DAYS"
DEFAULT_MAX_AGE_DAYS = 30.0  # a cached card older than this is reported as stale
MAX_REDIRECTS = 5
# Content-Encoding -> zlib's wbits: gzip, or deflate (zlib-wrapped, as RFC 9110 defines it).
_ENCODINGS: dict[str, int | None] = {
    "": None,
    "identity": None,
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}


class HubFailure(StrEnum):
    NETWORK = "network"  # the Hub could not be reached
    TIMEOUT = "timeout"  # no complete answer within the deadline
    TOO_LARGE = "too-large"  # the answer is over the byte cap, as sent or decompressed
    NOT_FOUND = "not-found"  # no such dataset, or no card in it
    DENIED = "denied"  # gated or private: a token with access is needed
    OFFLINE = "offline"  # offline mode and the card is not in the cache
    UNTRUSTED = "untrusted"  # the cached card does not match the record of its fetch
    ERROR = "error"  # any other HTTP error, or an answer that cannot be decoded


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


@dataclass(frozen=True)
class Limits:
    """What one card request may cost: ``deadline`` seconds in all, ``max_bytes`` of body."""

    deadline: float = DEFAULT_DEADLINE
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_env(cls) -> Limits:
        """The limits set by ``AUDITOR_HUB_DEADLINE`` and ``AUDITOR_HUB_MAX_BYTES``, else the
        defaults; a value that is not a positive number is an input error."""
        return cls(
            deadline=_positive(DEADLINE_VARIABLE, DEFAULT_DEADLINE),
            max_bytes=math.ceil(_positive(MAX_BYTES_VARIABLE, DEFAULT_MAX_BYTES)),
        )


def _positive(name: str, default: float) -> float:
    """The number in environment variable ``name``, ``default`` when it is unset or empty."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (value > 0 and math.isfinite(value)):
        raise InputError(name, f"must be a positive number, not {text!r}")
    return value


class CacheRecord(BaseModel):
    """What was fetched, kept beside each cached card (``meta.json``) and checked on every read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    repo_id: str
    url: str
    revision: str | None  # the Hub's X-Repo-Commit, when it sent one
    fetched_at: AwareDatetime
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Card:
    """A dataset card on disk and where it came from: fetched in this run, or from the cache."""

    path: Path
    record: CacheRecord
    cached: bool
    age: timedelta = timedelta(0)
    max_age: timedelta = timedelta(days=DEFAULT_MAX_AGE_DAYS)

    @property
    def outcome(self) -> str:
        return "cache" if self.cached else "hub"

    @property
    def stale(self) -> bool:
        return self.cached and self.age > self.max_age

    def provenance(self) -> str:
        """Where the card came from, for the look-up's detail; a stale copy says so."""
        r = self.record
        revision = f"revision {r.revision}" if r.revision else "no revision given"
        if not self.cached:
            return f"fetched from {r.url} ({revision})"
        when = r.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = f"from the cache: fetched from {r.url} at {when} ({revision}), {_age(self.age)} ago"
        if self.stale:
            days = f"{self.max_age / timedelta(days=1):g} days"
            text += f"; older than {days} ({MAX_AGE_VARIABLE}): the card may have changed since"
        return text


def _age(age: timedelta) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(age.total_seconds() // size)
        if count:
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return "less than a minute"


def _max_age() -> timedelta:
    return timedelta(days=_positive(MAX_AGE_VARIABLE, DEFAULT_MAX_AGE_DAYS))


@dataclass
class Hub:
    """Fetches dataset cards; ``offline`` answers from the cache only.

    ``timeout`` bounds each wait on the network (connect, one read); ``limits`` bound the whole
    request (by default from the environment, see :meth:`Limits.from_env`). A cached card is used
    only if its record matches it (URL, sha256); one older than ``max_age`` is marked stale.
    """

    cache_dir: Path = field(default_factory=default_cache_dir)
    offline: bool = False
    timeout: float = 10.0
    limits: Limits = field(default_factory=Limits.from_env)
    max_age: timedelta = field(default_factory=_max_age)
    _unreachable: str | None = None

    def card(self, repo_id: str) -> Card:
        """``repo_id``'s README.md, freshly fetched or (offline, or the Hub out of reach) cached.

        A cached card that does not match its record is never used: a :class:`HubError`
        (``untrusted``), like any other failure.
        """
        if not REPO_ID.match(repo_id) or ".." in repo_id:
            raise HubError(repo_id, HubFailure.NOT_FOUND, "not a valid Hugging Face dataset id")
        folder = self.cache_dir / "hub" / "datasets" / repo_id
        if self.offline:
            card = self._cached(repo_id, folder)
            if card is None:
                raise HubError(repo_id, HubFailure.OFFLINE, "offline, and the card is not cached")
            return card
        if self._unreachable is not None:
            unreachable = HubError(repo_id, HubFailure.NETWORK, self._unreachable)
            return self._fallback(repo_id, folder, unreachable)
        try:
            text, revision = self._fetch(repo_id)
        except HubError as err:
            if err.failure not in (HubFailure.NETWORK, HubFailure.TIMEOUT):
                raise
            self._unreachable = f"the Hub is unreachable ({err.detail})"
            return self._fallback(repo_id, folder, err)
        return self._store(repo_id, folder, text, revision)

    def _fallback(self, repo_id: str, folder: Path, failure: HubError) -> Card:
        """The cached card when the Hub is out of reach; else ``failure``."""
        try:
            card = self._cached(repo_id, folder)
        except HubError as untrusted:
            detail = f"{failure.detail}, and {untrusted.detail}"
            raise HubError(repo_id, untrusted.failure, detail) from None
        if card is None:
            raise failure
        return card

    def _store(self, repo_id: str, folder: Path, text: str, revision: str | None) -> Card:
        data = text.encode("utf-8")
        record = CacheRecord(
            repo_id=repo_id,
            url=_card_url(repo_id),
            revision=revision,
            fetched_at=datetime.now(UTC).replace(microsecond=0),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "README.md"
        write_atomically(path, text)
        write_atomically(folder / "meta.json", record.model_dump_json(indent=2) + "\n")
        return Card(path=path, record=record, cached=False, max_age=self.max_age)

    def _cached(self, repo_id: str, folder: Path) -> Card | None:
        """The cached card, None when there is none; raises when it does not match its record."""
        path = folder / "README.md"
        if not path.is_file():
            return None

        def untrusted(why: str) -> HubError:
            detail = f"the cached card {why}; it is not trusted (fetch it again online)"
            return HubError(repo_id, HubFailure.UNTRUSTED, detail)

        try:
            record = CacheRecord.model_validate_json((folder / "meta.json").read_bytes())
        except (OSError, ValidationError):
            raise untrusted("has no valid record of its fetch (meta.json)") from None
        url = _card_url(repo_id)
        if record.repo_id != repo_id or record.url != url:
            raise untrusted(f"was fetched from {record.url}, not {url}")
        cap = self.limits.max_bytes
        if path.stat().st_size > cap:
            raise untrusted(f"is larger than {cap:,} bytes ({MAX_BYTES_VARIABLE})")
        if hashlib.sha256(path.read_bytes()).hexdigest() != record.sha256:
            raise untrusted("does not match the sha256 recorded when it was fetched")
        age = max(datetime.now(UTC) - record.fetched_at, timedelta(0))
        return Card(path=path, record=record, cached=True, age=age, max_age=self.max_age)

    def _fetch(self, repo_id: str) -> tuple[str, str | None]:
        import httpx2  # installed with huggingface_hub, whose HTTP client it is

        from auditor.version import __version__

        url = _card_url(repo_id)
        # Our own headers: huggingface_hub's build_hf_headers may itself call the Hub (to detect
        # agent harnesses for its telemetry), and a gate makes no request it was not asked for.
        headers = {"User-Agent": f"auditor/{__version__}", "Accept-Encoding": "gzip"}
        token = os.environ.get("HF_TOKEN")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # A client of our own, with no kept-alive connections: every request opens its own
        # socket, which the deadline watches from the moment it connects. Redirects are followed
        # here, not by the client, which would read a redirect's body whole.
        client = httpx2.Client(
            timeout=httpx2.Timeout(min(self.timeout, self.limits.deadline)),
            limits=httpx2.Limits(max_keepalive_connections=0),
        )
        with _Deadline(self.limits.deadline) as deadline, client:
            request = client.build_request(
                "GET", url, headers=headers, extensions={"trace": deadline.trace}
            )
            try:
                for _ in range(MAX_REDIRECTS + 1):
                    response = client.send(request, stream=True)
                    try:
                        if response.next_request is None:
                            return self._answer(repo_id, response, deadline)
                        request = response.next_request
                    finally:
                        response.close()
            except (httpx2.HTTPError, OSError) as exc:
                if deadline.expired:
                    raise self._timeout(repo_id) from exc
                detail = f"{type(exc).__name__}: {exc}"
                raise HubError(repo_id, HubFailure.NETWORK, detail) from exc
        raise HubError(repo_id, HubFailure.ERROR, f"more than {MAX_REDIRECTS} redirects")

    def _answer(
        self, repo_id: str, response: httpx2.Response, deadline: _Deadline
    ) -> tuple[str, str | None]:
        status = response.status_code
        if status == 200:
            body = self._body(repo_id, response, deadline)
            return body.decode("utf-8", "replace"), response.headers.get("X-Repo-Commit")
        if status in (401, 403):
            raise HubError(repo_id, HubFailure.DENIED, f"HTTP {status}: gated or private")
        if status == 404:
            raise HubError(repo_id, HubFailure.NOT_FOUND, "HTTP 404: no such dataset or card")
        raise HubError(repo_id, HubFailure.ERROR, f"HTTP {status}")

    def _body(self, repo_id: str, response: httpx2.Response, deadline: _Deadline) -> bytes:
        """The body, decompressed, counted as it streams in against the cap and the deadline."""
        cap = self.limits.max_bytes
        too_large = HubError(
            repo_id,
            HubFailure.TOO_LARGE,
            f"the card is larger than {cap:,} bytes ({MAX_BYTES_VARIABLE})",
        )
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > cap:
            raise too_large
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        if encoding not in _ENCODINGS:
            raise HubError(repo_id, HubFailure.ERROR, f"unsupported Content-Encoding {encoding!r}")
        received, parts = 0, []
        try:
            for part in _decoded(response.iter_raw(), _ENCODINGS[encoding], cap):
                received += len(part)
                if received > cap or response.num_bytes_downloaded > cap:
                    raise too_large
                parts.append(part)
        except zlib.error as exc:
            raise HubError(repo_id, HubFailure.ERROR, f"the card's {encoding} is corrupt") from exc
        if deadline.expired:  # a body that ends with the connection ends early at the deadline
            raise self._timeout(repo_id)
        return b"".join(parts)

    def _timeout(self, repo_id: str) -> HubError:
        seconds = f"{self.limits.deadline:g}"
        detail = f"no complete answer within {seconds} s ({DEADLINE_VARIABLE})"
        return HubError(repo_id, HubFailure.TIMEOUT, detail)


def _decoded(chunks: Iterator[bytes], wbits: int | None, cap: int) -> Iterator[bytes]:
    """``chunks`` decompressed (``wbits`` as :mod:`zlib` takes it; None: as they are).

    No step yields more than ``cap + 1`` bytes, however much a chunk would inflate to, so a
    decompression bomb is caught by the caller's count before it fills memory. Concatenated gzip
    members are decoded one after another, as a gzip reader does.
    """
    if wbits is None:
        yield from chunks
        return
    inflate = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            yield inflate.decompress(data, cap + 1)
            data = inflate.unconsumed_tail
            if inflate.eof and inflate.unused_data:
                data, inflate = inflate.unused_data + data, zlib.decompressobj(wbits)
    if not inflate.eof:
        raise zlib.error("the compressed stream ends early")


class _Deadline:
    """Ends a request at its deadline, wherever it waits: a timer shuts down every socket the
    request opened (seen through httpcore's ``trace`` extension), so a blocked read returns."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if not event.endswith("connect_tcp.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
                if self.expired:
                    _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    # socket.socket's own shutdown, not an SSLSocket's (which would tear down its TLS state
    # under the reading thread): the blocked read sees the end of the stream and returns.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _card_url(repo_id: str) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(repo_id, "README.md", repo_type="dataset", endpoint=_endpoint())


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
