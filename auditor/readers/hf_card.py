"""Hugging Face dataset cards: the YAML front matter of a ``README.md``, with its license prose.

The metadata sits between a first ``---`` line and the next one; the rest is the card text. The
block is found as the Hub finds it (``huggingface_hub.repocard``): blank lines and spaces may come
before the opening ``---``, and lines may end in LF, CRLF or CR; a ``---`` followed by spaces or a
block closed by YAML's ``...`` is read too, since a claim read is never more permissive than one
missed. A card whose block is opened but never closed is an input error. Beside
the ``license`` values (a string, a list, legacy ``licenses:`` also per config, legacy
``other-<text>``), the reader keeps as license notes what explains them: ``license_name``,
``license_link``, legacy ``license_details``, the free-text ``license`` of each config in a sibling
``dataset_infos.json``, the card's "Licensing Information" section (and every section titled
about its terms), and, wherever it stands, a paragraph whose words speak of a license or a
restriction (origin ``card text``: it may restrict what other claims grant, never grant alone; see
:mod:`auditor.evidence`). Gate prompts and gate form
fields are terms; ``source_datasets`` is lineage (``original`` has no upstream, ``extended|<id>``
derives from ``<id>``). The card's "Citation" section is the credit asked for; when it is one
BibTeX entry, its ``author`` names the creators (the metadata's ``annotations_creators`` are kinds
of creators, such as ``crowdsourced``, not names). One card is one dataset, named after its
folder (the repo name).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor import document
from auditor.document import Document, PathKey
from auditor.errors import InputError
from auditor.model import CARD_TEXT, Dataset, Fact, Location
from auditor.readers.references import reference

FORMAT = "hf-card"

# Keys of a dataset card's metadata; a Markdown file not named README.md is a card if it has one.
_CARD_KEYS = frozenset(
    {
        "license",
        "licenses",
        "license_name",
        "license_details",
        "pretty_name",
        "annotations_creators",
        "language_creators",
        "source_datasets",
        "task_categories",
        "task_ids",
        "size_categories",
        "dataset_info",
        "extra_gated_prompt",
        "paperswithcode_id",
    }
)
_MARKDOWN = frozenset({".md", ".markdown"})
_FENCES = frozenset({"---", "..."})
_LINE_BREAK = re.compile(r"\r\n?")
_LICENSING_HEADING = re.compile(r"^#{1,6}\s*licen[cs]ing information\s*#*\s*$", re.IGNORECASE)
_CITATION_HEADING = re.compile(
    r"^#{1,6}\s*citation(\s+information)?\s*(\[optional\])?\s*#*\s*$", re.IGNORECASE
)
_HEADING = re.compile(r"^#{1,6}\s")
_ATX = re.compile(r"^(?P<marks>#{1,6})\s+(?P<title>.*)$")
_SETEXT = re.compile(r"^\s*(?:={3,}|-{3,})\s*$")
_BOLD_TITLE = re.compile(r"^\*\*(?P<title>[^*]{1,80})\*\*:?$")
# A section title about the data's license or terms, in the words cards use.
_TERMS_TITLE = re.compile(
    r"licen[cs]|lizenz|licencia|terms|conditions|usage|intended\s+use|copyright|permission"
    r"|restriction|legal",
    re.IGNORECASE,
)
# Citation sections that cite nothing ("No citation available.", "[N/A]", "To be added soon!").
_NO_CITATION = re.compile(
    r"^\[?\s*(no (citation|paper)\b.*|not available|unknown|n/?a|none|tb[ad]|to be added.*)"
    r"\s*\]?\W*$",
    re.IGNORECASE | re.DOTALL,
)
# Words by which prose outside the license sections speaks of a license or a restriction: such a
# paragraph is read like a Licensing section (the resolver decides what, if anything, it says).
_LICENSE_PROSE = re.compile(
    r"licen[cs]|copyright|creative\s+commons|\bcc[-\s]?(?:by|0\b|zero)|public\s+domain"
    r"|terms\s+of\s+(?:use|service)|non-?\s?commercial|research\s+(?:use|purposes?)"
    r"|all\s+rights\s+reserved|proprietary",
    re.IGNORECASE,
)
_TOC_LINE = re.compile(r"^\s*[-*+]\s*\[[^\]]*\]\(#[^)]*\)\s*$")  # "- [Licensing Information](#...)"
_CODE_SPAN = re.compile(r"`[^`]*`")
_FENCE = re.compile(r"^\s*(```|~~~)")
_LABEL = re.compile(r"^\s*\*\*[^*]+:\*\*\s*$")  # "**BibTeX:**" in the card template
_BIBTEX_ENTRY = re.compile(r"@\w+\s*[{(]")
_BIBTEX_AUTHOR = re.compile(r"\bauthor\s*=\s*([{\"])", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+")
_PLACEHOLDER = re.compile(
    r"^\[?\s*(more information needed|needs more information)\s*\]?(\([^)]*\))?\.?$", re.IGNORECASE
)
_INFOS_LICENSE = re.compile(r'"license"\s*:\s*"')
_INFOS = "dataset_infos.json"
_MACHINE = "machine-generated"
_ENTRY_FIELDS = frozenset({"text", "country", "date_picker", "select"})


@dataclass(frozen=True)
class Card:
    """A card file as the reader needs it: the metadata, and license notes found beside it."""

    meta: dict[str, Any]
    readme: bool  # the file is named README.md
    notes: tuple[Fact, ...]  # dataset_infos.json licenses and the Licensing Information section
    citation: Fact | None = None  # the Citation section


def load(path: Path) -> Document | None:
    """Parse a Markdown file's front matter; ``None`` for files that are not Markdown."""
    if path.suffix.lower() not in _MARKDOWN:
        return None
    return parse(document.read_text(path), path.as_posix(), file=path)


def sniff(text: str) -> bool:
    """Whether ``text`` (of no known suffix: standard input) is a card: a '---' line first, and
    another later (YAML allows one document only, so such text is no YAML manifest)."""
    opening = _OPENING.match(text)
    return opening is not None and _CLOSING.search(text, opening.end()) is not None


_OPENING = re.compile(r"\s*---[ \t]*(\r\n?|\n)")
_CLOSING = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


def parse(text: str, name: str, *, file: Path | None = None) -> Document:
    """A card's front matter and license notes; ``file`` is the card's (its name says whether it
    is a README, its folder may hold ``dataset_infos.json``), None for standard input."""
    lines = _LINE_BREAK.sub("\n", text).split("\n")
    readme = file is not None and file.name.lower() == "readme.md"
    start = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if lines[start].strip() != "---":
        if readme and file is not None:
            # A card with no metadata at all: one dataset, no declared license (a finding on it,
            # not an input error); its Licensing Information prose is still read.
            notes = (*_infos_notes(file), *_licensing_notes(lines, 0, name))
            card = Card({}, True, notes, _citation(lines, 0, name))
            return Document(name, card, {(): 1})
        raise InputError(
            name,
            "no YAML front matter: a dataset card starts with a '---' line, its metadata, "
            "and another '---' line",
            start + 1,
        )
    end = next((i for i in range(start + 1, len(lines)) if lines[i].rstrip() in _FENCES), None)
    if end is None:
        raise InputError(name, "the YAML front matter is not closed by a '---' line", start + 1)
    # Blank lines stand in for the lines up to the opening '---', so YAML's line numbers are
    # the file's.
    front = document.parse_yaml("\n" * (start + 1) + "\n".join(lines[start + 1 : end]), name)
    if not isinstance(front.data, dict):
        what = "empty" if front.data is None else "not a mapping of metadata keys"
        raise InputError(name, f"the YAML front matter is {what}", start + 1)
    infos = _infos_notes(file) if file is not None else ()
    notes = (*infos, *_licensing_notes(lines, end + 1, name))
    card = Card(front.data, readme, notes, _citation(lines, end + 1, name))
    return Document(name, card, front.lines)


def detect(doc: Document) -> bool:
    card = doc.data
    return isinstance(card, Card) and (card.readme or not _CARD_KEYS.isdisjoint(card.meta))


def read(doc: Document) -> tuple[str | None, tuple[Dataset, ...]]:
    card = doc.data
    if not isinstance(card, Card):
        raise doc.error((), "not a dataset card: expected Markdown with YAML front matter")
    meta = card.meta

    def at(key: PathKey) -> Location:
        return Location(path=doc.path, line=doc.line(key))

    def facts(key: str) -> list[Fact]:
        return [
            Fact(value=v, location=at(k), origin=key) for k, v in _strings(meta.get(key), (key,))
        ]

    licenses = [*facts("license"), *facts("licenses")]
    notes = [
        # Legacy "other-<text>": the text names the license; keep the raw value as the license.
        *(
            fact.model_copy(update={"value": fact.value[len("other-") :]})
            for fact in licenses
            if fact.value.lower().startswith("other-") and len(fact.value) > len("other-")
        ),
        *facts("license_name"),
        *facts("license_link"),
        *facts("license_details"),
        *card.notes,
    ]
    link = meta.get("license_link")
    terms = [
        *facts("extra_gated_prompt"),
        *facts("extra_gated_description"),
        *_gate_fields(meta.get("extra_gated_fields"), at),
    ]
    if meta.get("extra_gated_eu_disallowed") is True:
        terms.append(
            Fact(
                value="extra_gated_eu_disallowed: true",
                location=at(("extra_gated_eu_disallowed",)),
                origin="extra_gated_eu_disallowed",
            )
        )
    derived = [
        Fact(value=upstream, location=at(key), origin="source_datasets")
        for key, value in _strings(meta.get("source_datasets"), ("source_datasets",))
        if (upstream := _upstream(value)) is not None
    ]
    creators = [
        value
        for field in ("annotations_creators", "language_creators")
        for _, value in _strings(meta.get(field), (field,))
    ]
    pretty = meta.get("pretty_name")
    citation = card.citation
    authors = (
        tuple(
            Fact(value=author, location=citation.location, origin="Citation (BibTeX author)")
            for author in _bibtex_authors(citation.value)
        )
        if citation
        else ()
    )
    dataset = Dataset(
        id=_card_id(doc.path),
        name=pretty.strip() if isinstance(pretty, str) and pretty.strip() else None,
        location=Location(path=doc.path, line=1),
        licenses=tuple(licenses),
        license_notes=tuple(notes),
        license_url=link.strip() if isinstance(link, str) and "://" in link else None,
        derived_from=tuple(derived),
        creators=authors,
        attribution=(citation,) if citation else (),
        terms=tuple(terms),
        # Cards never name the generating model, so "machine-generated" is all there is.
        machine_generated=_MACHINE in creators,
    )
    return dataset.name, (dataset,)


def _card_id(path: str) -> str:
    """The card's folder name: the repo name on the Hub (``squad``, ``imagenet-1k``)."""
    folder = Path(path).parent
    return folder.name or Path.cwd().name


def _strings(node: Any, key: PathKey) -> Iterator[tuple[PathKey, str]]:
    """Every scalar in a value that may be a string, a list, or a mapping (one list per config)."""
    if isinstance(node, str):
        if node.strip():
            yield key, node.strip()
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _strings(item, (*key, index))
    elif isinstance(node, dict):
        for name, item in node.items():
            yield from _strings(item, (*key, name))
    elif isinstance(node, bool):
        yield key, str(node).lower()
    elif node is not None:  # a number, a date: kept as written, never dropped
        yield key, str(node)


def _upstream(value: str) -> str | None:
    """The upstream a ``source_datasets`` value names, or None for ``original``.

    ``extended|<id>`` and a bare id name a Hub dataset (``hf://<id>``); ``extended`` alone,
    ``extended|other`` and ``other-<name>`` name an upstream not on the Hub: kept as written.
    """
    if value == "original":
        return None
    target = value.split("|", 1)[1].strip() if value.startswith("extended|") else value
    if target in ("extended", "other") or target.startswith("other-"):
        return value
    return reference(target)


def _gate_fields(node: Any, at: Callable[[PathKey], Location]) -> Iterator[Fact]:
    """The labels of the gate form's checkboxes: the user agrees to them, so they carry terms.

    Fields that only collect data (a company name, a country, a date, a choice) are left out.
    """
    origin = "extra_gated_fields"
    if isinstance(node, dict):
        for label, spec in node.items():
            kind = spec.get("type") if isinstance(spec, dict) else spec
            if kind not in _ENTRY_FIELDS:  # a checkbox to tick, or a field of unknown type
                yield Fact(value=label, location=at((origin, label)), origin=origin)
    elif isinstance(node, list):  # legacy: a list of labels or of {name|label: ...} items
        for index, item in enumerate(node):
            label = item.get("label") or item.get("name") if isinstance(item, dict) else item
            if isinstance(label, str) and label.strip():
                yield Fact(value=label.strip(), location=at((origin, index)), origin=origin)


def _infos_notes(card: Path) -> Iterator[Fact]:
    """The free-text ``license`` of each config in the card's sibling ``dataset_infos.json``.

    The file is parsed without a line table (it can be megabytes); each license's line comes from
    the ``"license": "`` occurrences, which follow the configs in order.
    """
    path = card.parent / _INFOS
    if not path.exists():
        return
    name = path.as_posix()
    text = document.read_text(path)
    data = document.parse_json(text, name, lines=False).data
    if not isinstance(data, dict):
        return
    values = [
        info["license"]
        for info in data.values()
        if isinstance(info, dict) and isinstance(info.get("license"), str)
    ]
    starts = [m.start() for m in _INFOS_LICENSE.finditer(text)]
    lines: list[int | None] = (
        _line_numbers(text, starts) if len(starts) == len(values) else [None] * len(values)
    )
    seen: set[str] = set()
    for value, line in zip(values, lines, strict=True):
        value = value.strip()
        if value and value not in seen:
            seen.add(value)
            yield Fact(value=value, location=Location(path=name, line=line), origin=_INFOS)


def _line_numbers(text: str, offsets: list[int]) -> list[int | None]:
    out: list[int | None] = []
    line, last = 1, 0
    for offset in offsets:
        line += text.count("\n", last, offset)
        last = offset
        out.append(line)
    return out


def _section(lines: list[str], start: int, heading: re.Pattern[str]) -> list[int]:
    """The indexes of the non-blank lines of the first section under ``heading``."""
    found = next((i for i in range(start, len(lines)) if heading.match(lines[i].strip())), None)
    if found is None:
        return []
    body: list[int] = []
    fenced = False  # a '#' line inside a code block is not a heading
    for index in range(found + 1, len(lines)):
        if _FENCE.match(lines[index]):
            fenced = not fenced
        elif not fenced and _HEADING.match(lines[index]):
            break
        if lines[index].strip():
            body.append(index)
    return body


def _licensing_notes(lines: list[str], start: int, path: str) -> Iterator[Fact]:
    """Every section of the card about its license or terms ("Licensing Information", but also
    "License", "Terms of Use", "Usage", a bold or underlined title, emoji around it), each up to
    the next heading of its level or above, unless empty or a placeholder."""
    headings = _headings(lines, start)
    read: set[int] = set()  # the lines of the sections read, and of the headings
    for position, (index, level, title) in enumerate(headings):
        read.add(index)
        if _CITATION_HEADING.match(lines[index].strip()):
            # A citation's title or venue may name a license ("... Creative Commons ..."): not a
            # statement about this dataset.
            end = next((i for i, lv, _ in headings[position + 1 :] if lv <= level), len(lines))
            read.update(range(index, end))
            continue
        if not _TERMS_TITLE.search(title):
            continue
        end = next((i for i, lv, _ in headings[position + 1 :] if lv <= level), len(lines))
        read.update(range(index, end))
        body = [
            i for i in range(index + 1, end) if lines[i].strip() and not _SETEXT.match(lines[i])
        ]
        if not body:
            continue
        text = "\n".join(lines[i].rstrip() for i in range(body[0], body[-1] + 1))
        if _PLACEHOLDER.match(text.strip()):
            continue
        origin = (
            "Licensing Information"
            if _LICENSING_HEADING.match(lines[index].strip())
            else f"card section '{title}'"
        )
        yield Fact(value=text, location=Location(path=path, line=body[0] + 1), origin=origin)
    yield from _prose_notes(lines, start, path, read)


def _prose_notes(lines: list[str], start: int, path: str, read: set[int]) -> Iterator[Fact]:
    """Paragraphs outside the sections read that speak of a license or a restriction ("Licensed
    CC BY-NC 4.0, scraped from Instagram" under the card's title): evidence like a Licensing
    section, wherever they stand; the resolver reads what they name, and one that names no
    license says nothing. Code blocks are left out."""
    paragraph: list[int] = []
    fenced = False
    for index in range(start, len(lines) + 1):
        line = lines[index] if index < len(lines) else ""
        fence = _FENCE.match(line) is not None
        if fence:
            fenced = not fenced
        if fence or fenced or not line.strip() or index in read or _SETEXT.match(line):
            if paragraph:
                text = "\n".join(lines[i].rstrip() for i in paragraph)
                contents = not all(_TOC_LINE.match(lines[i]) for i in paragraph)
                # Inline code (`license: other`, `licenses:`) quotes a key, it states nothing.
                if contents and _LICENSE_PROSE.search(_CODE_SPAN.sub(" ", text)):
                    yield Fact(
                        value=text,
                        location=Location(path=path, line=paragraph[0] + 1),
                        origin=CARD_TEXT,
                    )
            paragraph = []
            continue
        paragraph.append(index)


def _headings(lines: list[str], start: int) -> list[tuple[int, int, str]]:
    """The card's headings after the front matter, outside code blocks: (line index, level,
    title). ATX (``## Title``) by its level, setext (a title underlined with = or -) as 1 or 2,
    a line that is only bold text (``**Licensing Information**``) as 6."""
    found: list[tuple[int, int, str]] = []
    fenced = False
    for index in range(start, len(lines)):
        line = lines[index]
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        atx = _ATX.match(line)
        bold = _BOLD_TITLE.match(line.strip())
        if atx is not None:
            found.append((index, len(atx["marks"]), atx["title"].strip(" #")))
        elif bold is not None:
            found.append((index, 6, bold["title"]))
        elif index + 1 < len(lines) and line.strip() and _SETEXT.match(lines[index + 1]):
            found.append(
                (index, 1 if lines[index + 1].strip().startswith("=") else 2, line.strip())
            )
    return found


def _citation(lines: list[str], start: int, path: str) -> Fact | None:
    """The card's "Citation Information" (or "Citation") section: its first code block, else its
    text less placeholders and the template's labels ("**BibTeX:**"); None when nothing is left."""
    body = _section(lines, start, _CITATION_HEADING)
    fences = [i for i in body if _FENCE.match(lines[i])]
    if len(fences) >= 2:
        kept = [i for i in body if fences[0] < i < fences[1]]
    else:
        kept = [
            i
            for i in body
            if not _PLACEHOLDER.match(lines[i].strip()) and not _LABEL.match(lines[i])
        ]
    text = "\n".join(lines[i].rstrip() for i in kept)
    if not kept or _NO_CITATION.match(text.strip()):
        return None
    return Fact(value=text, location=Location(path=path, line=kept[0] + 1), origin="Citation")


def _bibtex_authors(text: str) -> tuple[str, ...]:
    """The authors of a citation that is a single BibTeX entry, or none.

    Only the simple case is read: one entry whose ``author`` field, braces removed, has no LaTeX
    commands; its names are split on ``and`` (``others`` is dropped).
    """
    if len(_BIBTEX_ENTRY.findall(text)) != 1:
        return ()
    match = _BIBTEX_AUTHOR.search(text)
    if match is None:
        return ()
    value = _delimited(text, match.end(1) - 1)
    if value is None:
        return ()
    flat = " ".join(value.replace("{", "").replace("}", "").split())
    if "\\" in flat or not flat:
        return ()
    return tuple(name for name in _AND.split(flat) if name and name.lower() != "others")


def _delimited(text: str, start: int) -> str | None:
    """The text inside the ``{...}`` or ``"..."`` that opens at ``start`` (braces nest)."""
    if text[start] == '"':
        end = text.find('"', start + 1)
        return text[start + 1 : end] if end > 0 else None
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index]
    return None
