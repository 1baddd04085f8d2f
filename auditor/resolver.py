"""License resolution: any license value found in the wild, to SPDX terms with evidence.

The only module that imports the ``license-expression`` engine. Resolution is tried in order, and
the first step that recognises the value decides its :class:`~auditor.licensing.Status`:

1. empties and placeholders (missing, ``unknown``, ``NOASSERTION``, ``[More Information Needed]``)
   resolve to unknown: no license means all rights reserved;
2. a license id of the knowledge base, in any case (exact);
3. a family or unversioned name (``cc``, "CC BY-NC") resolves to its candidates (ambiguous);
4. a known name or alias, such as a Hugging Face id or "Apache License, Version 2.0" (alias); a
   Creative Commons name in any order of its elements; short codes and statements ("by-nc",
   "public domain") only as a whole value;
5. a URL of a license (url), in any of its forms (no scheme, a license button, punctuation after
   it); a license name and "or later" ("CC BY-SA 3.0 or later"), as that version or a later one;
6. an SPDX expression, each symbol resolved by steps 2 to 4 (exact, or alias for deprecated ids);
   an incomplete one ("MIT AND", "(MIT OR") is unknown, whatever it names;
7. anything else is read as prose (text): every license, license URL and restriction it mentions
   applies, except that two licenses offered as a choice in one clause ("dual licensed under MIT
   and Apache 2.0", 'licensed as "CC0-1.0 OR MIT"') are alternatives; when it mentions none, it
   is unknown, with the raw text kept. A short value that names a dataset ("Apache Spark logs"),
   and a one-word name that begins a dataset's name ("MIT Scene Parsing Benchmark"), mention no
   license.

A value is never read as more permissive than its words. When a name or expression was recognised
with words left beside it ("MIT (non-commercial use only)", "CC BY 4.0 (except images: CC BY-NC)",
"MIT with research use only"), the whole value is also read as prose and every license or
restriction that adds applies too (status no better than text).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from license_expression import (
    ExpressionError,
    LicenseSymbol,
    LicenseWithExceptionSymbol,
    get_spdx_licensing,
)

from auditor.errors import InputError
from auditor.knowledge import (
    CommercialUse,
    Family,
    KnowledgeBase,
    License,
    LicenseTerms,
    Placeholders,
    Source,
)
from auditor.licensing import (
    AllOf,
    AnyOf,
    Leaf,
    Node,
    Resolution,
    Status,
    combine,
    commercial_use,
    leaves,
    render,
)
from auditor.model import Fact

_NO_PLACEHOLDERS = Placeholders(no_license=(), no_statement=(), pointers=())

# A restriction stated in words no phrase of the knowledge base reads: its terms are unknown.
UNREAD = "LicenseRef-Unread-Restriction"
# Limiting words are read in values up to this long; longer prose by the known phrases alone.
_MAX_REMARK_WORDS = 30
# How many resolutions the resolver remembers (distinct raw values).
_MEMO_SIZE = 50_000
_FILLER = frozenset({"the", "license", "licensed", "licence", "version", "ver", "v", "under"})
_SPLIT_ALNUM = re.compile(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])")
_TOKENS = re.compile(r"[a-z0-9]+|\+")
_DOT_ZERO = re.compile(r"(?<=\d) 0\b")
_PARENTHESES = re.compile(r"\([^()]*\)")
_URL_IN_TEXT = re.compile(
    r"(?:https?://|\bwww\.|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/)[^\s<>\"'()\[\]]+", re.IGNORECASE
)
_LICENSE_WORDS = re.compile(r"licen[cs]|under\b|terms", re.IGNORECASE)
_MAX_NAME_TOKENS = 12
# An expression cut short: an operator first or last ("AND MIT", "MIT WITH", "mit and"), or two
# operators in a row. Lower-case operators count only at the end: prose may begin with "With".
_INCOMPLETE = re.compile(
    r"^[\s(]*(AND|OR|WITH)\b|\b(AND|OR|WITH)\s+(AND|OR|WITH)\b|\b(?i:and|or|with)[\s()]*$"
)
_OPERATOR = re.compile(r"\b(AND|OR|WITH)\b")
# A break between clauses: a choice between licenses the text states spans it only without one.
_CLAUSE_BREAK = re.compile(r"[;\n]|[.!?:]\s")
_PARSER_FAULTS = (AssertionError, AttributeError, TypeError, ValueError, IndexError, KeyError)
# A URL with a scheme, "www.", or a host name and a path ("creativecommons.org/licenses/by/4.0"):
# the last label of the host is letters, so "cc-by-4.0/cc-by-sa" is not a URL.
_URL = re.compile(r"^(https?://|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}/)\S+$", re.IGNORECASE)
_CC_URL = re.compile(
    r"^creativecommons\.org/licenses/(?P<elements>[a-z-]+)/(?P<version>\d\.\d)(?:/(?P<port>[a-z-]+))?$"
)
_CC_FAMILY_URL = re.compile(r"^creativecommons\.org/licenses/(?P<elements>by(?:-[a-z]+)*)$")
# Creative Commons license buttons, which pages link in place of the license ("88x31.png"):
# i.creativecommons.org and licensebuttons.net serve /l/<elements>/<version>[/<port>]/ for licenses
# and /p/zero/1.0/ and /p/mark/1.0/ for CC0 and the Public Domain Mark.
_CC_BUTTON = re.compile(
    r"^(?:i\.creativecommons\.org|licensebuttons\.net)/(?P<kind>[lp])/(?P<path>[a-z0-9.+/-]+?)"
    r"/\d+x\d+(?:\.(?:png|svg|gif))?$"
)
# Creative Commons press-kit buttons name the elements without a version ("by-nc.png"): the
# unversioned family, as its /licenses/<elements>/ URL is.
_CC_PRESSKIT = re.compile(
    r"^mirrors\.creativecommons\.org/presskit/buttons/\d+x\d+/(?:png|svg)/"
    r"(?P<elements>by(?:-[a-z]+)*)\.(?:png|svg)$"
)
# A whole value made of Creative Commons element codes and a version ("by-nc-sa 4.0"), as a
# normalized key: read as that license. Inside prose such codes are not read ("multiplied by 4").
_CC_CODES = re.compile(r"^by(?: (?:nc|nd|sa))* \d+(?: \d+)*$")
_ID_URLS = (
    "spdx.org/licenses/",
    "choosealicense.com/licenses/",
    "opensource.org/licenses/",
    "opensource.org/license/",
)


_SPELLINGS = (
    (re.compile(r"licence"), "license"),
    (re.compile(r"creative\W*commons?"), "cc"),
    (re.compile(r"share\W*alike"), "sharealike"),
    (re.compile(r"non\W*commercial"), "noncommercial"),
    (re.compile(r"no\W*deriv(ative)?s"), "noderivatives"),
)


# Creative Commons elements in their long and short spellings, and the words that name the
# unported edition of a version: a Creative Commons name is read in any word order (below).
_ELEMENTS = {"attribution": "by", "noncommercial": "nc", "noderivatives": "nd", "sharealike": "sa"}
_EDITIONS = frozenset({"international", "unported", "generic"})


def normalize_name(text: str) -> str:
    """A key for name matching: case, punctuation, spelling variants and filler words ignored."""
    lowered = text.lower()
    for pattern, replacement in _SPELLINGS:
        lowered = pattern.sub(replacement, lowered)
    lowered = _SPLIT_ALNUM.sub(" ", lowered)
    tokens = [t for t in _TOKENS.findall(lowered) if t not in _FILLER]
    return _DOT_ZERO.sub("", " ".join(tokens))


def word_order_key(key: str) -> str | None:
    """A key for a Creative Commons name whose elements come in any order and spelling.

    "CC Attribution-NoDerivs-NonCommercial 1.0" and "CC BY-NC-ND 1.0" share a key: from a
    :func:`normalize_name` key, the words are sorted, elements take their short form and edition
    words are dropped; version numbers keep their order. A name without "cc" is one only when it is
    made of the long element words and a version alone ("Attribution-NoDerivs 3.0", as Creative
    Commons titles its deeds); other names (None) are read as written: short keys such as "by 4"
    would match prose ("multiplied by 4").
    """
    tokens = key.split()
    if "cc" not in tokens:
        # A deed title always has its version: without one, "No derivatives, attribution
        # required" would read as a license it does not name.
        if (
            "attribution" not in tokens
            or not any(t.isdigit() for t in tokens)
            or not all(t in _ELEMENTS or t in _EDITIONS or t.isdigit() for t in tokens)
        ):
            return None
        tokens = ["cc", *tokens]
    words = sorted(_ELEMENTS.get(t, t) for t in tokens if not t.isdigit() and t not in _EDITIONS)
    return " ".join(words) + " /" + "".join(f" {t}" for t in tokens if t.isdigit())


def normalize_url(url: str) -> str:
    """A key for URL matching: scheme, ``www.``, query, language and legal-code suffixes ignored."""
    text = url.strip().lower().removeprefix("<").removesuffix(">")
    # Punctuation after a URL in prose ("see https://.../4.0/.", "(https://.../4.0/)"): a closing
    # bracket belongs to the URL only when the URL opened one.
    while text and (
        text[-1] in ".,;:!?'\"*"
        or (text[-1] == ")" and text.count("(") < text.count(")"))
        or (text[-1] == "]" and text.count("[") < text.count("]"))
    ):
        text = text[:-1]
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    text = re.split(r"[?#]", text, maxsplit=1)[0]
    text = re.sub(r"/(legalcode|deed)(\.[a-z_-]+)?$", "", text)
    text = re.sub(r"/(legalcode|deed)(\.[a-z_-]+)?/?$", "", text)
    # A page in one language of several ("gpl-3.0.en.html", "lgpl-3.0.de.html").
    text = re.sub(r"\.[a-z]{2}(?:[-_][a-z]{2,4})?(?=\.html?$)", "", text)
    text = re.sub(r"\.(html?|txt|json|php|md)$", "", text)
    button = _CC_BUTTON.match(text.rstrip("/"))
    if button is not None:
        where = "licenses" if button["kind"] == "l" else "publicdomain"
        text = f"creativecommons.org/{where}/{button['path']}"
    presskit = _CC_PRESSKIT.match(text)
    if presskit is not None:
        text = f"creativecommons.org/licenses/{presskit['elements']}"
    return text.rstrip("/")


class Resolver:
    """Resolves raw license values against one knowledge base; results are memoised."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._licensing = get_spdx_licensing()
        self._spdx_keys = {
            name.lower()
            for symbol in self._licensing.known_symbols.values()
            for name in (symbol.key, *symbol.aliases)
        }
        self._spdx_exceptions = {
            name.lower()
            for symbol in self._licensing.known_symbols.values()
            if symbol.is_exception
            for name in (symbol.key, *symbol.aliases)
        }
        self._by_id = {key.lower(): lic for key, lic in kb.licenses.items()}
        self._by_name: dict[str, License] = {}
        self._families: dict[str, Family] = {}
        self._by_url: dict[str, License] = {}
        # Creative Commons names by their words in any order; a key two entries share is dropped.
        self._by_words: dict[str, License | Family | None] = {}
        self._memo: dict[str | None, Resolution] = {}
        # One-word names count in prose only when they are a license's own id ("MIT", "ISC"),
        # not a name that lost its filler words ("UIUC License" -> "uiuc").
        self._single_word_ids = {
            key
            for name in (*(lic.id for lic in kb.licenses.values()), *kb.families)
            if " " not in (key := normalize_name(name))
        }
        # Knowledge entries with phrases are restrictions stated in prose ("research only").
        self._restrictions = {lic.id: lic for lic in kb.licenses.values() if lic.phrases}
        self._phrases = [
            (re.compile(pattern, re.IGNORECASE), lic)
            for lic in kb.licenses.values()
            for pattern in lic.phrases
        ]
        for lic in kb.licenses.values():
            for name in (lic.id, lic.name, *lic.aliases):
                self._index(self._by_name, normalize_name(name), lic, name)
            for url in lic.urls:
                self._index(self._by_url, normalize_url(url), lic, url)
        # Names read only as a whole value, and other names of a family: never inside prose.
        self._whole: dict[str, License | Family] = {}
        for alias in kb.aliases:
            target = kb.licenses.get(alias.license) or kb.families[alias.license]
            if alias.whole_value or isinstance(target, Family):
                self._whole[normalize_name(alias.alias)] = target
            else:
                self._index(self._by_name, normalize_name(alias.alias), target, "")
        phrases = kb.expression_phrases
        self.placeholders = phrases.placeholders if phrases else _NO_PLACEHOLDERS
        self._or_later = _any_of(phrases.or_later if phrases else ())
        self._choice = _any_of(phrases.choice if phrases else ())
        self._not_license = _any_of(phrases.not_license if phrases else ())
        # A word that begins a dataset's name ("MIT Scene Parsing Benchmark", "MIT-BIH Arrhythmia
        # Database"): capitalised words, then a word that names a dataset.
        self._dataset_name = re.compile(
            r"\b[A-Za-z]\w*(?=(?:[\s-]+(?-i:[A-Z]\w*)){0,3}[\s-]+(?:"
            + self._not_license.pattern
            + "))",
            re.IGNORECASE,
        )
        self._limiting = [
            re.compile(p, re.IGNORECASE) for p in (phrases.limiting if phrases else ())
        ]
        self._withholding = _any_of(phrases.withholding if phrases else ())
        self._scope = _any_of(phrases.scope if phrases else ())
        self._covers_whole = _any_of(phrases.whole if phrases else ())
        for family in kb.families.values():
            for name in (family.id, family.name, *family.aliases):
                key = normalize_name(name)
                if key in self._by_name:
                    raise InputError("rules/licenses", f"family name '{name}' is also a license")
                self._families[key] = family
        entries: list[tuple[str, License | Family]] = [
            *self._by_name.items(),
            *self._families.items(),
        ]
        for key, entry in entries:
            words = word_order_key(key)
            if words is not None:
                seen = self._by_words.setdefault(words, entry)
                self._by_words[words] = entry if seen is entry else None

    @staticmethod
    def _index(table: dict[str, License], key: str, lic: License, shown: str) -> None:
        other = table.get(key)
        if other is not None and other.id != lic.id:
            raise InputError(
                "rules/licenses", f"'{shown}' names both {other.id} and {lic.id} in the rules"
            )
        table[key] = lic

    def resolve_dataset(self, licenses: Sequence[Fact], notes: Sequence[Fact] = ()) -> Resolution:
        """Resolve a dataset's license values (all apply) with its license notes as fallback.

        Notes (a ``license_name``, ``license_details`` or licensing prose) are consulted only when
        the license values say nothing resolvable, e.g. ``license: other``.
        """
        parts = [self.resolve(fact.value) for fact in licenses]
        if all(p.status is Status.UNKNOWN and p.tree is None for p in parts):
            for note in notes:
                found = self.resolve(note.value)
                if found.status is not Status.UNKNOWN:
                    raw = parts[0].raw if len(parts) == 1 else _raw_list(licenses)
                    where = f" {note.origin}" if note.origin else ""
                    return Resolution(
                        raw or note.value,
                        found.status,
                        f"from the license{where} {note.value!r}: {found.evidence}",
                        found.tree,
                        found.expression,
                    )
        if not parts:
            return self.resolve(None)
        return combine(parts, _raw_list(licenses))

    def resolve(self, raw: str | None) -> Resolution:
        found = self._memo.get(raw)
        if found is None:
            if len(self._memo) >= _MEMO_SIZE:
                # Bounded: a long-lived process (the Python API, a scan of distinct values)
                # must not keep every string it ever saw; the oldest half goes.
                for key in list(self._memo)[: _MEMO_SIZE // 2]:
                    del self._memo[key]
            found = self._memo[raw] = self._resolve(raw)
        return found

    def _resolve(self, raw: str | None) -> Resolution:
        if raw is None:
            return _unknown(raw, "no license given: all rights reserved unless stated otherwise")
        text = " ".join(raw.split())
        if text.lower() in self.placeholders.every:
            return _unknown(raw, f"placeholder {text!r}: no license stated")
        lic = self._by_id.get(text.lower())
        if lic is not None:
            return _single(raw, Status.EXACT, lic, f"license id {lic.id}")
        if text.lower() in self._spdx_keys:
            # A (possibly deprecated) SPDX id such as GPL-2.0: SPDX says what it means.
            return self._resolve_expression(raw, text)
        named = self._find_name(text)
        if named is not None:
            partial, remarks = named
            found = partial.with_raw(raw)
            return self._with_remarks(found, text) if remarks else found
        if text.lower().startswith("other-") and len(text) > 6:
            # Legacy Hugging Face cards: "other-<free text>" (before July 2022).
            inner = self.resolve(text[6:])
            return Resolution(
                raw,
                inner.status,
                f"legacy 'other-' value: {inner.evidence}",
                inner.tree,
                inner.expression,
            )
        if _URL.match(text):
            return self._resolve_url(raw, text)
        later = self._resolve_or_later(raw, text)
        if later is not None:
            return later
        return self._resolve_expression(raw, text)

    def _resolve_or_later(self, raw: str, text: str) -> Resolution | None:
        """One license name and "or later" ("CC BY-SA 3.0 or later", "GPL v2 or any later
        version"): the licensee may choose that version or a later one, so the "-or-later" id
        where one exists, else the version named (a later version of one license keeps its
        elements, and judging by the one named is never more permissive than the choice)."""
        hit = self._or_later.search(text)
        if hit is None or hit.start() == 0:
            return None
        named = self.resolve(text[: hit.start()])
        tree, status = named.tree, max(named.status, Status.ALIAS, key=lambda s: s.rank)
        if isinstance(tree, AllOf) and tree.ambiguous:
            # "GNU GPL v3 or later": of the family's "only" and "or later" ids, the latter.
            later_ids = [x for x in leaves(tree) if x.key.endswith("-or-later")]
            if len(later_ids) == 1:
                tree, status = later_ids[0], Status.ALIAS
        if not isinstance(tree, Leaf) or tree.license is None or named.status is Status.UNKNOWN:
            return None
        base = tree.key.removesuffix("-only").removesuffix("-or-later")
        later = self._by_id.get(f"{base}-or-later".lower())
        if later is not None:
            leaf, how = Leaf(later.id, later), f"{later.id}, that version or a later one"
        else:
            leaf, how = tree, f"judged by the version named, {tree.key}"
        evidence = f"{named.evidence}; {hit.group(0).strip()!r}: {how}"
        return Resolution(raw, status, evidence, leaf, render(leaf))

    def _find_name(self, text: str) -> tuple[_Partial, bool] | None:
        """A known name or family, and whether parenthetical remarks were left out to find it."""
        key = normalize_name(text)
        whole = self._whole.get(key)
        if whole is None and _CC_CODES.match(key):
            key = f"cc {key}"
        found = self._partial(whole) if whole is not None else self._named(key)
        if found is not None:
            # Letters the name key cannot hold (other scripts) are remarks to read, not nothing.
            return found, any(char.isalpha() and not char.isascii() for char in text)
        if "(" in text:
            # "The MIT License (MIT)", "Open Database License (ODbL) v1.0", but also
            # "MIT (non-commercial use only)": the caller reads the remarks.
            found = self._named(normalize_name(_PARENTHESES.sub(" ", text)))
            if found is not None:
                return found, True
        return None

    def _named(self, key: str) -> _Partial | None:
        entry: License | Family | None = self._families.get(key) or self._by_name.get(key)
        if entry is None:
            # Called for every window of prose: the substring test first, as most have no "cc".
            if ("cc" not in key and "attribution" not in key) or (
                words := word_order_key(key)
            ) is None:
                return None
            entry = self._by_words.get(words)
        return self._partial(entry)

    def _partial(self, entry: License | Family | None) -> _Partial | None:
        match entry:
            case None:
                return None
            case Family():
                tree = AllOf(
                    tuple(Leaf(c, self.kb.licenses[c]) for c in entry.candidates),
                    ambiguous=True,
                    label=entry.id,
                )
                evidence = f"{entry.name}: could be any of {len(entry.candidates)} licenses"
                return _Partial(Status.AMBIGUOUS, tree, evidence)
            case License():
                return _Partial(Status.ALIAS, Leaf(entry.id, entry), f"known name of {entry.id}")

    def _resolve_url(self, raw: str, text: str) -> Resolution:
        key = normalize_url(text)
        lic = self._by_url.get(key)
        if lic is not None:
            return _single(raw, Status.URL, lic, f"URL of {lic.id}")
        unversioned = _CC_FAMILY_URL.match(key)
        if unversioned is not None:
            family = self._named(normalize_name(f"CC {unversioned['elements']}"))
            if family is not None:
                return family.with_raw(raw)
        cc = _CC_URL.match(key)
        if cc is not None:
            lic = self._cc_from_url(cc)
            if lic is not None:
                return _single(raw, Status.URL, lic, f"Creative Commons URL for {lic.id}")
        for prefix in _ID_URLS:
            if key.startswith(prefix):
                inner = self.resolve(key[len(prefix) :])
                if inner.tree is not None and inner.status is not Status.UNKNOWN:
                    return Resolution(
                        raw,
                        Status.URL,
                        f"URL naming {inner.expression}",
                        inner.tree,
                        inner.expression,
                    )
        return _unknown(raw, "a URL that does not identify a known license")

    def _cc_from_url(self, match: re.Match[str]) -> License | None:
        """A Creative Commons license URL, including jurisdiction ports SPDX does not list.

        A port (``/3.0/es/``) keeps the license elements (BY, NC, ND, SA) of its version; when the
        port is not on the SPDX list it is judged by the terms of the unported version, under an
        id that names the port.
        """
        elements = match["elements"].replace("by-nd-nc", "by-nc-nd")
        base = f"cc-{elements}-{match['version']}"
        port = match["port"]
        if not port:
            return self._by_id.get(base)
        exact = self._by_id.get(f"{base}-{port}")
        # Licenses off the SPDX list (the 1.0 NonCommercial ones) are known by their URL only.
        unported = self._by_id.get(base) or self._by_url.get(
            f"creativecommons.org/licenses/{match['elements']}/{match['version']}"
        )
        if exact is not None or unported is None:
            return exact
        port_id = f"LicenseRef-{unported.id.removeprefix('LicenseRef-')}-{port.upper()}"
        url = f"https://creativecommons.org/licenses/{match['elements']}/{match['version']}/{port}/"
        return License(
            id=port_id,
            name=f"{unported.name} ({port.upper()} port)",
            terms=unported.terms,
            source=Source(
                url=url,
                version=f"{match['version']} {port.upper()} port; terms of {unported.id}",
            ),
            notes=f"Jurisdiction port not on the SPDX License List; judged as {unported.id}.",
        )

    def _resolve_expression(self, raw: str, text: str) -> Resolution:
        try:
            parsed = self._licensing.parse(text, validate=False, simple=False)
        except (ExpressionError, *_PARSER_FAULTS):
            # The parser also fails with internal errors on some malformed input ("( AND MIT").
            return self._resolve_malformed(raw, text)
        if parsed is None:
            return self._resolve_text(raw, text)
        notes: list[str] = []
        exceptions: list[str] = []
        tree = self._convert(parsed, notes, exceptions, text.lower())
        unknown = [leaf.key for leaf in leaves(tree) if leaf.license is None]
        expression: str | None = render(tree)
        if isinstance(tree, Leaf) and tree.license is None:
            if tree.key.startswith("LicenseRef-") or self._is_spdx_id(tree.key):
                evidence = f"{tree.key} is a valid id, but its terms are not in the knowledge base"
                return Resolution(raw, Status.UNKNOWN, evidence, tree, expression)
            return self._resolve_text(raw, text)
        if any(" " in key for key in unknown):
            # Prose that happens to contain "and" or "or" ("for research and education only"):
            # read it as text; keep the expression reading only if the text says nothing known.
            as_text = self._resolve_text(raw, text)
            if as_text.status is not Status.UNKNOWN:
                return as_text
        if _has_family(tree):
            status = Status.AMBIGUOUS
            evidence = "; ".join(notes) or "expression naming a license family"
            expression = None
        elif unknown:
            status = Status.UNKNOWN
            evidence = f"expression with unknown parts: {', '.join(unknown)}"
        elif notes:
            status, evidence = Status.ALIAS, "; ".join(notes)
        else:
            status, evidence = Status.EXACT, "SPDX license expression"
        found = Resolution(raw, status, evidence, tree, expression)
        # "MIT with non-commercial use only" parses as MIT WITH an exception that is not one.
        return self._with_remarks(found, text) if exceptions else found

    def _resolve_malformed(self, raw: str, text: str) -> Resolution:
        """Text the expression parser rejects: an incomplete expression ("MIT AND", "(MIT OR")
        is unknown, whatever it names; anything else is read as prose."""
        if not _INCOMPLETE.search(text) and not (
            text.count("(") != text.count(")") and _OPERATOR.search(text)
        ):
            return self._resolve_text(raw, text)
        named = [node for _, node in self._read(text)]
        evidence = (
            f"incomplete license expression {text!r}: an operator without its operand or an "
            "unclosed parenthesis; what is missing is unknown"
        )
        return Resolution(raw, Status.UNKNOWN, evidence, AllOf((*named, Leaf(text, None))), None)

    def _with_remarks(self, found: Resolution, text: str) -> Resolution:
        """``found``, recognised in part of ``text``, and whatever the rest of the text adds.

        The words beside a recognised license ("MIT (non-commercial use only)", "CC BY 4.0
        (except images: CC BY-NC)") may restrict it: the whole text is read as prose, and every
        license and restriction it mentions that ``found`` does not carry already applies too.
        The result is then no more certain than a reading of text.
        """
        assert found.tree is not None
        if isinstance(found.tree, AllOf) and found.tree.ambiguous:
            # "Creative Commons (CC BY 4.0)": the remarks name which member the family stands for.
            as_text = self._resolve_text(found.raw or text, text)
            if as_text.tree is not None and not _has_family(as_text.tree):
                return as_text
        keys = {leaf.key for leaf in leaves(found.tree)}
        added = [
            (said, node)
            for said, node in self._read(text)
            if not self._carried(node, found.tree, keys)
        ]
        if not added:
            return found
        tree = found.tree
        items = tree.items if isinstance(tree, AllOf) and not tree.ambiguous else (tree,)
        tree = AllOf((*items, *(node for _, node in added)))
        return Resolution(
            found.raw,
            max(found.status, Status.TEXT, key=lambda status: status.rank),
            f"{found.evidence}; the rest of the text adds {_said(added)}: all apply",
            tree,
            None if _has_family(tree) else render(tree),
        )

    def _carried(self, node: Node, tree: Node, keys: set[str]) -> bool:
        """Whether ``tree`` (with license ``keys``) already says what ``node`` says."""
        restriction = self._restriction(node)
        if restriction is not None:
            return _carries(tree, restriction.terms)
        if isinstance(node, AllOf) and node.ambiguous:
            # A family ("CC BY") beside one of its members ("CC BY 4.0") adds nothing.
            return any(leaf.key in keys for leaf in leaves(node))
        return all(leaf.key in keys for leaf in leaves(node))

    def _is_spdx_id(self, key: str) -> bool:
        return key.lower() in self._spdx_keys

    def _resolve_text(self, raw: str, text: str) -> Resolution:
        """Heuristic reading of prose: the licenses, URLs and restrictive phrases it mentions.

        "This work is licensed under a Creative Commons Attribution-NonCommercial 4.0 License",
        "released under the [Apache-2.0 License](http://www.apache.org/licenses/LICENSE-2.0)",
        "for non-commercial research purposes only". Every mention applies (the worst case); a
        match is always reported with status ``text``, never as exact. Text that states only
        restrictions that still allow commercial use ("no derivatives") names no license: unknown.
        """
        found = self._read(text)
        if not found:
            return _unknown(raw, "not a recognised license id, name, URL or expression")
        nodes = [node for _, node in found]
        said = _said(found)
        grants = [node for node in nodes if self._restriction(node) is None]
        if (
            len(grants) == 2
            and self._choice.search(text) is not None
            and _CLAUSE_BREAK.search(text.strip()) is None
        ):
            # "dual licensed under MIT and Apache 2.0", "either MIT or Apache-2.0 at your option":
            # the licenses are alternatives; restrictions the text states still apply to each.
            restrictions = [node for node in nodes if node not in grants]
            nodes = [AnyOf(tuple(grants)), *restrictions]
            said += " (as alternatives)"
        tree: Node = nodes[0] if len(nodes) == 1 else AllOf(tuple(nodes))
        if all(self._restriction(node) is not None for node in nodes) and (
            commercial_use(leaves(tree)) is CommercialUse.ALLOWED
        ):
            # "No derivatives" limits a grant that the text does not make: no license is named,
            # so all rights are reserved, and the restriction is kept beside that.
            evidence = f"the text states restrictions ({said}) but names no license"
            return Resolution(
                raw, Status.UNKNOWN, evidence, AllOf((*nodes, Leaf(text, None))), None
            )
        expression = None if _has_family(tree) else render(tree)
        return Resolution(
            raw, Status.TEXT, f"heuristic: the text mentions {said}", tree, expression
        )

    def _read(self, text: str) -> list[tuple[str, Node]]:
        """What ``text`` says about its license, each with the words that said it: the licenses
        and license URLs it mentions and the restrictions its phrases state.

        Every mention applies. A family is left out when one of its members is named, and a
        restriction when a license named beside it carries it already ("CC BY-NC 4.0, for
        non-commercial use" says no more than CC BY-NC 4.0).
        """
        found: dict[str, tuple[str, Node]] = {}  # key -> (what the text said, node)
        for match in _URL_IN_TEXT.finditer(text):
            url = match.group(0).rstrip(".,;:")
            resolved = self.resolve(url)
            if resolved.tree is not None and resolved.status is not Status.UNKNOWN:
                found.setdefault(render(resolved.tree), (url, resolved.tree))
        for said, partial in self._mentions(text):
            found.setdefault(render(partial.tree), (said, partial.tree))
        read = False  # whether a known phrase read a restriction
        for pattern, lic in self._phrases:
            hit = pattern.search(text)
            if hit is not None:
                found.setdefault(lic.id, (hit.group(0), Leaf(lic.id, lic)))
                read = True
        # Limits are looked for only where no known phrase read a restriction already, and no
        # license named forbids commercial use already (a limit could add nothing to that).
        prohibited = any(
            commercial_use(leaves(node)) is CommercialUse.PROHIBITED for _, node in found.values()
        )
        unread = len(text.split()) <= _MAX_REMARK_WORDS and not read and not prohibited
        for pattern in self._limiting if unread else ():
            hit = pattern.search(text)
            if hit is not None:
                # Words that limit the use, which no known phrase reads: a restriction whose
                # terms are unknown, never nothing ("MIT (educational use only)").
                found.setdefault(UNREAD, (hit.group(0), Leaf(UNREAD, None)))
                break
        grants = [node for _, node in found.values() if self._restriction(node) is None]
        if unread and UNREAD not in found and grants:
            # Beside a license it names, a short value may deny it ("not CC0"), keep the rights
            # ("All rights reserved, CC0 metadata") or, naming one license only, say which part
            # of the data it covers ("MIT; images: copyright their owners"): the license alone
            # would say more than the text, so a restriction whose terms are unknown is added.
            hit = self._withholding.search(text)
            if (
                hit is None
                and len({render(node) for node in grants}) == 1
                and self._covers_whole.search(text) is None
            ):
                hit = self._scope.search(text)
            if hit is not None:
                found[UNREAD] = (hit.group(0), Leaf(UNREAD, None))
        kept = _drop_covered([node for _, node in found.values()])
        for node in list(kept):
            restriction = self._restriction(node)
            if restriction is not None and any(
                _carries(other, restriction.terms) for other in kept if other is not node
            ):
                kept.remove(node)
        return [(said, node) for said, node in found.values() if node in kept]

    def _restriction(self, node: Node) -> License | None:
        """The terms ``node`` stands for if it is a restriction stated in prose, not a license."""
        return self._restrictions.get(node.key) if isinstance(node, Leaf) else None

    def _mentions(self, text: str) -> list[tuple[str, _Partial]]:
        """Known license names in ``text``, longest first, not overlapping.

        A one-word name ("MIT", "Apache") counts only in short texts or where the text speaks of
        a license, so "collected at MIT" is not read as the MIT License.
        """
        # A one-word license name that begins a dataset's name is the dataset's, not a license;
        # only names of unrestricted licenses are dropped, so dropping one never permits more.
        text = self._dataset_name.sub(
            lambda m: " " if self._unrestricted_word(normalize_name(m.group(0))) else m.group(0),
            text,
        )
        tokens = normalize_name(text).split()
        # A short value that names a dataset ("Apache Spark logs", "MIT-BIH Arrhythmia Database",
        # "Apache Software Foundation mailing list archives") is not a license, unless it speaks
        # of one: no name in it is read.
        speaks = _LICENSE_WORDS.search(text) is not None
        if not speaks and len(tokens) <= 6 and self._not_license.search(text) is not None:
            return []
        licensey = speaks or len(tokens) <= 6
        taken = [False] * len(tokens)
        out: list[tuple[str, _Partial]] = []
        for size in range(min(_MAX_NAME_TOKENS, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                if any(taken[start : start + size]):
                    continue
                key = " ".join(tokens[start : start + size])
                partial = self._named(key)
                if partial is None:
                    continue
                if size == 1 and not (licensey and key in self._single_word_ids):
                    continue
                taken[start : start + size] = [True] * size
                out.append((key, partial))
        return out

    def _unrestricted_word(self, key: str) -> bool:
        """Whether ``key`` is a one-word name whose every reading allows commercial use freely."""
        found = self._named(key) if key in self._single_word_ids else None
        return found is not None and all(
            leaf.license is not None
            and leaf.license.terms.commercial_use is CommercialUse.ALLOWED
            and not leaf.license.terms.use_restricted
            and not leaf.license.terms.research_only
            for leaf in leaves(found.tree)
        )

    def _convert(self, node: Any, notes: list[str], exceptions: list[str], text: str) -> Node:
        """The parsed expression ``node`` as a tree; ``exceptions`` collects the exceptions that
        are not on the SPDX list (prose such as "with non-commercial use only")."""
        if isinstance(node, LicenseWithExceptionSymbol):
            base = self._symbol(node.license_symbol, notes, text)
            exception = str(node.exception_symbol.key)
            if exception.lower() not in self._spdx_exceptions:
                exceptions.append(exception)
                if " " in exception:
                    # Words, not an exception id: the caller reads them as prose.
                    notes.append(f"{exception!r} after WITH is not an exception id")
                    return base
                # An id that is not an SPDX exception ("MIT WITH Commons-Clause"): an addition
                # whose terms are unknown, so never the base license alone.
                return AllOf((base, Leaf(exception, None)))
            if isinstance(base, Leaf):
                return Leaf(base.key, base.license, exception=exception)
            return AllOf(
                tuple(Leaf(x.key, x.license, exception=exception) for x in leaves(base)),
                ambiguous=True,
                label=base.label if isinstance(base, AllOf) else None,
            )
        if isinstance(node, LicenseSymbol):
            return self._symbol(node, notes, text)
        items = tuple(self._convert(arg, notes, exceptions, text) for arg in node.args)
        if isinstance(node, self._licensing.OR):
            return AnyOf(items)
        return AllOf(items)

    def _symbol(self, symbol: LicenseSymbol, notes: list[str], text: str) -> Node:
        key = str(symbol.key)
        lic = self._by_id.get(key.lower())
        if lic is not None:
            if key.lower() not in text:
                notes.append(f"deprecated SPDX id read as {key}")
            return Leaf(lic.id, lic)
        named = self._named(normalize_name(key))
        if named is not None:
            notes.append(f"{key!r}: {named.evidence}")
            return named.tree
        return Leaf(key, None)


class _Partial:
    def __init__(self, status: Status, tree: Node, evidence: str) -> None:
        self.status, self.tree, self.evidence = status, tree, evidence

    def with_raw(self, raw: str) -> Resolution:
        expression = None if self.status is Status.AMBIGUOUS else render(self.tree)
        return Resolution(raw, self.status, self.evidence, self.tree, expression)


def _any_of(patterns: Sequence[str]) -> re.Pattern[str]:
    """One case-insensitive regex for any of ``patterns`` (one that never matches if none)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)


def _has_family(node: Node) -> bool:
    match node:
        case Leaf():
            return False
        case AllOf(items=items, ambiguous=ambiguous):
            return ambiguous or any(_has_family(i) for i in items)
        case AnyOf(items=items):
            return any(_has_family(i) for i in items)


def _carries(node: Node, wanted: LicenseTerms) -> bool:
    """Whether every reading of ``node`` is at least as restrictive as ``wanted``."""
    match node:
        case Leaf():
            return node.license is not None and _at_least(node.license.terms, wanted)
        case AllOf(items=items, ambiguous=False):
            return any(_carries(item, wanted) for item in items)
        case AllOf(items=items) | AnyOf(items=items):
            return all(_carries(item, wanted) for item in items)


_RESTRICTION_FLAGS = tuple(
    name for name, field in LicenseTerms.model_fields.items() if field.annotation is bool
)


def _at_least(terms: LicenseTerms, wanted: LicenseTerms) -> bool:
    """``terms`` forbid commercial use at least as much as ``wanted``, and carry its flags."""
    return terms.commercial_use.rank >= wanted.commercial_use.rank and all(
        getattr(terms, flag) for flag in _RESTRICTION_FLAGS if getattr(wanted, flag)
    )


def _said(found: Sequence[tuple[str, Node]]) -> str:
    return "; ".join(sorted({repr(what) for what, _ in found}))


def _drop_covered(nodes: list[Node]) -> list[Node]:
    """Drop what a more specific mention covers: a family ("Creative Commons") when one of its
    members is named, and an unported CC license when its jurisdiction port is named."""
    named = {n.key for n in nodes if isinstance(n, Leaf)}
    ported = {
        key
        for key in named
        for other in named
        if other.startswith(f"LicenseRef-{key.removeprefix('LicenseRef-')}-")
    }

    def covered(node: Node) -> bool:
        if isinstance(node, AllOf) and node.ambiguous:
            return bool(named & {x.key for x in leaves(node)})
        return isinstance(node, Leaf) and node.key in ported

    return [n for n in nodes if not covered(n)]


def _raw_list(facts: Sequence[Fact]) -> str:
    if len(facts) == 1:
        return facts[0].value
    return "[" + ", ".join(f.value for f in facts) + "]"


def _single(raw: str, status: Status, lic: License, evidence: str) -> Resolution:
    return Resolution(raw, status, evidence, Leaf(lic.id, lic), lic.id)


def _unknown(raw: str | None, evidence: str) -> Resolution:
    return Resolution(raw, Status.UNKNOWN, evidence, None, None)


_RESOLVERS: dict[int, tuple[KnowledgeBase, Resolver]] = {}


def resolver_for(kb: KnowledgeBase) -> Resolver:
    """The memoising resolver of ``kb`` (built once per knowledge base)."""
    entry = _RESOLVERS.get(id(kb))
    if entry is None or entry[0] is not kb:
        entry = _RESOLVERS[id(kb)] = (kb, Resolver(kb))
    return entry[1]
