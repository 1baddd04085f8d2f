"""Host names as the platform terms and the registered domains are compared: one normal form for
``check`` (a dataset's ``collected_from``) and ``scan`` (the authority of each URL).

The normal form is the host alone (no scheme, user, port, path, query or fragment, no trailing
dot), in lower case, with every internationalized label mapped by UTS #46 and written as its
ASCII (punycode) form. So full-width letters, an ideographic full stop (``youtube\u3002com``), a
soft hyphen or a zero-width space inside a label, and ``https://user:pw@WWW.YouTube.COM.:443/x``
all read as ``youtube.com`` or ``www.youtube.com``. IP addresses are written in their standard
form; an IPv6 literal loses its brackets. A value from which no host can be read is ``None``,
never ``""``: the callers report it rather than match it against nothing.

ASCII labels are read leniently (letters, digits, ``-`` and ``_`` anywhere), as resolvers and
crawlers accept them (``r1---sn-x.googlevideo.com`` breaks IDNA2008's hyphen rule); only labels
with other characters go through the ``idna`` package.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import unquote

import idna

from auditor.model import Collection

# "scheme://" or a scheme-relative "//": what follows, up to the path, is the authority.
_WITH_AUTHORITY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//")
# A scheme without "//" ("mailto:", "urn:") names no host, unless it is "host:port".
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")
_PORT = re.compile(r"\d*(?:[/?#\\]|\Z)")
_AUTHORITY_END = re.compile(r"[/?#\\]")
_ASCII_LABEL = re.compile(r"[a-z0-9_-]+")
_ASCII_HOST = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_IPV4ISH = re.compile(r"[0-9.]+")


def host_of(collection: Collection) -> str | None:
    """The host a ``collected_from`` entry names (its URL, else its domain); None if none."""
    return normalize(collection.url or collection.domain or "")


def normalize(value: str) -> str | None:
    """The host of a URL, a bare domain or ``domain:port`` (with or without a path), normalized;
    None when the value names no host that can be read."""
    text = value.strip()
    found = _WITH_AUTHORITY.match(text)
    if found is not None:
        text = text[found.end() :]
    else:
        scheme = _SCHEME.match(text)
        if scheme is not None and not _PORT.match(text, scheme.end()):
            return None
    return authority_host(_AUTHORITY_END.split(text, maxsplit=1)[0])


def authority_host(authority: str) -> str | None:
    """The host of a URL's authority (``user@host:port``, already cut at the path), normalized;
    None when it names no host that can be read."""
    text = authority.rpartition("@")[2]
    if text.startswith("["):
        end = text.find("]")
        literal = text[1:end] if end > 0 else ""
        try:
            return str(ipaddress.IPv6Address(literal.split("%", 1)[0]))
        except ValueError:
            return None
    return _host(text.partition(":")[0])


def _host(text: str) -> str | None:
    if "%" in text:
        try:
            text = unquote(text, errors="strict")
        except UnicodeDecodeError:
            return None
    if text.isascii():
        text = text.lower()
    else:
        try:
            text = idna.uts46_remap(text, std3_rules=False, transitional=False)
        except UnicodeError:  # idna.IDNAError among them
            return None
    text = text.removesuffix(".")
    if text.startswith(("*.", ".")):  # "*.example.com", ".example.com": the domain
        text = text.partition(".")[2]
    if text.isascii():  # one pass over the whole name (mapped names are often ASCII too)
        host = text if _ASCII_HOST.fullmatch(text) else None
    else:
        labels = text.split(".")
        ascii_labels = [a for a in map(_label, labels) if a is not None]
        host = ".".join(ascii_labels) if len(ascii_labels) == len(labels) else None
    if host is not None and _IPV4ISH.fullmatch(host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            return None
    return host


def _label(label: str) -> str | None:
    """One label in ASCII, or None if it is empty or cannot be one."""
    if label.isascii():
        return label if _ASCII_LABEL.fullmatch(label) else None
    try:
        return idna.alabel(label).decode("ascii")
    except UnicodeError:  # idna.IDNAError among them
        return None


def mixed_script(host: str) -> bool:
    """Whether a label of ``host`` (punycode decoded) mixes letters of different scripts, such
    as Latin with Cyrillic or Greek: what a look-alike of a Latin-script site does. A label in
    one script (``münchen``, ``例え``) is not mixed."""
    for label in host.split("."):
        text = label
        if label.startswith("xn--"):
            try:
                text = label.encode("ascii").decode("idna")
            except UnicodeError:
                return True
        scripts = {unicodedata.name(char, "?").split(" ", 1)[0] for char in text if char.isalpha()}
        if len(scripts - _EAST_ASIAN) > 1:
            return True
    return False


# Scripts written together in one word (Han with kana or Hangul, and with Latin): Unicode's
# "highly restrictive" profile (UTS #39, section 5.2) allows these mixes.
_EAST_ASIAN = frozenset({"CJK", "HIRAGANA", "KATAKANA", "HANGUL", "BOPOMOFO"})
