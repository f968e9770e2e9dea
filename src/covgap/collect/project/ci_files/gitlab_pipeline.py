"""A GitLab CI pipeline's files merged GitLab's way: includes, extends, defaults, ``!reference``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from covgap.collect.project.ci_files.shared import _State
from covgap.collect.project.ci_files.yaml_doc import (
    _MAX_YAML_DEPTH,
    _is_true,
    _line,
    _scalars,
    _text,
    _Yaml,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Top-level keys that are not jobs.
_GITLAB_KEYWORDS = _words(
    "image services stages types before_script after_script variables cache include default "
    "workflow spec"
)
#: What ``default:`` can give a job.
_GITLAB_DEFAULTS = _words(
    "image services before_script after_script cache timeout interruptible retry tags "
    "artifacts hooks id_tokens"
)
_GLOBAL_DEFAULTS = ("image", "services", "cache", "before_script", "after_script")


@dataclass
class _Val:
    """A GitLab value with where it came from; a mapping's children merged GitLab's way."""

    node: Node
    doc: _Yaml
    key_line: int
    children: dict[str, _Val] | None = None


def _tree(doc: _Yaml, node: Node, key_line: int, depth: int = 0) -> _Val:
    """A value as GitLab merges it. A mapping's children are made once (an alias shares them:
    they are never changed in place), counted by ``doc.spend`` each time they are used again;
    _TooComplex past ``_MAX_YAML_DEPTH`` levels, or for a mapping that contains itself."""
    if not isinstance(node, MappingNode) or node.tag == "!reference":
        return _Val(node, doc, key_line)
    known = doc.trees.get(id(node))
    if known is not None:
        children, size, _ = known
        doc.spend(size, node)
        return _Val(node, doc, key_line, children)
    if id(node) in doc.building:
        raise doc.recursive(node)
    if depth > _MAX_YAML_DEPTH:
        raise doc.too_deep(node)
    doc.building.add(id(node))
    try:
        children = {
            name: _tree(doc, value, _line(key), depth + 1)
            for name, (key, value) in doc.entries(node).items()
        }
    finally:
        doc.building.discard(id(node))
    size, deepest = 1, 0
    for child in children.values():
        if child.children is not None:
            _, child_size, child_depth = doc.trees[id(child.node)]
            size, deepest = size + child_size, max(deepest, child_depth)
        else:
            size += 1
    if deepest + 1 > _MAX_YAML_DEPTH:  # deep only through aliases, each shallow where written
        raise doc.too_deep(node)
    doc.trees[id(node)] = (children, size, deepest + 1)
    return _Val(node, doc, key_line, children)


def _deep_merge(base: _Val, over: _Val) -> _Val:
    """GitLab's merge: mappings merged key by key, anything else replaced."""
    if base.children is None or over.children is None:
        return over
    over.doc.spend(1, over.node)
    children = dict(base.children)
    for name, value in over.children.items():
        children[name] = _deep_merge(children[name], value) if name in children else value
    return _Val(over.node, over.doc, over.key_line, children)


class _GitLab:
    def __init__(self, state: _State) -> None:
        self.state = state
        self.definitions: dict[str, _Val] = {}
        self.resolved: dict[str, _Val] = {}
        self.seen_files: set[str] = set()

    # includes ------------------------------------------------------------------------------

    def load(self, file: Path) -> dict[str, _Val]:
        """The top-level definitions of ``file`` and of what it includes (its own win)."""
        path = self.state.relative(file)
        if path in self.seen_files:
            return {}
        self.seen_files.add(path)
        text = self.state.read(file)
        if text is None:
            return {}
        doc = _Yaml(self.state, path, text)
        documents = doc.documents(text)
        if not documents:
            return {}
        root = documents[0]
        if len(documents) > 1 and "spec" in doc.entries(root):
            root = documents[1]  # a `spec:` header, then the configuration
        if not isinstance(root, MappingNode):
            self.state.problem(
                path, _line(root), "not a GitLab CI file: the top level is not a mapping"
            )
            return {}
        entries = doc.entries(root)
        merged: dict[str, _Val] = {}
        if "include" in entries:
            for included in self._includes(doc, entries["include"][1]):
                for name, loaded in self.load(included).items():
                    merged[name] = _deep_merge(merged[name], loaded) if name in merged else loaded
        for name, (key, node) in entries.items():
            if name == "include":
                continue
            own = _tree(doc, node, _line(key))
            merged[name] = _deep_merge(merged[name], own) if name in merged else own
        return merged

    def _includes(self, doc: _Yaml, node: Node) -> Iterator[Path]:
        items = node.value if isinstance(node, SequenceNode) else [node]
        for item in items:
            if isinstance(item, ScalarNode):
                target = item.value.strip()
                if re.match(r"^https?://", target):
                    self._not_followed(doc, item, f"remote: {target}")
                else:
                    yield from self._local(doc, item, target)
                continue
            entries = doc.entries(item)
            if "local" in entries:
                yield from self._local(doc, entries["local"][1], _text(entries["local"][1]) or "")
                continue
            kind = next(
                (k for k in ("project", "remote", "template", "component") if k in entries), ""
            )
            if kind:
                described = f"{kind}: {_text(entries[kind][1]) or ''}".strip()
                if "file" in entries:
                    described += f" (file: {', '.join(_scalars(entries['file'][1]))})"
                self._not_followed(doc, item, described)
            else:
                self.state.problem(
                    doc.path, _line(item), "an `include` entry that is not understood"
                )

    def _not_followed(self, doc: _Yaml, node: Node, described: str) -> None:
        self.state.problem(
            doc.path,
            _line(node),
            f"`include: {described}` is not read (only local files are): "
            "the jobs and templates it defines are unknown here",
        )

    def _local(self, doc: _Yaml, node: Node, target: str) -> Iterator[Path]:
        relative = target.lstrip("/")
        if not relative:
            return
        if any(char in relative for char in "*?["):
            matches = sorted(p for p in self.state.root.glob(relative) if p.is_file())
            if not matches:
                self.state.problem(doc.path, _line(node), f"`include: {target}` matches no file")
            yield from matches
            return
        candidate = self.state.root / relative
        if candidate.is_file():
            yield candidate
        else:
            self.state.problem(doc.path, _line(node), f"included file `{target}` not found")

    # jobs ----------------------------------------------------------------------------------

    def resolve(self, name: str, stack: tuple[str, ...] = ()) -> _Val:
        """A definition with its ``extends`` chain merged in."""
        if name in self.resolved:
            return self.resolved[name]
        own = self.definitions[name]
        extends = (own.children or {}).get("extends")
        merged: _Val | None = None
        if extends is not None:
            for parent in _scalars(extends.node):
                if parent in stack or parent == name or len(stack) > 10:
                    self.state.problem(
                        extends.doc.path, extends.key_line, f"`{name}` extends `{parent}`: a loop"
                    )
                elif parent not in self.definitions:
                    self.state.problem(
                        extends.doc.path,
                        extends.key_line,
                        f"`{name}` extends `{parent}`, which is not defined in the files read",
                    )
                else:
                    resolved = self.resolve(parent, (*stack, name))
                    merged = resolved if merged is None else _deep_merge(merged, resolved)
        result = own if merged is None else _deep_merge(merged, own)
        self.resolved[name] = result
        return result

    def with_defaults(self, job: _Val) -> _Val:
        children = dict(job.children or {})
        defaults: dict[str, _Val] = {}
        for name in _GLOBAL_DEFAULTS:
            if name in self.definitions:
                defaults[name] = self.definitions[name]
        default = self.definitions.get("default")
        if default is not None and default.children:
            defaults.update({k: v for k, v in default.children.items() if k in _GITLAB_DEFAULTS})
        allowed = set(defaults)
        inherit = children.get("inherit")
        if inherit is not None and inherit.children and "default" in inherit.children:
            setting = inherit.children["default"].node
            if isinstance(setting, SequenceNode):
                allowed &= set(_scalars(setting))
            elif not _is_true(setting):
                allowed = set()
        for name in allowed:
            children.setdefault(name, defaults[name])
        return _Val(job.node, job.doc, job.key_line, children)

    def reference(self, node: Node, depth: int = 0) -> _Val | None:
        """What ``!reference [.job, key, …]`` points to."""
        parts = _scalars(node)
        if len(parts) < 2 or parts[0] not in self.definitions or depth > 10:
            return None
        value: _Val | None = self.resolve(parts[0])
        for part in parts[1:]:
            if value is None or value.children is None:
                return None
            value = value.children.get(part)
        return value

    def script_items(self, value: _Val, depth: int = 0) -> Iterator[tuple[ScalarNode, _Yaml]]:
        node = value.node
        value.doc.spend(1, node)  # nested lists may be aliases of aliases
        if depth > _MAX_YAML_DEPTH:
            raise value.doc.too_deep(node)
        if node.tag == "!reference":
            target = self.reference(node, depth)
            if target is None:
                self.state.problem(
                    value.doc.path,
                    _line(node),
                    f"`!reference [{', '.join(_scalars(node))}]` points to nothing "
                    "in the files read",
                )
                return
            yield from self.script_items(target, depth + 1)
        elif isinstance(node, ScalarNode):
            if node.value.strip():
                yield node, value.doc
        elif isinstance(node, SequenceNode):
            for item in node.value:
                yield from self.script_items(_Val(item, value.doc, _line(item)), depth + 1)
