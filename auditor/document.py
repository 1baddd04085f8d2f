"""YAML and JSON documents parsed with the line of every key and item, within limits.

Every reader, and the loaders of ``rules/``, need to say *where* a fact came from. PyYAML's parser
gives the position of each event; this module composes the events into nodes and turns the node
tree into plain Python values and a table from each value's path (a tuple of keys and indexes) to
its 1-based line. JSON files are first checked with the strict ``json`` parser (so JSON-only errors
are reported as such) and then composed through YAML, which is a superset of JSON, for the line
table.

Manifests are files anyone can edit, so this is the one safe loader: a file is read only if it is
a regular file (never a FIFO, a device or a directory, which could block or never end) and no
larger than :attr:`Limits.input_bytes`; nesting is at most :data:`MAX_DEPTH` deep; YAML aliases
are counted, not expanded, while composing (an alias stands for every value of the node it
names, and all aliases together may stand for at most :attr:`Limits.alias_values` values); an
integer has at most :data:`MAX_INT_DIGITS` digits; duplicate keys are errors in JSON as in YAML.
Each limit fails as ``path:line: message``. The limits that can sensibly be raised are read from
the environment (``AUDITOR_MAX_*``) when a file is read.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from auditor.errors import InputError

PathKey = tuple[str | int, ...]

# Fixed limits: no real manifest comes near them, and parsing stays far below Python's recursion.
MAX_DEPTH = 100  # nested collections, aliases expanded
MAX_INT_DIGITS = 100  # digits of an integer (Python refuses to convert more than 4300)
_MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """The limits a user may raise, each with its environment variable."""

    input_bytes: int = 16 * _MiB  # AUDITOR_MAX_INPUT_BYTES: a manifest, card or policy file
    alias_values: int = 100_000  # AUDITOR_MAX_ALIAS_VALUES: values YAML aliases stand for
    line_bytes: int = 16 * _MiB  # AUDITOR_MAX_LINE_BYTES: one line of a scanned JSONL file

    @classmethod
    def from_environment(cls) -> Limits:
        """The defaults, with any ``AUDITOR_MAX_*`` variable that is set in their place."""
        values = {name: _positive(variable) for name, variable in LIMIT_VARIABLES.items()}
        return cls(**{name: value for name, value in values.items() if value is not None})


LIMIT_VARIABLES = {
    "input_bytes": "AUDITOR_MAX_INPUT_BYTES",
    "alias_values": "AUDITOR_MAX_ALIAS_VALUES",
    "line_bytes": "AUDITOR_MAX_LINE_BYTES",
}


def _positive(variable: str) -> int | None:
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]+", text) or int(text) == 0:
        raise InputError(variable, f"must be a positive whole number, not {text!r}")
    return int(text)


def limits() -> Limits:
    return Limits.from_environment()


@dataclass(frozen=True)
class Document:
    """A parsed file: its data, its path as given, and the line of each value."""

    path: str
    data: Any
    lines: Mapping[PathKey, int] = field(default_factory=dict)

    def line(self, key: Sequence[str | int]) -> int | None:
        """The line of ``key`` or of its closest enclosing value."""
        probe = tuple(key)
        while probe:
            found = self.lines.get(probe)
            if found is not None:
                return found
            probe = probe[:-1]
        return self.lines.get(())

    def error(self, key: Sequence[str | int], message: str) -> InputError:
        return InputError(self.path, message, self.line(key))

    def wrong_type(self, key: Sequence[str | int], expected: str, node: Any) -> InputError:
        """``'<key path>' must be <expected>, not <what it is>``, at the value's line."""
        dotted = ".".join(str(part) for part in key) or "(top level)"
        return self.error(key, f"'{dotted}' must be {expected}, not {_shape(node)}")

    def items(self, key: Sequence[str | int], node: Any) -> list[Any]:
        """``node``, the value at ``key``, as a list: empty when absent (None), an input error
        when it is anything else, so that a wrongly typed field is never read as empty."""
        if node is None:
            return []
        if not isinstance(node, list):
            raise self.wrong_type(key, "a list", node)
        return node

    def mapping(self, key: Sequence[str | int], node: Any) -> dict[str, Any]:
        """``node`` as an object: empty when absent (None), an input error when not an object."""
        if node is None:
            return {}
        if not isinstance(node, dict):
            raise self.wrong_type(key, "an object", node)
        return node

    def text(self, key: Sequence[str | int], node: Any) -> str | None:
        """``node`` as stripped text (None when absent or blank), an input error when it is a
        value of another kind."""
        if node is None:
            return None
        if not isinstance(node, str):
            raise self.wrong_type(key, "a string", node)
        return node.strip() or None

    def validation_error(self, exc: ValidationError, what: str) -> InputError:
        """Turn the first pydantic error into ``path:line: message`` naming the offending key."""
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        dotted = ".".join(str(part) for part in loc) or "(top level)"
        kind = err["type"]
        if kind == "extra_forbidden":
            message = f"unknown key '{loc[-1]}' in {what} (at {dotted})"
        elif kind == "missing":
            message = f"missing required key '{loc[-1]}' in {what} (at {dotted})"
        else:
            message = f"{what}: {dotted}: {err['msg']}"
        return InputError(self.path, message, self.line(loc))


def _shape(node: Any) -> str:
    """What kind of value ``node`` is, in the words of JSON."""
    if isinstance(node, bool):
        return str(node).lower()
    if isinstance(node, int | float):
        return f"a number ({node})"
    if isinstance(node, str):
        return "a string"
    if isinstance(node, list):
        return "a list"
    if isinstance(node, dict):
        return "an object"
    if node is None:
        return "null"
    return f"a {type(node).__name__}"


# --- files ---------------------------------------------------------------------------------


def file_status(path: Path, *, directory: bool = False) -> os.stat_result:
    """The status of ``path``, which must be a regular file (or a directory when ``directory``).

    Checked before the file is opened: a FIFO would block a read forever, a device such as
    ``/dev/zero`` never ends, and merely opening some devices has effects.
    """
    try:
        status = path.stat()
    except FileNotFoundError as exc:
        raise InputError(path, "no such file") from exc
    except OSError as exc:  # a symlink loop, a name too long, a folder that is a file...
        raise InputError(path, f"cannot read file: {exc.strerror or exc}") from exc
    except ValueError as exc:  # an embedded NUL byte
        message = "not a usable file name (it contains a NUL byte)"
        raise InputError(_printable(path), message) from exc
    if directory and stat.S_ISDIR(status.st_mode):
        return status
    if stat.S_ISDIR(status.st_mode):
        raise InputError(path, "is a directory, expected a file")
    if not stat.S_ISREG(status.st_mode):
        raise InputError(path, f"is not a regular file (it is a {_kind(status.st_mode)})")
    return status


def read_bytes(path: Path, *, limit: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` (default: the input limit) bytes."""
    if limit is None:
        limit = limits().input_bytes
    status = file_status(path)
    if status.st_size > limit:
        raise _too_large(path, limit)
    try:
        # Non-blocking, and checked again once open: the file may have been swapped meanwhile.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(path, f"cannot read file: {exc.strerror or exc}") from exc
    with os.fdopen(handle, "rb") as stream:
        opened = os.fstat(stream.fileno())
        same = (opened.st_dev, opened.st_ino) == (status.st_dev, status.st_ino)
        if not stat.S_ISREG(opened.st_mode) or not same:
            raise InputError(path, "changed while it was being opened")
        try:
            raw = stream.read(limit + 1)  # files whose size is not known ahead (/proc) end here
        except OSError as exc:
            raise InputError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if len(raw) > limit:
        raise _too_large(path, limit)
    return raw


def read_text(path: Path) -> str:
    return decode(read_bytes(path), path)


def decode(raw: bytes, name: Path | str) -> str:
    """``raw`` (a file's or standard input's bytes) as UTF-8 text, a leading BOM dropped; bytes
    that are not UTF-8 are an input error at their line."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(name, "file is not valid UTF-8", line) from exc


def _too_large(path: Path, limit: int) -> InputError:
    return InputError(
        path,
        f"the file is larger than {limit:,} bytes (raise the limit with "
        f"{LIMIT_VARIABLES['input_bytes']})",
    )


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _printable(path: Path) -> str:
    return str(path).replace("\x00", "\\0")


# --- parsing -------------------------------------------------------------------------------


def load(path: Path, *, display: str | None = None) -> Document:
    """Read and parse ``path`` as JSON (``.json``) or YAML (anything else)."""
    text = read_text(path)
    name = display or path.as_posix()
    if path.suffix.lower() in {".json", ".jsonld"}:
        return parse_json(text, name)
    return parse_yaml(text, name)


def parse_json(text: str, name: str, *, lines: bool = True) -> Document:
    """Parse JSON text; ``lines=False`` leaves out the line table (faster for big files)."""
    duplicate = _check_json_structure(text, name)
    _check_json_escapes(text, name)
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from exc
    except _LongInteger as exc:
        line = text.count("\n", 0, max(text.find(exc.digits), 0)) + 1
        raise InputError(name, _long_integer(exc.digits), line) from None
    if duplicate is not None:
        raise duplicate
    if not lines:
        return Document(name, data, {})
    try:
        # PyYAML rejects JSON's surrogate-pair escapes ("\\ud83c\\udfc6"); the line table does
        # not need the values, so replace them (on the same line) before composing.
        table = _compose_lines(_SURROGATE_ESCAPE.sub("__", text), name)
    except InputError:
        table = {}
    return Document(name, data, table)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
# "\u0000" that is an escape (not "\\" followed by "u0000"): a NUL character in a string.
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
# No name, path, license or URL holds one; as a file name it would fail far from its line.
_NUL = "a string holds a NUL character (\\0)"
# Half of a UTF-16 surrogate pair, escaped: JSON allows it, but it is no Unicode text (a license
# "MIT\\udcff" would print, compare and serialise as nothing real). YAML refuses it itself.
_LONE_SURROGATE = re.compile(
    r"(?<!\\)(?:\\\\)*(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)
_SURROGATE = "a string holds half of a UTF-16 surrogate pair, which is not Unicode text"
# The tokens of JSON that shape it: a key (a string and its colon), a string, a bracket.
_JSON_TOKEN = re.compile(r'("[^"\\]*(?:\\.[^"\\]*)*")(\s*:)?|[\[\]{}]')


def _check_json_structure(text: str, name: str) -> InputError | None:
    """Fail on nesting deeper than :data:`MAX_DEPTH` (before ``json`` recurses into it); return
    the first duplicate key, as an error to raise once the text is known to be JSON."""
    objects: list[set[str] | None] = []  # the keys of each open object; None for an array
    duplicate: InputError | None = None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in ("{", "["):
            if len(objects) >= MAX_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise InputError(name, _too_deep(), line)
            objects.append(set() if token == "{" else None)
        elif token in ("}", "]"):
            if objects:
                objects.pop()
        elif match.group(2) and objects and duplicate is None:
            keys = objects[-1]
            raw = match.group(1)
            try:
                key = json.loads(raw) if "\\" in raw else raw[1:-1]
            except ValueError:
                continue  # not JSON: json.loads reports it
            if keys is None:
                continue
            if key in keys:
                line = text.count("\n", 0, match.start()) + 1
                duplicate = InputError(name, f"duplicate key '{key}'", line)
            keys.add(key)
    return duplicate


def _check_json_escapes(text: str, name: str) -> None:
    """Fail on escapes that decode to no text: NUL, half a surrogate pair. The patterns run only
    where a plain search finds such an escape at all."""
    for present, pattern, problem in (
        ("\\u0000" in text, _JSON_NUL, _NUL),
        (_SURROGATE_ESCAPE.search(text) is not None, _LONE_SURROGATE, _SURROGATE),
    ):
        found = pattern.search(text) if present else None
        if found is not None:
            raise InputError(name, problem, text.count("\n", 0, found.start()) + 1)


class _LongInteger(Exception):
    def __init__(self, digits: str) -> None:
        super().__init__(digits)
        self.digits = digits


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _LongInteger(digits)
    return int(digits)


def _long_integer(value: str) -> str:
    return f"an integer of more than {MAX_INT_DIGITS} digits ({value[:12]}...)"


def _too_deep() -> str:
    return f"nested more than {MAX_DEPTH} levels deep"


def parse_yaml(text: str, name: str) -> Document:
    try:
        with _yaml_errors(text, name):
            data, lines = _Builder(text, name).single()
    except _Anchored:  # anchors and aliases: the bounded composer, then the node tree
        node = _compose(text, name)
        if node is None:
            return Document(name, None, {})
        lines = {}
        data = _construct(node, (), lines, name)
    return Document(name, data, lines)


def _compose(text: str, name: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        with _yaml_errors(text, name):
            return _Composer(loader, name, limits().alias_values).single()
    finally:
        loader.dispose()


@contextmanager
def _yaml_errors(text: str, name: str) -> Iterator[None]:
    """PyYAML's errors as input errors at their line."""
    try:
        yield
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(name, f"invalid YAML: {problem}", line) from exc
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at its line
        line = text.count("\n", 0, exc.position) + 1
        raise InputError(
            name, f"invalid YAML: character #x{exc.character:04x} is not allowed", line
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(name, f"invalid YAML: {exc}") from exc


def _compose_lines(text: str, name: str) -> Mapping[PathKey, int]:
    return parse_yaml(text, name).lines


# libyaml's parser when PyYAML was built with it (about ten times faster), else pure Python.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """YAML 1.2 booleans: only true/false. YAML 1.1 also reads on/off/yes/no (and a country code
    like ``no``) as booleans, which would silently turn a policy's ``off`` into ``False``."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


# The first characters of a plain scalar that some implicit type (int, float, null, a YAML 1.2
# boolean, a timestamp, ...) may start with; any other plain scalar resolves to a string. As the
# resolver decides, less a call per scalar (5 % of reading a 10,000-dataset manifest).
assert not _Loader.yaml_path_resolvers and None not in _Loader.yaml_implicit_resolvers
_FIRST_CHARACTERS = frozenset(_Loader.yaml_implicit_resolvers)


@dataclass
class _Open:
    """A collection being composed: its node, and the values it holds with aliases expanded."""

    node: yaml.SequenceNode | yaml.MappingNode
    anchor: str | None
    values: int = 1
    height: int = 1
    key: yaml.Node | None = None  # a mapping's key waiting for its value


@dataclass(frozen=True)
class _Composed:
    """A finished node, with the values it holds and the collections nested in it (itself
    included), aliases expanded."""

    node: yaml.Node
    values: int
    height: int


class _Composer:
    """Events to one node tree, without recursion. An alias is the node its anchor names, shared,
    as in PyYAML; what it would expand to is counted here, so that a few bytes of aliases cannot
    stand for billions of values, nor an alias for the node that contains it."""

    def __init__(self, loader: _Loader, name: str, alias_values: int) -> None:
        self.loader = loader
        self.name = name
        self.alias_values = alias_values
        self.expanded = 0  # values all aliases so far stand for

    def single(self) -> yaml.Node | None:
        loader = self.loader
        loader.get_event()  # StreamStart
        if loader.check_event(yaml.StreamEndEvent):
            loader.get_event()
            return None
        root = self._document()
        if not loader.check_event(yaml.StreamEndEvent):
            message = "invalid YAML: expected a single document, but found another"
            raise InputError(self.name, message, _line(loader.get_event()))
        loader.get_event()
        return root

    def _document(self) -> yaml.Node:
        loader = self.loader
        loader.get_event()  # DocumentStart
        anchors: dict[str, _Composed | None] = {}  # None: the anchored node is still open
        stack: list[_Open] = []
        root: yaml.Node | None = None
        while root is None:
            event = loader.get_event()
            done: _Composed
            anchor: str | None = None
            if isinstance(event, yaml.AliasEvent):
                found = anchors.get(event.anchor or "", False)
                if found is False:
                    raise InputError(self.name, f"undefined alias '*{event.anchor}'", _line(event))
                if found is None:
                    raise InputError(
                        self.name,
                        f"recursive alias '*{event.anchor}': it is inside the node it names",
                        _line(event),
                    )
                assert isinstance(found, _Composed)
                self.expanded += found.values
                if self.expanded > self.alias_values:
                    raise InputError(
                        self.name,
                        f"YAML aliases stand for more than {self.alias_values:,} values (raise "
                        f"the limit with {LIMIT_VARIABLES['alias_values']})",
                        _line(event),
                    )
                if len(stack) + found.height > MAX_DEPTH:
                    raise InputError(self.name, _too_deep(), _line(event))
                done = found
            else:
                anchor = event.anchor if isinstance(event, yaml.NodeEvent) else None
                if anchor is not None and anchor in anchors:
                    raise InputError(self.name, f"duplicate anchor '&{anchor}'", _line(event))
                if isinstance(event, yaml.ScalarEvent):
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
                    node = yaml.ScalarNode(tag, event.value, *_marks(event), style=event.style)
                    done = _Composed(node, 1, 0)
                elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                    if len(stack) >= MAX_DEPTH:
                        raise InputError(self.name, _too_deep(), _line(event))
                    kind = (
                        yaml.SequenceNode
                        if isinstance(event, yaml.SequenceStartEvent)
                        else yaml.MappingNode
                    )
                    tag = event.tag
                    if tag is None or tag == "!":
                        tag = loader.resolve(kind, None, event.implicit)
                    collection = kind(tag, [], _marks(event)[0], None, flow_style=event.flow_style)
                    stack.append(_Open(collection, anchor))
                    if anchor is not None:
                        anchors[anchor] = None
                    continue
                else:  # SequenceEnd or MappingEnd
                    closed = stack.pop()
                    closed.node.end_mark = event.end_mark
                    anchor = closed.anchor
                    done = _Composed(closed.node, closed.values, closed.height)
            if anchor is not None:
                anchors[anchor] = done
            if not stack:
                root = done.node
                break
            parent = stack[-1]
            parent.values += done.values
            parent.height = max(parent.height, done.height + 1)
            if isinstance(parent.node, yaml.SequenceNode):
                parent.node.value.append(done.node)
            elif parent.key is None:
                parent.key = done.node
            else:
                parent.node.value.append((parent.key, done.node))
                parent.key = None
        loader.get_event()  # DocumentEnd
        return root


class _Anchored(Exception):
    """The document uses an anchor: :class:`_Builder` leaves it to the bounded composer."""


_MISSING: Any = object()


class _Builder:
    """Events straight to plain values and their lines, in one pass without a node tree (about
    three times faster than composing, then constructing). A document with an anchor raises
    :class:`_Anchored`, for the composer, which bounds what aliases expand to."""

    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.lines: dict[PathKey, int] = {}

    def single(self) -> tuple[Any, dict[PathKey, int]]:
        loader = _Loader(self.text)
        try:
            loader.get_event()  # StreamStart
            if loader.check_event(yaml.StreamEndEvent):
                return None, {}
            loader.get_event()  # DocumentStart
            root = self._document(loader)
            loader.get_event()  # DocumentEnd
            if not loader.check_event(yaml.StreamEndEvent):
                message = "invalid YAML: expected a single document, but found another"
                raise InputError(self.name, message, _line(loader.get_event()))
            return root, self.lines
        finally:
            loader.dispose()

    def _document(self, loader: _Loader) -> Any:
        name, lines = self.name, self.lines
        # Open collections: the value, its path, and for a mapping the key waiting for a value
        # (_MISSING when the next scalar is a key); a list's key slot is None.
        stack: list[tuple[Any, PathKey, list[Any] | None]] = []
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.AliasEvent or getattr(event, "anchor", None) is not None:
                raise _Anchored
            line = event.start_mark.line + 1
            if kind is yaml.ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    value = event.value
                    if not event.implicit[0] or (value and value[0] not in _FIRST_CHARACTERS):
                        tag = _STR_TAG  # quoted, or no implicit type starts so: a string
                    else:
                        tag = loader.resolve(yaml.ScalarNode, value, event.implicit)
                slot = stack[-1][2] if stack else None
                at_key = slot is not None and slot[0] is _MISSING
                if tag == _MERGE_TAG and at_key:
                    raise InputError(name, "YAML merge keys ('<<') are not supported", line)
                if tag == _STR_TAG:
                    if "\x00" in event.value:
                        raise InputError(name, _NUL, line)
                    value = event.value
                else:
                    node = yaml.ScalarNode(
                        tag, event.value, event.start_mark, event.end_mark, style=event.style
                    )
                    value = _scalar(node, name)
                if stack:
                    container, path, slot = stack[-1]
                    if at_key:  # a mapping's key
                        assert slot is not None
                        key = value if isinstance(value, str) else str(value)
                        if key in container:
                            raise InputError(name, f"duplicate key '{key}'", line)
                        lines[(*path, key)] = line
                        slot[0] = key
                        continue
                    self._place(container, path, slot, value, line)
                    continue
                lines[()] = line
                return value
            if kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if len(stack) >= MAX_DEPTH:
                    raise InputError(name, _too_deep(), line)
                mapping = kind is yaml.MappingStartEvent
                opened: Any = {} if mapping else []
                if stack:
                    container, path, slot = stack[-1]
                    if slot is not None and slot[0] is _MISSING:
                        raise InputError(name, "mapping keys must be plain scalars", line)
                    where = self._place(container, path, slot, opened, line)
                else:
                    where = ()
                    lines[()] = line
                stack.append((opened, where, [_MISSING] if mapping else None))
                continue
            # SequenceEnd or MappingEnd
            closed = stack.pop()[0]
            if not stack:
                return closed

    def _place(
        self, container: Any, path: PathKey, slot: list[Any] | None, value: Any, line: int
    ) -> PathKey:
        """Put ``value`` in the open collection; returns its path."""
        if slot is None:
            where = (*path, len(container))
            self.lines.setdefault(where, line)
            container.append(value)
            return where
        key = slot[0]
        slot[0] = _MISSING
        container[key] = value
        return (*path, key)


class _Scalars(yaml.SafeLoader):
    """Constructs scalar values from composed nodes (the tags were resolved by ``_Loader``)."""


_SCALARS = _Scalars("")
_INT_TAG = "tag:yaml.org,2002:int"
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct(node: yaml.Node, key: PathKey, lines: dict[PathKey, int], name: str) -> Any:
    """Plain values from a node tree; recursive, but the composer bounded its depth."""
    lines.setdefault(key, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                raise InputError(name, "YAML merge keys ('<<') are not supported", _line(key_node))
            k = _construct(key_node, (*key, "\x00key"), {}, name)
            if not isinstance(k, str | int | float | bool) and k is not None:
                raise InputError(name, "mapping keys must be plain scalars", _line(key_node))
            k = str(k) if not isinstance(k, str) else k
            if k in result:
                raise InputError(name, f"duplicate key '{k}'", _line(key_node))
            lines[(*key, k)] = _line(key_node)
            result[k] = _construct(value_node, (*key, k), lines, name)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _construct(item, (*key, index), lines, name) for index, item in enumerate(node.value)
        ]
    if node.tag == _STR_TAG:  # most values: PyYAML's constructor would return the text as is
        if "\x00" in node.value:
            raise InputError(name, _NUL, _line(node))
        return node.value
    return _scalar(node, name)


def _scalar(node: yaml.Node, name: str) -> Any:
    """A scalar node's value by its tag, bounded as YAML input must be."""
    if node.tag == _INT_TAG and sum(c.isdigit() for c in node.value) > MAX_INT_DIGITS:
        raise InputError(name, _long_integer(node.value), _line(node))
    try:
        value = _SCALARS.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(name, f"invalid YAML value: {problem}", _line(node)) from exc
    except (ValueError, ArithmeticError, AttributeError, TypeError, KeyError) as exc:
        # An explicit tag sends any text to PyYAML's constructor for it, which may fail in any of
        # these ways: "!!timestamp 2020-13-45", "!!timestamp x" (no match), "!!int abc".
        tag = node.tag.rpartition(":")[2]
        raise InputError(
            name, f"invalid YAML value {node.value!r} for !!{tag}", _line(node)
        ) from exc
    finally:
        # The constructor remembers every node it built (for anchors within one document);
        # shared across documents, it would keep every value of every file ever read.
        _SCALARS.constructed_objects.clear()
        _SCALARS.recursive_objects.clear()
    if isinstance(value, str) and "\x00" in value:
        raise InputError(name, _NUL, _line(node))
    return value


def _marks(event: yaml.Event) -> tuple[Any, Any]:
    """The event's start and end marks (libyaml's own mark type, which nodes take as PyYAML's)."""
    return event.start_mark, event.end_mark


def _line(item: yaml.Node | yaml.Event) -> int:
    mark: Any = item.start_mark
    return int(mark.line) + 1
