"""The Hugging Face Hub: a dataset's card and its gating, with an on-disk cache and offline mode.

``huggingface_hub`` supplies what a user of the Hub expects to carry over: the endpoint
(``HF_ENDPOINT``), the token (``HF_TOKEN``, else the one ``hf auth login`` saved, through
:func:`huggingface_hub.get_token`), the shared cache that ``datasets`` and ``hf_hub_download``
fill (``HF_HOME``, ``HF_HUB_CACHE``; read offline through
:func:`huggingface_hub.try_to_load_from_cache`), the URL layout, and the
:class:`huggingface_hub.hf_api.DatasetInfo` model of the dataset API.

The bytes themselves are fetched here, with the library's HTTP client (``httpx2``), rather than by
``HfApi.dataset_info`` and ``hf_hub_download``: those have a per-read timeout but no overall
deadline and no cap on the bytes received, and they retry with back-off. A card comes from a
public server, so every look-up is bounded (see :class:`Limits`): one deadline for the whole
look-up that ends it wherever it waits (connecting, in the headers, in a body), and a byte cap on
each answer both as sent and once decompressed, counted while it streams in, so a server that
drips bytes, sends gigabytes or a gzip bomb costs at most the deadline and the cap. Each look-up
makes two requests and no retries: the dataset API (``/api/datasets/<id>``, as
``HfApi.dataset_info`` asks it, for the commit, the ``gated`` flag and the card's metadata) and the
README at that commit. An unreachable Hub is reported once per run and later look-ups are answered
from the caches.

A revision may be pinned (``hf://owner/name@revision``); the commit read is recorded either way.
A gated dataset whose README is refused is read from the card metadata the API gives (its
``extra_gated_*`` fields are the gate's terms); the ``gated`` flag is kept in the cache.

The cache is not trusted blindly either: each card is stored with a record of its fetch (URL,
revision, time, sha256; see :class:`CacheRecord`) that is checked whenever the cached card is
used, and a card that does not match it is an error, never an answer. A card from a cache says
so (:attr:`Card.outcome` is ``cache``) with its age; one older than ``AUDITOR_CACHE_MAX_AGE_DAYS``
(30 by default) is marked stale. Nothing here decides anything about licenses; a failure is a
:class:`HubError` that the caller turns into a finding.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import socket
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from auditor.errors import InputError
from auditor.output import write_atomically

if TYPE_CHECKING:
    import httpx2
    from huggingface_hub.hf_api import DatasetInfo

REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$", re.ASCII)
# A branch, tag or commit: git ref names, without "..", "@{" or a leading dash.
REVISION = re.compile(r"^[A-Za-z0-9][\w./-]{0,199}$", re.ASCII)
# Gating as the dataset API states it ("auto", "manual", or false), or None when not known (a
# card from the shared Hugging Face cache, or a record written before gating was read).
Gated = Literal["auto", "manual", "no"]


def _valid_repo_id(repo_id: str) -> bool:
    """A name the Hub could hold: auditor's own pattern, and huggingface_hub's rules (no name
    ending in '-' or '.', no '--', at most 96 characters): its cache functions never refuse it."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils._validators import validate_repo_id

    if not REPO_ID.match(repo_id) or ".." in repo_id:
        return False
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        return False
    return True


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
    url: str  # the README's URL at the commit read; the API's when the card is its metadata
    revision: str | None  # the commit read, as the Hub named it (API sha, X-Repo-Commit)
    fetched_at: AwareDatetime
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    requested: str = "main"  # the revision asked for: a branch, tag or commit
    gated: Gated | None = None


@dataclass(frozen=True)
class Card:
    """A dataset card on disk and where it came from: fetched in this run, or from the cache."""

    path: Path
    record: CacheRecord
    cached: bool
    age: timedelta = timedelta(0)
    max_age: timedelta = timedelta(days=DEFAULT_MAX_AGE_DAYS)
    hf_cache: bool = False  # read from the shared Hugging Face cache, not auditor's

    @property
    def gated(self) -> Gated | None:
        return self.record.gated

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
        if r.gated not in (None, "no"):
            revision += f"; gated: {r.gated} approval"
        if not self.cached:
            return f"fetched from {r.url} ({revision})"
        when = r.fetched_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if self.hf_cache:
            text = (
                f"from the Hugging Face cache: {r.url} ({revision}), "
                f"stored {when}, {_age(self.age)} ago"
            )
        else:
            text = (
                f"from the cache: fetched from {r.url} at {when} ({revision}), {_age(self.age)} ago"
            )
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


def _hf_cache() -> Path:
    """The shared Hugging Face cache (``HF_HUB_CACHE``, else ``HF_HOME``/hub), as the library
    resolved it."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


@dataclass
class Hub:
    """Fetches dataset cards; ``offline`` answers from the caches only.

    ``timeout`` bounds each wait on the network (connect, one read); ``limits`` bound the whole
    look-up (by default from the environment, see :meth:`Limits.from_env`). A cached card is used
    only if its record matches it (URL, sha256); one older than ``max_age`` is marked stale.
    ``hf_cache`` is the shared Hugging Face cache, read when auditor's own cache has no copy.
    """

    cache_dir: Path = field(default_factory=default_cache_dir)
    offline: bool = False
    timeout: float = 10.0
    limits: Limits = field(default_factory=Limits.from_env)
    max_age: timedelta = field(default_factory=_max_age)
    hf_cache: Path = field(default_factory=_hf_cache)
    _unreachable: str | None = None

    def card(self, repo_id: str, revision: str | None = None) -> Card:
        """``repo_id``'s card at ``revision`` (default: main), freshly fetched or (offline, or
        the Hub out of reach) cached.

        A cached card that does not match its record is never used: a :class:`HubError`
        (``untrusted``), like any other failure.
        """
        if not _valid_repo_id(repo_id):
            raise HubError(repo_id, HubFailure.NOT_FOUND, "not a valid Hugging Face dataset id")
        if revision is not None and (not REVISION.match(revision) or ".." in revision):
            raise HubError(repo_id, HubFailure.NOT_FOUND, f"not a valid revision: {revision!r}")
        requested = revision or "main"
        folder = self.cache_dir / "hub" / "datasets" / repo_id
        if revision is not None:  # "@" never begins a Hub name: no clash with a dataset's folder
            folder = folder / f"@{quote(revision, safe='')}"
        if self.offline:
            card = self._cached(repo_id, requested, folder)
            if card is None:
                raise HubError(repo_id, HubFailure.OFFLINE, "offline, and the card is not cached")
            return card
        if self._unreachable is not None:
            unreachable = HubError(repo_id, HubFailure.NETWORK, self._unreachable)
            return self._fallback(repo_id, requested, folder, unreachable)
        try:
            fetched = self._fetch(repo_id, requested)
        except HubError as err:
            if err.failure not in (HubFailure.NETWORK, HubFailure.TIMEOUT):
                raise
            self._unreachable = f"the Hub is unreachable ({err.detail})"
            return self._fallback(repo_id, requested, folder, err)
        return self._store(repo_id, folder, fetched)

    def _fallback(self, repo_id: str, requested: str, folder: Path, failure: HubError) -> Card:
        """The cached card when the Hub is out of reach; else ``failure``."""
        try:
            card = self._cached(repo_id, requested, folder)
        except HubError as untrusted:
            detail = f"{failure.detail}, and {untrusted.detail}"
            raise HubError(repo_id, untrusted.failure, detail) from None
        if card is None:
            raise failure
        return card

    def _store(self, repo_id: str, folder: Path, fetched: _Fetched) -> Card:
        data = fetched.text.encode("utf-8")
        record = CacheRecord(
            repo_id=repo_id,
            url=fetched.url,
            revision=fetched.revision,
            fetched_at=datetime.now(UTC).replace(microsecond=0),
            sha256=hashlib.sha256(data).hexdigest(),
            requested=fetched.requested,
            gated=fetched.gated,
        )
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "README.md"
        write_atomically(path, fetched.text)
        write_atomically(folder / "meta.json", record.model_dump_json(indent=2) + "\n")
        return Card(path=path, record=record, cached=False, max_age=self.max_age)

    def _cached(self, repo_id: str, requested: str, folder: Path) -> Card | None:
        """The cached card (auditor's cache, else the shared Hugging Face cache), None when there
        is none; raises when auditor's copy does not match its record."""
        path = folder / "README.md"
        if not path.is_file():
            return self._hf_cached(repo_id, requested)

        def untrusted(why: str) -> HubError:
            detail = f"the cached card {why}; it is not trusted (fetch it again online)"
            return HubError(repo_id, HubFailure.UNTRUSTED, detail)

        try:
            record = CacheRecord.model_validate_json((folder / "meta.json").read_bytes())
        except (OSError, ValidationError):
            raise untrusted("has no valid record of its fetch (meta.json)") from None
        urls = {
            _card_url(repo_id, requested),  # as fetched before the commit was asked for first
            _card_url(repo_id, record.revision or requested),
            _api_url(repo_id, requested),
        }
        if record.repo_id != repo_id or record.requested != requested or record.url not in urls:
            raise untrusted(f"was fetched from {record.url}, not {_card_url(repo_id, requested)}")
        self._check_size(path, untrusted)
        if hashlib.sha256(path.read_bytes()).hexdigest() != record.sha256:
            raise untrusted("does not match the sha256 recorded when it was fetched")
        age = max(datetime.now(UTC) - record.fetched_at, timedelta(0))
        return Card(path=path, record=record, cached=True, age=age, max_age=self.max_age)

    def _hf_cached(self, repo_id: str, requested: str) -> Card | None:
        """The README that ``datasets`` or ``hf_hub_download`` left in the shared Hugging Face
        cache for this revision, None when there is none. The snapshot's folder names the commit;
        the gating is not known there."""
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(
            repo_id, "README.md", cache_dir=self.hf_cache, revision=requested, repo_type="dataset"
        )
        if not isinstance(found, str):
            return None
        path = Path(found)

        def unusable(why: str) -> HubError:
            return HubError(repo_id, HubFailure.UNTRUSTED, f"the Hugging Face cache's card {why}")

        self._check_size(path, unusable)
        data = path.read_bytes()
        commit = path.parent.name
        stored = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
        record = CacheRecord(
            repo_id=repo_id,
            url=_card_url(repo_id, commit),
            revision=commit,
            fetched_at=stored,
            sha256=hashlib.sha256(data).hexdigest(),
            requested=requested,
        )
        age = max(datetime.now(UTC) - stored, timedelta(0))
        return Card(
            path=path, record=record, cached=True, age=age, max_age=self.max_age, hf_cache=True
        )

    def _check_size(self, path: Path, error: Callable[[str], HubError]) -> None:
        cap = self.limits.max_bytes
        if path.stat().st_size > cap:
            raise error(f"is larger than {cap:,} bytes ({MAX_BYTES_VARIABLE})")

    def _fetch(self, repo_id: str, requested: str) -> _Fetched:
        """The dataset's metadata from the API, then its README at the commit the API named,
        both within one deadline. A gated README that is refused is read from the metadata."""
        import httpx2  # installed with huggingface_hub, whose HTTP client it is

        from auditor.version import __version__

        # Our own headers: huggingface_hub's build_hf_headers may itself call the Hub (to detect
        # agent harnesses for its telemetry), and a gate makes no request it was not asked for.
        headers = {"User-Agent": f"auditor/{__version__}", "Accept-Encoding": "gzip"}
        token = _token(repo_id)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # A client of our own, with no kept-alive connections: every request opens its own
        # socket, which the deadline watches from the moment it connects. Redirects are followed
        # here, not by the client, which would read a redirect's body whole.
        client = httpx2.Client(
            timeout=httpx2.Timeout(min(self.timeout, self.limits.deadline)),
            limits=httpx2.Limits(max_keepalive_connections=0),
            headers=headers,
        )
        with _Deadline(self.limits.deadline) as deadline, client:
            try:
                info = self._info(repo_id, requested, client, deadline)
                commit = info.sha or requested
                url = _card_url(repo_id, commit)
                try:
                    text, sent = self._get(repo_id, url, "card", client, deadline)
                except HubError as err:
                    if err.failure is not HubFailure.DENIED or not info.gated:
                        raise
                    return self._from_metadata(repo_id, requested, info)
            except (httpx2.HTTPError, OSError) as exc:
                if deadline.expired:
                    raise self._timeout(repo_id) from exc
                detail = f"{type(exc).__name__}: {exc}"
                raise HubError(repo_id, HubFailure.NETWORK, detail) from exc
        return _Fetched(
            text.decode("utf-8", "replace"),
            url,
            info.sha or sent,
            requested,
            _gated(info.gated),
        )

    def _info(
        self, repo_id: str, requested: str, client: httpx2.Client, deadline: _Deadline
    ) -> DatasetInfo:
        from huggingface_hub.hf_api import DatasetInfo

        body, _ = self._get(repo_id, _api_url(repo_id, requested), "metadata", client, deadline)
        try:
            data = json.loads(body)
            return DatasetInfo(**data)  # type: ignore[no-untyped-call]
        except (ValueError, TypeError, KeyError) as exc:
            detail = f"the dataset API's answer cannot be read ({type(exc).__name__})"
            raise HubError(repo_id, HubFailure.ERROR, detail) from exc

    def _from_metadata(self, repo_id: str, requested: str, info: DatasetInfo) -> _Fetched:
        """A gated dataset's card as the API gives its metadata, when the README is refused."""
        meta = info.card_data.to_dict() if info.card_data is not None else {}  # type: ignore[no-untyped-call]
        text = "---\n" + yaml.safe_dump(meta, sort_keys=True, allow_unicode=True) + "---\n"
        return _Fetched(text, _api_url(repo_id, requested), info.sha, requested, _gated(info.gated))

    def _get(
        self,
        repo_id: str,
        url: str,
        what: str,
        client: httpx2.Client,
        deadline: _Deadline,
    ) -> tuple[bytes, str | None]:
        """The body at ``url`` (redirects followed) and the commit the Hub named for it."""
        request = client.build_request("GET", url, extensions={"trace": deadline.trace})
        for _ in range(MAX_REDIRECTS + 1):
            response = client.send(request, stream=True)
            try:
                if response.next_request is None:
                    return self._answer(repo_id, response, what, deadline)
                request = response.next_request
            finally:
                response.close()
        raise HubError(repo_id, HubFailure.ERROR, f"more than {MAX_REDIRECTS} redirects")

    def _answer(
        self, repo_id: str, response: httpx2.Response, what: str, deadline: _Deadline
    ) -> tuple[bytes, str | None]:
        status = response.status_code
        if status == 200:
            return self._body(repo_id, response, what, deadline), response.headers.get(
                "X-Repo-Commit"
            )
        if status in (401, 403):
            raise HubError(repo_id, HubFailure.DENIED, f"HTTP {status}: gated or private")
        if status == 404:
            thing = "dataset or revision" if what == "metadata" else "dataset or card"
            raise HubError(repo_id, HubFailure.NOT_FOUND, f"HTTP 404: no such {thing}")
        raise HubError(repo_id, HubFailure.ERROR, f"HTTP {status}")

    def _body(
        self, repo_id: str, response: httpx2.Response, what: str, deadline: _Deadline
    ) -> bytes:
        """The body, decompressed, counted as it streams in against the cap and the deadline."""
        cap = self.limits.max_bytes
        too_large = HubError(
            repo_id,
            HubFailure.TOO_LARGE,
            f"the {what} is larger than {cap:,} bytes ({MAX_BYTES_VARIABLE})",
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
            detail = f"the {what}'s {encoding} is corrupt"
            raise HubError(repo_id, HubFailure.ERROR, detail) from exc
        if deadline.expired:  # a body that ends with the connection ends early at the deadline
            raise self._timeout(repo_id)
        return b"".join(parts)

    def _timeout(self, repo_id: str) -> HubError:
        seconds = f"{self.limits.deadline:g}"
        detail = f"no complete answer within {seconds} s ({DEADLINE_VARIABLE})"
        return HubError(repo_id, HubFailure.TIMEOUT, detail)


@dataclass(frozen=True)
class _Fetched:
    text: str
    url: str
    revision: str | None
    requested: str
    gated: Gated | None


def _gated(value: object) -> Gated | None:
    match value:
        case "auto" | "manual":
            return value
        case False:
            return "no"
        case _:
            return None


def _token(repo_id: str) -> str | None:
    """The token a user of the Hub has set: ``HF_TOKEN``, else the one ``hf auth login`` saved."""
    from huggingface_hub import get_token

    try:
        return get_token()
    except Exception as exc:  # an OIDC exchange that fails (HF_OIDC_RESOURCE set) raises
        detail = f"the Hugging Face token cannot be read ({type(exc).__name__}: {exc})"
        raise HubError(repo_id, HubFailure.DENIED, detail) from exc


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


def _card_url(repo_id: str, revision: str) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(
        repo_id, "README.md", repo_type="dataset", revision=revision, endpoint=_endpoint()
    )


def _api_url(repo_id: str, revision: str) -> str:
    """The dataset API, as ``HfApi.dataset_info`` asks it, for only what is read."""
    base = f"{_endpoint()}/api/datasets/{repo_id}"
    if revision != "main":
        base += f"/revision/{quote(revision, safe='')}"
    return base + "?expand=sha&expand=gated&expand=cardData"


def _endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
