"""YAML and JSON documents parsed with the line of every key and item.

Every reader, and the loaders of ``rules/``, need to say *where* a fact came from. PyYAML's
composer keeps the position of each node; this module turns the node tree into plain Python values
and a table from each value's path (a tuple of keys and indexes) to its 1-based line. JSON files are
first checked with the strict ``json`` parser (so JSON-only errors are reported as such) and then
composed through YAML, which is a superset of JSON, for the line table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from auditor.errors import InputError

PathKey = tuple[str | int, ...]


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


def read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise InputError(path, "is a directory, expected a file") from exc
    except OSError as exc:
        raise InputError(path, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, "file is not valid UTF-8", line) from exc


def load(path: Path, *, display: str | None = None) -> Document:
    """Read and parse ``path`` as JSON (``.json``) or YAML (anything else)."""
    text = read_text(path)
    name = display or path.as_posix()
    if path.suffix.lower() in {".json", ".jsonld"}:
        return parse_json(text, name)
    return parse_yaml(text, name)


def parse_json(text: str, name: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(name, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from exc
    try:
        # PyYAML rejects JSON's surrogate-pair escapes ("\\ud83c\\udfc6"); the line table does
        # not need the values, so replace them (on the same line) before composing.
        lines = _compose_lines(_SURROGATE_ESCAPE.sub("__", text), name)
    except InputError:
        lines = {}
    return Document(name, data, lines)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def parse_yaml(text: str, name: str) -> Document:
    node = _compose(text, name)
    if node is None:
        return Document(name, None, {})
    lines: dict[PathKey, int] = {}
    data = _construct(node, (), lines, name)
    return Document(name, data, lines)


def _compose(text: str, name: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(name, f"invalid YAML: {problem}", line) from exc
    except yaml.YAMLError as exc:
        raise InputError(name, f"invalid YAML: {exc}") from exc


def _compose_lines(text: str, name: str) -> dict[PathKey, int]:
    node = _compose(text, name)
    lines: dict[PathKey, int] = {}
    if node is not None:
        _construct(node, (), lines, name)
    return lines


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


class _Scalars(yaml.SafeLoader):
    """Constructs scalar values from composed nodes (the tags were resolved by ``_Loader``)."""


_SCALARS = _Scalars("")


def _construct(node: yaml.Node, key: PathKey, lines: dict[PathKey, int], name: str) -> Any:
    lines.setdefault(key, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
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
    try:
        return _SCALARS.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        raise InputError(name, f"invalid YAML value: {exc}", _line(node)) from exc


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1
