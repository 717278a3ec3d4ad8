"""A YAML loader built on PyYAML's safe loader that keeps line and column marks.

Mappings load as `Node` dicts and sequences as `NodeList` lists; both remember where
they and each of their entries start, so that any later error can say `file:line:col`.
Hostile input is refused with a located problem: duplicate keys, aliases (they can expand
without bound), non-safe tags, nesting deeper than `MAX_DEPTH` and files over `MAX_FILE_BYTES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.nodes import Node as YamlNode

from ..errors import Problem

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 64
Mark = tuple[int, int]


class Node(dict[str, Any]):
    """A mapping with the 1-based (line, col) of itself, of each key and of each value."""

    mark: Mark = (1, 1)
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]


class NodeList(list[Any]):
    """A sequence with the (line, col) of itself and of each item."""

    mark: Mark = (1, 1)
    item_marks: list[Mark]


def _mark(node: YamlNode) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class YamlProblem(Exception):
    def __init__(self, mark: Mark, code: str, message: str) -> None:
        super().__init__(message)
        self.mark, self.code, self.message = mark, code, message


class _Loader(yaml.SafeLoader):
    depth = 0

    def compose_node(self, parent: YamlNode | None, index: int) -> YamlNode | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = (event.start_mark.line + 1, event.start_mark.column + 1)
        if isinstance(event, yaml.AliasEvent):
            raise YamlProblem(
                mark, "yaml-alias",
                "YAML aliases are not allowed in rule files (they can expand without bound)",
            )
        if self.depth >= MAX_DEPTH:
            raise YamlProblem(mark, "yaml-depth",
                              f"nesting deeper than {MAX_DEPTH} levels is not allowed")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_SAFE_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in
                       ("str", "int", "float", "bool", "null", "timestamp", "map", "seq"))


def _build(loader: _Loader, node: YamlNode) -> Any:
    if node.tag not in _SAFE_TAGS:
        raise YamlProblem(_mark(node), "yaml-tag", f"tag {node.tag!r} is not allowed")
    if isinstance(node, MappingNode):
        result = Node()
        result.mark = _mark(node)
        result.key_marks, result.value_marks = {}, {}
        for key_node, value_node in node.value:
            key = _build(loader, key_node)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise YamlProblem(_mark(key_node), "yaml-key", "mapping keys must be scalars")
            key = str(key)
            if key in result:
                line = result.key_marks[key][0]
                raise YamlProblem(_mark(key_node), "duplicate-key",
                                  f"duplicate key {key!r} (first at line {line})")
            result[key] = _build(loader, value_node)
            result.key_marks[key] = _mark(key_node)
            result.value_marks[key] = _mark(value_node)
        return result
    if isinstance(node, SequenceNode):
        items = NodeList(_build(loader, child) for child in node.value)
        items.mark = _mark(node)
        items.item_marks = [_mark(child) for child in node.value]
        return items
    if isinstance(node, ScalarNode):
        try:
            return loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise YamlProblem(_mark(node), "yaml-tag", str(exc.problem)) from exc
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            # An impossible date (2025-02-30) or a value its explicit tag cannot read.
            kind = node.tag.rsplit(":", 1)[-1]
            value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            why = f": {exc}" if isinstance(exc, ValueError) and len(str(exc)) < 80 else ""
            raise YamlProblem(_mark(node), "yaml-value",
                              f"{value!r} is not a valid {kind}{why}") from exc
    raise YamlProblem(_mark(node), "yaml-node", "unsupported YAML node")


def load_yaml(text: str, path: str) -> Any:
    """Parse one YAML document with marks; raise `YamlError` with a located problem."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise YamlError(Problem(path, 1, 1, "file-too-large",
                                f"file is larger than {MAX_FILE_BYTES} bytes"))
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        return _build(loader, root)
    except YamlProblem as exc:
        raise YamlError(Problem(path, exc.mark[0], exc.mark[1], exc.code, exc.message)) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError(Problem(path, line, col, "yaml-syntax", str(exc.problem))) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Problem(path, 1, 1, "yaml-syntax", str(exc))) from exc
    finally:
        loader.dispose()


def load_yaml_file(path: Path, shown: str | None = None) -> Any:
    """Read and parse a file; one larger than `MAX_FILE_BYTES` is refused before it is read."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise YamlError(Problem(shown or str(path), 1, 1, "file-too-large",
                                f"file is larger than {MAX_FILE_BYTES} bytes"))
    return load_yaml(path.read_text("utf-8"), shown or str(path))


class YamlError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def locate(root: Any, loc: tuple[int | str, ...]) -> Mark:
    """The mark of the deepest node along a pydantic-style `loc` path."""
    mark: Mark = getattr(root, "mark", (1, 1))
    node = root
    for part in loc:
        if isinstance(node, Node) and isinstance(part, str) and part in node:
            mark = node.value_marks[part]
            node = node[part]
        elif isinstance(node, NodeList) and isinstance(part, int) and 0 <= part < len(node):
            mark = node.item_marks[part]
            node = node[part]
        else:
            break
    return mark


def key_mark(node: Any, key: str) -> Mark:
    """Where `key` is written in a mapping node (its own mark when absent)."""
    if isinstance(node, Node) and key in node.key_marks:
        return node.key_marks[key]
    return getattr(node, "mark", (1, 1))
