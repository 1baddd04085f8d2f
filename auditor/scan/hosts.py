"""Hosts of URLs: the authority cut out of a URL column in one vectorized pass, then the
distinct authorities judged in bulk: host name, registered domain (public-suffix aware, offline)
and platform.

The registered domain comes from the Public Suffix List snapshot bundled with ``publicsuffixlist``
(ICANN and private sections, so ``user.github.io`` is its own domain); nothing is downloaded.
Plain host names (lowercase labels, no user, port or address literal: nearly all of them) are
judged with Arrow kernels, a few passes over the distinct names whatever their number; the others
are parsed one by one in Python, with the same list.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from publicsuffixlist import PSLFILE, PublicSuffixList

from auditor.hosts import authority_host
from auditor.knowledge import KnowledgeBase, Platform

# scheme "://" (or a scheme-relative "//"), then the authority up to the path, query or fragment.
AUTHORITY = r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//(?P<authority>[^/?#\\]*)"
_BEFORE_QUERY = r"^(?P<authority>[^?#\\]*)"
_IPV4ISH = re.compile(r"^[0-9.]+$")
_PLAIN = re.compile(r"^(?:[a-z0-9_-]+\.)*[a-z_-][a-z0-9_-]*$")


class Authorities(NamedTuple):
    """The authorities of a column of URLs."""

    encoded: pa.DictionaryArray  # the authority of each URL, dictionary-encoded
    web: bool  # every URL starts with https:// or http:// (so none is empty or null)


def authorities(urls: pa.Array) -> pa.DictionaryArray:
    """The authority (``user@host:port``) of every URL (``string``), dictionary-encoded; null,
    where there is none to cut out, is a dictionary value."""
    return cut_authorities(urls).encoded


def cut_authorities(urls: pa.Array, *, exact: bool = True) -> Authorities:
    """:func:`authorities`, and whether every URL is an ``https://`` or ``http://`` one.

    In those, nearly all URLs, the authority ends at the first ``/`` after the scheme, found in
    place (a third of the cost of matching ``AUTHORITY``, which the others go through); it is
    cut at ``?``, ``#`` or ``\\`` in the dictionary, once per distinct value.

    ``cut_authorities(urls, exact=False)`` leaves that cut to the caller (the classifier makes it
    on the authorities it has not seen, not on every batch's): the dictionary then holds what
    follows the scheme up to the first ``/``, and a ``?``, ``#`` or ``\\`` may still be in it.
    """
    https = pc.starts_with(urls, "https://")
    if urls.null_count:
        https = pc.fill_null(https, False)
    secure = pc.sum(https).as_py() or 0
    http, plain = https, 0  # http is read only when some URLs are not https ones
    if secure < len(urls):
        http = pc.starts_with(urls, "http://")
        if urls.null_count:
            http = pc.fill_null(http, False)
        plain = pc.sum(http).as_py() or 0
    found, repeats = _encoded(_after_scheme(urls, https, http, secure, plain), exact=exact)
    if secure + plain == len(urls):
        return Authorities(_distinct(found) if repeats else found, True)
    web = pc.or_(https, http)
    other, _ = _encoded(_matched(pc.filter(urls, pc.invert(web))), exact=False)
    shifted = pc.add(other.indices, pa.scalar(len(found.dictionary), pa.int32()))
    merged = pa.DictionaryArray.from_arrays(
        pc.replace_with_mask(found.indices, pc.invert(web), shifted),
        pa.concat_arrays([found.dictionary, other.dictionary]),
    )
    return Authorities(_distinct(merged), False)


def _distinct(encoded: pa.DictionaryArray) -> pa.DictionaryArray:
    """``encoded`` with each value once in its dictionary."""
    values = encoded.dictionary
    distinct = pc.unique(values)
    if len(distinct) == len(values):
        return encoded
    at = pc.index_in(values, distinct).cast(pa.int32())
    return pa.DictionaryArray.from_arrays(pc.take(at, encoded.indices), distinct)


def _int32(value: int) -> pa.Scalar:
    return pa.scalar(value, pa.int32())


def _after_scheme(
    urls: pa.Array, https: pa.Array, http: pa.Array, secure: int, plain: int
) -> pa.Array:
    """What follows ``https://`` or ``http://`` up to the next ``/`` (empty for other URLs);
    ``secure`` and ``plain`` count the URLs of each scheme.

    No URL is copied: the search runs on the column's own bytes, through offsets moved past the
    scheme, and the parts are cut out of them as every other value of an array whose offsets
    alternate between the start and the end of each part.
    """
    n = len(urls)
    if not n:
        return pa.array([], pa.string())
    offsets = pa.Array.from_buffers(
        pa.int32(), n + 1, [None, urls.buffers()[1]], offset=urls.offset
    )
    data = urls.buffers()[2] or pa.py_buffer(b"")
    starts, ends, last = offsets.slice(0, n), offsets.slice(1, n), offsets.slice(n, 1)
    if secure == n:
        start = pc.add(starts, _int32(8))
    elif plain == n:
        start = pc.add(starts, _int32(7))
    else:
        other = pc.if_else(http, pc.add(starts, _int32(7)), ends)
        start = pc.if_else(https, pc.add(starts, _int32(8)), other)
    # Each value runs from its part's start to the next one's: a "/" past the URL's own end
    # (in the next URL's scheme), or none at all, means the part runs to that end.
    slash = pc.find_substring(_strings(n, pa.concat_arrays([start, last]), data), "/")
    end = pc.min_element_wise(pc.add(start, slash), ends)
    if pc.min(slash).as_py() < 0:
        end = pc.if_else(pc.less(slash, _int32(0)), ends, end)
    interleave, even = _interleaving(n)
    bounds = pc.take(pa.concat_arrays([start, end, last]), interleave)
    return pc.take(_strings(2 * n, bounds, data), even)


def _strings(count: int, offsets: pa.Array, data: pa.Buffer) -> pa.Array:
    return pa.Array.from_buffers(pa.string(), count, [None, offsets.buffers()[1], data])


_INTERLEAVINGS: dict[int, tuple[pa.Array, pa.Array]] = {}
_INTERLEAVING_LOCK = threading.Lock()


def _interleaving(n: int) -> tuple[pa.Array, pa.Array]:
    """Indices that interleave two arrays of ``n`` values (then take one more value), and the
    indices of the even positions of ``2 * n`` values; kept for the last few sizes."""
    with _INTERLEAVING_LOCK:
        found = _INTERLEAVINGS.get(n)
        if found is None:
            k = pc.subtract(pc.cumulative_sum(pa.repeat(_int32(1), n)), _int32(1))
            # int64 values holding k and k + n, read as pairs of int32 values.
            low, high = k.cast(pa.int64()), pc.add(k.cast(pa.int64()), n)
            if sys.byteorder == "big":
                low, high = high, low
            pairs = pc.bit_wise_or(pc.shift_left(high, 32), low)
            interleave = pa.concat_arrays(
                [
                    pa.Array.from_buffers(pa.int32(), 2 * n, [None, pairs.buffers()[1]]),
                    pa.array([2 * n], pa.int32()),
                ]
            )
            found = interleave, pc.multiply(k, _int32(2))
            if len(_INTERLEAVINGS) >= 4:
                _INTERLEAVINGS.clear()
            _INTERLEAVINGS[n] = found
        return found


def _matched(urls: pa.Array) -> pa.Array:
    found = pc.extract_regex(urls, AUTHORITY)
    return pc.struct_field(found, [0])


def _encoded(found: pa.Array, *, exact: bool) -> tuple[pa.DictionaryArray, bool]:
    """``found`` dictionary-encoded, each value cut at ``?``, ``#`` or ``\\`` when ``exact``,
    and whether any was (values may then repeat)."""
    encoded = pc.dictionary_encode(found, null_encoding="encode")
    if not exact:
        return encoded, False
    cut = cut_at_query(encoded.dictionary)
    return pa.DictionaryArray.from_arrays(encoded.indices, cut), cut is not encoded.dictionary


def cut_at_query(values: pa.Array) -> pa.Array:
    """Each value cut at its first ``?``, ``#`` or ``\\`` (``values`` itself when none has one)."""
    if not _has_any_byte(values, b"?#\\"):
        return values
    return pc.struct_field(pc.extract_regex(values, _BEFORE_QUERY), [0])


def _has_any_byte(values: pa.Array, wanted: bytes) -> bool:
    """Whether any of ``wanted`` (ASCII bytes) is among the bytes of ``values`` (``string``),
    looked for in the array's own buffer (the bytes of a null, if any, count too)."""
    n = len(values)
    if not n or values.buffers()[2] is None:
        return False
    offsets = np.frombuffer(values.buffers()[1], np.int32, n + 1, values.offset * 4)
    raw = np.frombuffer(values.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    return any(bool((raw == byte).any()) for byte in wanted)


class Host(NamedTuple):
    """A parsed authority: the host name (lowercase) and its registered domain."""

    name: str
    domain: str


def parse_authority(authority: str) -> Host | None:
    """The host and registered domain of an authority, or None if it names no usable host.

    Plain names are read here; the others (upper case, a user or port, a trailing dot, ``%``,
    address literals, IDNs and full-width or other look-alike forms) by
    :func:`auditor.hosts.authority_host`, as ``check`` reads a ``collected_from`` value."""
    if _PLAIN.fullmatch(authority):  # the common case: a lowercase name, no user, port or literal
        return Host(authority, _suffixes().privatesuffix(authority) or authority)
    name = authority_host(authority)
    if name is None:
        return None
    if ":" in name or _IPV4ISH.fullmatch(name):  # an address: its own domain
        return Host(name, name)
    return Host(name, _suffixes().privatesuffix(name) or name)


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


class Hosts(NamedTuple):
    """Distinct authorities, judged: one value per authority in each array."""

    name: pa.Array  # string: the host name, null where the authority names no usable host
    domain: pa.Array  # string: the registered domain, null where name is
    platform: pa.Array  # int32: an index into PlatformIndex.platforms, null for none


def judge_hosts(authorities: pa.Array, platforms: PlatformIndex) -> Hosts:
    """Host name, registered domain and platform of each authority (non-null strings).

    Plain names are judged with Arrow kernels; the others (upper case, a user or port, address
    literals, IDNs) one by one with :func:`parse_authority`, then merged back in place. The
    authorities are cut as :func:`cut_authorities` cuts them by default (see :func:`cut_at_query`).
    """
    plain = pc.fill_null(pc.match_substring_regex(authorities, _PLAIN.pattern), False)
    every = pc.all(plain).as_py() is not False
    dotted = DottedNames(authorities if every else pc.if_else(plain, authorities, None))
    names = dotted.names
    domain = registered_domains(dotted)
    platform = platforms.indices(dotted)
    other = pc.invert(plain)
    if pc.any(other).as_py():
        parsed = [parse_authority(a) for a in pc.filter(authorities, other).to_pylist()]
        names = pc.replace_with_mask(
            names, other, pa.array([h.name if h else None for h in parsed], pa.string())
        )
        domain = pc.replace_with_mask(
            domain, other, pa.array([h.domain if h else None for h in parsed], pa.string())
        )
        found = [platforms.index_for(h.name) if h else None for h in parsed]
        platform = pc.replace_with_mask(platform, other, pa.array(found, pa.int32()))
    return Hosts(names, domain, platform)


class DottedNames:
    """Plain host names (ASCII; null: none) and their suffixes of whole labels, cut in place.

    The dots of every name are found once, in the array's own bytes (numpy); a suffix of ``count``
    labels is then where the ``count``-th dot from a name's end leaves off, and the suffixes are
    cut out of the same bytes (as :func:`_after_scheme` cuts authorities), with no regular
    expression and no Python per name."""

    def __init__(self, names: pa.Array) -> None:
        self.names = names
        n = len(names)
        offsets = np.frombuffer(names.buffers()[1], np.int32, n + 1, names.offset * 4)
        self._data = names.buffers()[2] or pa.py_buffer(b"")
        raw = np.frombuffer(self._data, np.uint8)
        low = int(offsets[0]) if n else 0
        high = int(offsets[-1]) if n else 0
        dots = np.flatnonzero(raw[low:high] == ord(".")) + low
        self._dots = dots if len(dots) else np.zeros(1, np.int64)
        self._starts, self._ends = offsets[:-1], offsets[1:]
        # The dots of name i are dots[first[i]:last[i]].
        self._last = np.searchsorted(dots, self._ends)
        self._count = self._last - np.searchsorted(dots, self._starts)
        self._valid = names.is_valid().to_numpy(zero_copy_only=False) if names.null_count else None
        self._cut: dict[int, pa.Array] = {}
        self._labels: pa.Array | None = None

    def suffix(self, count: int, among: pa.Array | None = None) -> pa.Array:
        """The last ``count`` labels of each name (null for names with fewer, and for names not
        ``among`` when given)."""
        if among is None:
            cut = self._cut.get(count)
            if cut is None:
                cut = self._cut[count] = self._suffix(count, None)
            return cut
        return self._suffix(count, pc.fill_null(among, False).to_numpy(zero_copy_only=False))

    def _suffix(self, count: int, among: np.ndarray | None) -> pa.Array:
        n = len(self.names)
        has = self._count >= count - 1
        if self._valid is not None:
            has &= self._valid
        if among is not None:
            has &= among
        at = np.clip(self._last - count, 0, len(self._dots) - 1)
        begin = np.where(self._count >= count, self._dots[at] + 1, self._starts)
        bounds = np.empty(2 * n + 1, np.int32)
        bounds[0 : 2 * n : 2] = begin
        bounds[1 : 2 * n : 2] = self._ends
        bounds[2 * n] = self._ends[-1] if n else 0
        parts = _strings(2 * n, pa.array(bounds, pa.int32()), self._data)
        picked = pa.array(np.arange(0, 2 * n, 2, dtype=np.int32), pa.int32(), mask=~has)
        return pc.take(parts, picked)

    def labels(self) -> pa.Array:
        """The number of labels of each name."""
        if self._labels is None:
            counts = (self._count + 1).astype(np.int32)
            mask = ~self._valid if self._valid is not None else None
            self._labels = pa.array(counts, pa.int32(), mask=mask)
        return self._labels


class SuffixTable:
    """A set of dotted suffixes with a code each, matched in bulk: the longest suffix of a name
    (made of whole labels) that is in the table, as in a walk over the name's parent domains.
    """

    def __init__(self, codes: Mapping[str, int]) -> None:
        by_depth: dict[int, dict[str, int]] = {}
        tails: dict[int, set[str]] = {}
        for key, code in codes.items():
            labels = key.split(".")
            by_depth.setdefault(len(labels), {})[key] = code
            for depth in range(1, len(labels)):
                tails.setdefault(depth, set()).add(".".join(labels[-depth:]))
        self.depth = max(by_depth, default=0)
        self._keys = {
            depth: (pa.array(list(keys), pa.string()), pa.array(list(keys.values()), pa.int32()))
            for depth, keys in by_depth.items()
        }
        # The suffixes of each depth that deeper keys end with: a name whose suffix of that depth
        # is not among them can match nothing deeper.
        self._tails = {depth: pa.array(sorted(t), pa.string()) for depth, t in tails.items()}

    def longest(self, names: DottedNames) -> tuple[pa.Array, pa.Array]:
        """Per name (null: none), the depth in labels of its longest suffix in the table (0 when
        none is) and that suffix's code (null when none is)."""
        size = len(names.names)
        depth = pa.nulls(size, pa.int32()).fill_null(0)
        code = pa.nulls(size, pa.int32())
        alive = None
        for count in range(1, self.depth + 1):
            suffix = names.suffix(count, alive)
            keys = self._keys.get(count)
            if keys is not None:
                at = pc.index_in(suffix, keys[0])
                hit = pc.is_valid(at)
                depth = pc.if_else(hit, count, depth)
                code = pc.if_else(hit, pc.take(keys[1], at), code)
            tails = self._tails.get(count)
            if tails is None:
                break
            alive = pc.is_in(suffix, tails)
            if not pc.any(alive).as_py():
                break
        return depth, code


# Public Suffix List rule kinds, in the order the list's own lookup lets them win at one depth.
_EXACT, _WILDCARD, _EXCEPTION = 1, 2, 3


@cache
def _suffix_table() -> SuffixTable:
    """The rules of the list bundled with ``publicsuffixlist`` (the file its own lookups read), as
    a table of rule kinds. Plain names are ASCII, so of an internationalized rule only its
    punycode form can match one. (A test checks that both paths agree on every kind of rule.)"""
    codes: dict[str, int] = {}
    for rule in _psl_rules():
        if rule.startswith("!"):
            key, kind = rule[1:], _EXCEPTION
        elif rule.startswith("*."):
            key, kind = rule[2:], _WILDCARD
        else:
            key, kind = rule, _EXACT
        codes[key] = max(kind, codes.get(key, 0))
    return SuffixTable(codes)


def _psl_rules() -> Iterator[str]:
    """The rules of the bundled list, each in lower case (list format: one rule per line, up to
    the first space; ``//`` starts a comment), with internationalized ones in punycode."""
    with Path(PSLFILE).open(encoding="utf-8") as lines:
        for line in lines:
            rule = line.lower().split(" ", 1)[0].strip()
            if not rule or rule.startswith("//"):
                continue
            if not rule.isascii():
                bang = "!" if rule.startswith("!") else ""
                rule = bang + rule.removeprefix("!").encode("idna").decode("ascii")
            yield rule


def warm_up() -> None:
    """Load the Public Suffix List now (it is read once per process)."""
    _suffix_table()


def registered_domains(names: pa.Array | DottedNames) -> pa.Array:
    """``PublicSuffixList.privatesuffix(name) or name`` for plain names (null stays null)."""
    dotted = names if isinstance(names, DottedNames) else DottedNames(names)
    depth, kind = _suffix_table().longest(dotted)
    labels = dotted.labels()
    # The public suffix's length in labels: an exception rule's parent, a wildcard's child (or the
    # wildcard's own root), an exact rule, or the last label when no rule matches.
    public = pc.case_when(
        pc.make_struct(
            pc.or_(pc.equal(labels, 1), pc.equal(depth, 0)),
            pc.equal(kind, _EXCEPTION),
            pc.and_(pc.equal(kind, _WILDCARD), pc.greater(labels, depth)),
        ),
        1,
        pc.subtract(depth, 1),
        pc.add(depth, 1),
        depth,
    )
    want = pc.add(public, 1)
    has = pc.and_(pc.greater(public, 0), pc.greater_equal(labels, want))
    domain = dotted.names
    for count in pc.unique(pc.filter(want, has)).to_pylist():
        chosen = pc.and_(has, pc.equal(want, count))
        domain = pc.if_else(chosen, dotted.suffix(count, chosen), domain)
    return domain


class PlatformIndex:
    """``KnowledgeBase.platform_for`` as a walk over the host's parent domains, one by one or in
    bulk (the longest listed parent domain wins; the first platform listing a domain has it)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.platforms: tuple[Platform, ...] = tuple(kb.platforms)
        self._by_domain: dict[str, int] = {}
        for index, platform in enumerate(self.platforms):
            for domain in platform.domains:
                self._by_domain.setdefault(domain.lower().rstrip("."), index)
        self._table = SuffixTable(self._by_domain)

    def platform_for(self, host: str) -> Platform | None:
        index = self.index_for(host)
        return self.platforms[index] if index is not None else None

    def index_for(self, host: str) -> int | None:
        name = host
        while True:
            found = self._by_domain.get(name)
            if found is not None:
                return found
            dot = name.find(".")
            if dot < 0:
                return None
            name = name[dot + 1 :]

    def indices(self, names: pa.Array | DottedNames) -> pa.Array:
        """The platform index of each plain host name (null for none)."""
        dotted = names if isinstance(names, DottedNames) else DottedNames(names)
        return self._table.longest(dotted)[1]
