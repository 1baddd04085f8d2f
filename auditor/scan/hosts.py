"""Hosts of URLs: the authority cut out of a URL column in one vectorized pass, then each distinct
authority parsed once into a host and its registered domain (public-suffix aware, offline).

The registered domain comes from the Public Suffix List snapshot bundled with ``publicsuffixlist``
(ICANN and private sections, so ``user.github.io`` is its own domain); nothing is downloaded.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from typing import NamedTuple

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from publicsuffixlist import PublicSuffixList

from auditor.knowledge import KnowledgeBase, Platform

# scheme "://" (or a scheme-relative "//"), then the authority up to the path, query or fragment.
AUTHORITY = r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//(?P<authority>[^/?#\\]*)"
_HOST_CHARS = re.compile(r"^[^\s<>\"{}|\\^`%@/?#\[\]]+$")
_IPV4ISH = re.compile(r"^[0-9.]+$")
_PLAIN = re.compile(r"^(?:[a-z0-9_-]+\.)*[a-z_-][a-z0-9_-]*$")


def authorities(urls: pa.Array) -> pa.Array:
    """The authority (``user@host:port``) of every URL; null where there is none to cut out."""
    found = pc.extract_regex(urls, AUTHORITY)
    return pc.if_else(pc.is_valid(found), pc.struct_field(found, [0]), None)


class Host(NamedTuple):
    """A parsed authority: the host name (lowercase) and its registered domain."""

    name: str
    domain: str


def parse_authority(authority: str) -> Host | None:
    """The host and registered domain of an authority, or None if it names no usable host."""
    if _PLAIN.match(authority):  # the common case: a lowercase name, no user, port or literal
        return Host(authority, _suffixes().privatesuffix(authority) or authority)
    text = authority.rpartition("@")[2]
    if text.startswith("["):
        end = text.find("]")
        literal = text[1:end] if end > 0 else ""
        try:
            address = ipaddress.IPv6Address(literal.split("%", 1)[0])
        except ValueError:
            return None
        return Host(str(address), str(address))
    text = text.split(":", 1)[0].rstrip(".").lower()
    if not text or not _HOST_CHARS.match(text) or ".." in text or text.startswith("."):
        return None
    if _IPV4ISH.match(text):
        try:
            address4 = ipaddress.IPv4Address(text)
        except ValueError:
            return None
        return Host(str(address4), str(address4))
    domain = _suffixes().privatesuffix(text)
    return Host(text, domain or text)


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


class PlatformIndex:
    """``KnowledgeBase.platform_for`` as a dictionary walk over the host's parent domains."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self._by_domain: dict[str, Platform] = {}
        for platform in kb.platforms:
            for domain in platform.domains:
                self._by_domain.setdefault(domain.lower().rstrip("."), platform)

    def platform_for(self, host: str) -> Platform | None:
        name = host
        while True:
            found = self._by_domain.get(name)
            if found is not None:
                return found
            dot = name.find(".")
            if dot < 0:
                return None
            name = name[dot + 1 :]
