"""YAML composed with line numbers, within limits that keep a hostile file cheap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from covgap.collect.project.ci_files.shared import _State

if TYPE_CHECKING:
    from covgap.collect.project.ci_files.gitlab_pipeline import _Val

#: PyYAML's C loader when it was built with libyaml: the same nodes, faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MERGE_TAG = "tag:yaml.org,2002:merge"

#: Limits that keep a hostile YAML file cheap (a "billion laughs": anchors that merge or alias
#: the previous one twice double the work at each level). GitLab refuses files past similar
#: ones (``max_yaml_size_bytes``: 1 MB, later 2 MB, counted once expanded; ``max_yaml_depth``:
#: 100, later 150). Nesting counts mappings and sequences, written or reached through aliases
#: and merge keys.
_MAX_YAML_DEPTH = 100
#: What covgap goes through in one file at most: jobs, steps, script lines, and the entries
#: aliases and merge keys bring, each counted every time it is used (an anchor of 5 entries
#: merged into 30 jobs counts 150). Real files stay below a few thousand.
_MAX_YAML_EXPANDED = 100_000


class _TooComplex(Exception):
    """A YAML file past the limits above; the problem is reported at ``line`` of ``path``."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.message = message


class _Yaml:
    """A composed YAML file: nodes with their lines, and the file's lines for scalars.

    Nodes reached through aliases are shared: their entries (merge keys applied) and GitLab
    trees are made once, and ``spend`` counts them each time they are used, up to
    ``_MAX_YAML_EXPANDED``."""

    def __init__(self, state: _State, path: str, text: str) -> None:
        self.state = state
        self.path = path
        self.lines = text.split("\n")
        self.expanded = 0
        #: The composed documents, kept so that no node is freed and its id reused.
        self.composed: list[Node] = []
        #: By node id: its entries, merge keys applied, and how many entries that is with every
        #: merge counted as written.
        self._entries: dict[int, dict[str, tuple[Node, Node]]] = {}
        self._sizes: dict[int, int] = {}
        #: By node id: a GitLab mapping's children, its size and its depth once expanded.
        self.trees: dict[int, tuple[dict[str, _Val], int, int]] = {}
        #: Mappings whose entries, or GitLab tree, are being made: meeting one again is a
        #: mapping that contains itself.
        self.merging: set[int] = set()
        self.building: set[int] = set()

    def spend(self, count: int, node: Node) -> None:
        """Count ``count`` entries brought by aliases or merge keys at ``node``; _TooComplex
        past ``_MAX_YAML_EXPANDED``."""
        self.expanded += count
        if self.expanded > _MAX_YAML_EXPANDED:
            raise _TooComplex(
                self.path,
                _line(node),
                f"too complex: over {_MAX_YAML_EXPANDED:,} entries once its anchors, aliases "
                "and merge keys are expanded (covgap stops there)",
            )

    def too_deep(self, node: Node) -> _TooComplex:
        return _TooComplex(
            self.path,
            _line(node),
            f"too deeply nested: more than {_MAX_YAML_DEPTH} levels of mappings and lists "
            "(counting those reached through aliases and merge keys)",
        )

    def recursive(self, node: Node) -> _TooComplex:
        return _TooComplex(
            self.path,
            _line(node),
            "broken YAML: a mapping contains itself through an alias or a merge key",
        )

    def _check_nesting(self, text: str) -> None:
        """_TooComplex when the text nests mappings and lists deeper than ``_MAX_YAML_DEPTH``
        (composing deeper would overflow Python's stack with PyYAML's pure-Python loader)."""
        depth = 0
        for event in yaml.parse(text, Loader=_LOADER):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > _MAX_YAML_DEPTH:
                    mark = event.start_mark
                    line = int(mark.line) + 1 if mark is not None else 1
                    raise _TooComplex(
                        self.path,
                        line,
                        f"too deeply nested: more than {_MAX_YAML_DEPTH} levels of mappings "
                        "and lists",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1

    def documents(self, text: str) -> list[Node] | None:
        """The file's documents; None (and a problem) when the YAML is broken or too deep."""
        try:
            self._check_nesting(text)
            documents = yaml.compose_all(text, Loader=_LOADER)
            self.composed = [node for node in documents if node is not None]
            return self.composed
        except _TooComplex as exc:
            self.state.problem(exc.path, exc.line, exc.message)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            last = max((i for i, raw in enumerate(self.lines) if raw.strip()), default=0)
            if exc.context_mark is not None and mark is not None and mark.line > last:
                mark = exc.context_mark  # met the end: an unclosed quote or bracket opens here
            line = mark.line + 1 if mark is not None else 1
            message = ": ".join(part for part in (exc.context, exc.problem) if part)
            self.state.problem(self.path, line, f"broken YAML: {message or exc}")
        except yaml.YAMLError as exc:
            self.state.problem(self.path, 1, f"broken YAML: {exc}")
        return None

    def entries(self, node: Node | None, depth: int = 0) -> dict[str, tuple[Node, Node]]:
        """A mapping's ``key -> (key node, value node)``; merge keys (``<<``) applied.

        Made once per mapping (the dict is shared: never change it); _TooComplex for merges
        that expand too much, chain too deep or merge a mapping into itself."""
        if not isinstance(node, MappingNode):
            return {}
        known = self._entries.get(id(node))
        if known is not None:
            return known
        if id(node) in self.merging:
            raise self.recursive(node)
        if depth > _MAX_YAML_DEPTH:
            raise self.too_deep(node)
        self.merging.add(id(node))
        result: dict[str, tuple[Node, Node]] = {}
        explicit: dict[str, tuple[Node, Node]] = {}
        size = 0
        try:
            for key, value in node.value:
                if key.tag == _MERGE_TAG:
                    sources = value.value if isinstance(value, SequenceNode) else [value]
                    for source in reversed(sources):
                        merged = self.entries(source, depth + 1)
                        size += self._sizes.get(id(source), 0)
                        self.spend(self._sizes.get(id(source), 0), key)
                        result.update(merged)
                elif isinstance(key, ScalarNode):
                    if key.value in explicit:
                        self.state.problem(
                            self.path,
                            _line(key),
                            f"duplicate key `{key.value}`: the last one counts",
                        )
                    explicit[key.value] = (key, value)
        finally:
            self.merging.discard(id(node))
        result.update(explicit)
        self._entries[id(node)] = result
        self._sizes[id(node)] = size + len(explicit)
        return result

    def scalar_lines(self, node: ScalarNode) -> tuple[int, ...]:
        """The file line of each line of a scalar's value."""
        value: str = node.value
        count = value.count("\n") + 1
        first = int(node.start_mark.line) + 1
        if node.style == "|":
            return tuple(first + 1 + index for index in range(count))
        if node.start_mark.line == node.end_mark.line or count == 1:
            return (first,) * count
        start, end = node.start_mark, node.end_mark
        raw_lines = self.lines[start.line : end.line + 1]
        if raw_lines:
            raw_lines[0] = raw_lines[0][start.column :]
        result: list[int] = []
        row, column = 0, 0
        for value_line in node.value.split("\n"):
            words = value_line.split()
            found = False
            if words:
                for candidate in range(row, len(raw_lines)):
                    position = raw_lines[candidate].find(
                        words[0], column if candidate == row else 0
                    )
                    if position >= 0:
                        row, column = candidate, position + len(words[0])
                        found = True
                        break
            if not found and result:
                row = min(row + (0 if words else 1), len(raw_lines) - 1)
            result.append(first + (node.start_mark.line - start.line) + row)
        return tuple(result)


def _line(node: Node) -> int:
    """The 1-based line where a node starts."""
    return int(node.start_mark.line) + 1


def _text(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) else None


def _scalars(node: Node | None) -> list[str]:
    """A scalar, or a sequence's scalars, as strings."""
    if isinstance(node, ScalarNode):
        return [node.value] if node.value != "" or node.style else []
    if isinstance(node, SequenceNode):
        return [item.value for item in node.value if isinstance(item, ScalarNode)]
    return []


def _is_true(node: Node | None) -> bool:
    return (_text(node) or "").strip().lower() == "true"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _source_text(doc: _Yaml, node: Node) -> str:
    """A node's text as written (for ``with:`` inputs that are not scalars)."""
    start, end = node.start_mark, node.end_mark
    lines = doc.lines[start.line : end.line + 1]
    if not lines:
        return ""
    if len(lines) == 1:
        return lines[0][start.column : end.column].strip()
    lines[0] = lines[0][start.column :]
    lines[-1] = lines[-1][: end.column]
    return "\n".join(lines).strip()
