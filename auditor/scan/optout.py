"""Machine-readable opt-out signals, read from local snapshots only (no network).

A snapshot directory holds the files saved from each host, one folder per host name::

    <dir>/<host>/robots.txt                 robots.txt (RFC 9309), matched with protego
    <dir>/<host>/ai.txt                     Spawning ai.txt (robots.txt syntax)
    <dir>/<host>/.well-known/tdmrep.json    W3C TDM Reservation Protocol rules

A URL is reserved against AI training when robots.txt or ai.txt disallows it to any training
crawler token (the ``*`` group applies to a token no group names), or when the first TDMRep rule
whose ``location`` matches its path has ``tdm-reservation: 1``. A host without a folder, or a
folder without a file, gives no signal. Each host is judged once when every rule in its files
matches every path alike (``Disallow: /``); otherwise each distinct URL is judged.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa  # type: ignore[import-untyped]
from protego import Protego

from auditor.hosts import authority_host

_PATH_RULE = re.compile(r"^\s*(?:allow|disallow)\s*:\s*([^#\s]*)", re.IGNORECASE | re.MULTILINE)
_EVERY_PATH = frozenset({"", "/", "*", "/*"})  # "" (an empty Disallow) matches no path at all


class Signal(StrEnum):
    """An opt-out file, by its name in a host's snapshot folder."""

    ROBOTS_TXT = "robots.txt"
    AI_TXT = "ai.txt"
    TDMREP = ".well-known/tdmrep.json"


class SnapshotFile:
    """One saved file: where it is, its digest (evidence of what was read) and any read error."""

    def __init__(self, signal: Signal, path: Path, data: bytes, error: str | None = None) -> None:
        self.signal = signal
        self.path = path
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.error = error


@dataclass(frozen=True)
class _TdmRule:
    pattern: re.Pattern[str]
    reserved: bool | None  # None: a value other than 0 or 1 (a protocol error: unset)


class HostSignals:
    """The opt-out files of one host and how they judge its URLs."""

    def __init__(self, host: str, files: tuple[SnapshotFile, ...], tokens: tuple[str, ...]):
        self.host = host
        self.files = files
        self._tokens = tokens
        self._robots: dict[Signal, Protego] = {}
        self._tdm: tuple[_TdmRule, ...] = ()
        uniform = True
        for file in files:
            if file.error is not None:
                continue
            text = file.path.read_text(encoding="utf-8", errors="replace")
            if file.signal is Signal.TDMREP:
                self._tdm = _tdm_rules(json.loads(text))
                uniform &= all(r.pattern.pattern in _EVERY_TDM for r in self._tdm)
            else:
                self._robots[file.signal] = Protego.parse(text)
                uniform &= all(v in _EVERY_PATH for v in _PATH_RULE.findall(text))
        self.uniform = uniform
        self._memo: dict[str, frozenset[Signal]] = {}

    def reservations(self, url: str) -> frozenset[Signal]:
        """The signals that reserve ``url`` against AI training (empty: none does)."""
        found = self._memo.get(url)
        if found is None:
            found = self._memo[url] = self._judge(url)
        return found

    def host_reservations(self) -> frozenset[Signal]:
        """For a uniform host, the signals that reserve every one of its URLs."""
        return self.reservations(f"http://{self.host}/")

    def _judge(self, url: str) -> frozenset[Signal]:
        found = {
            signal
            for signal, parser in self._robots.items()
            if any(not parser.can_fetch(url, token) for token in self._tokens)
        }
        if self._tdm and _tdm_reserved(self._tdm, url):
            found.add(Signal.TDMREP)
        return frozenset(found)


_EVERY_TDM = frozenset({"^", "^/", "^.*", "^/.*"})


def _tdm_rules(data: object) -> tuple[_TdmRule, ...]:
    if not isinstance(data, list):
        raise ValueError("tdmrep.json is not a JSON array of rules")
    rules = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("location"), str):
            raise ValueError("a tdmrep.json rule has no 'location'")
        value = item.get("tdm-reservation")
        reserved = True if value in (1, "1") else False if value in (0, "0") else None
        rules.append(_TdmRule(_location_pattern(item["location"]), reserved))
    return tuple(rules)


def _location_pattern(location: str) -> re.Pattern[str]:
    """A robots.txt-style path pattern (``*`` any characters, a final ``$`` the end) as a regex."""
    anchored = location.endswith("$")
    body = location[:-1] if anchored else location
    regex = "^" + ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""))


def _tdm_reserved(rules: tuple[_TdmRule, ...], url: str) -> bool:
    """The first rule whose location matches the URL's path (and query) decides."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    for rule in rules:
        if rule.pattern.match(path):
            return rule.reserved is True
    return False


class Snapshots:
    """A directory of opt-out files saved per host; each host is read once."""

    def __init__(self, root: Path, tokens: tuple[str, ...]) -> None:
        self.root = root
        self.tokens = tokens
        self._hosts: dict[str, HostSignals | None] = {}
        self._paths: dict[str, Path] | None = None
        self._folders: pa.Array | None = None

    def _folder_paths(self) -> dict[str, Path]:
        """Each folder by the host it names, read as URL hosts are (``auditor.hosts``): case,
        a trailing dot, full-width forms and IDNs in Unicode or punycode alike. Where two folders
        name one host, the one spelled as the host wins, else the first by name."""
        if self._paths is None:
            paths: dict[str, Path] = {}
            folders = sorted(self.root.iterdir()) if self.root.is_dir() else []
            for path in folders:
                host = authority_host(path.name) if path.is_dir() else None
                if host is not None and (host not in paths or path.name == host):
                    paths[host] = path
            self._paths = paths
        return self._paths

    def folders(self) -> pa.Array:
        """The hosts with a folder in the directory, so other hosts need no look-up."""
        if self._folders is None:
            self._folders = pa.array(sorted(self._folder_paths()), pa.string())
        return self._folders

    def for_host(self, host: str) -> HostSignals | None:
        """The opt-out files of ``host`` (a normalized host name), None when it has none."""
        if host in self._hosts:
            return self._hosts[host]
        folder = self._folder_paths().get(host)
        found = None
        if folder is not None:
            files = tuple(
                _read(signal, folder / signal.value)
                for signal in Signal
                if (folder / signal.value).is_file()
            )
            if files:
                found = HostSignals(host, files, self.tokens)
        self._hosts[host] = found
        return found

    def seen(self) -> tuple[HostSignals, ...]:
        """Every host with opt-out files that was looked up, sorted by host name."""
        return tuple(sorted((h for h in self._hosts.values() if h), key=lambda h: h.host))


def _read(signal: Signal, path: Path) -> SnapshotFile:
    data = path.read_bytes()
    error = None
    if signal is Signal.TDMREP:
        try:
            _tdm_rules(json.loads(data.decode("utf-8")))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            error = f"unreadable, so ignored: {exc}"
    return SnapshotFile(signal, path, data, error)
