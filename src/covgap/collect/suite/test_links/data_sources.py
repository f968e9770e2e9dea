"""Data-driven tests: the folder of case files a parametrized test reads, from its AST."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator, Sequence

from covgap.collect.code.ast_names import dotted_name

#: Calls that list a folder's files: (method or function name) -> what it takes.
_LISTINGS = frozenset({"glob", "iglob", "rglob", "iterdir", "listdir", "scandir", "walk"})

#: Calls that return their (path) argument unchanged for our purpose.
_SAME_PATH = frozenset(
    {
        "Path",
        "pathlib.Path",
        "PurePath",
        "pathlib.PurePath",
        "str",
        "os.fspath",
        "os.path.abspath",
        "os.path.realpath",
        "os.path.normpath",
        "sorted",
        "list",
        "tuple",
    }
)


def walk_body(statements: Sequence[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a function's body, nested functions and lambdas included (a test's inner
    helper is the test's)."""
    stack: list[ast.AST] = list(reversed(statements))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


class DataSources:
    """What a module reader needs to work out a folder from the expressions that list it."""

    path: str
    imports: dict[str, str]
    assigned: dict[str, ast.expr]
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]

    def _resolve(self, dotted: str, depth: int = 0) -> str | None:
        raise NotImplementedError

    def _data_source(self, values: ast.expr, depth: int = 0) -> list[str] | None:
        """[folder, pattern, how] when ``values`` lists a folder's files."""
        if depth > 4:
            return None
        for node in ast.walk(values):
            if isinstance(node, ast.Call):
                found = self._listing(node, depth)
                if found is not None:
                    return found
                callee = dotted_name(node.func)
                if callee in self.functions:  # a helper that lists the files
                    helper = self.functions[callee]
                    for statement in walk_body(helper.body):
                        if (
                            isinstance(statement, (ast.Return, ast.Yield, ast.YieldFrom))
                            and statement.value is not None
                        ):
                            inner = self._data_source(statement.value, depth + 1)
                            if inner is not None:
                                return inner
            elif isinstance(node, ast.Name) and node.id in self.assigned:
                inner = self._data_source(self.assigned[node.id], depth + 1)
                if inner is not None:
                    return inner
        return None

    def _listing(self, call: ast.Call, depth: int) -> list[str] | None:
        """[folder, pattern, how] of a call that lists files: ``folder.glob("*.json")``,
        ``folder.iterdir()``, ``glob.glob(pattern)``, ``os.listdir(folder)``."""
        func = call.func
        if isinstance(func, ast.Attribute):
            short = func.attr
        elif isinstance(func, ast.Name):
            short = func.id
        else:
            return None
        if short not in _LISTINGS:
            return None
        how = _short(ast.unparse(call))
        on_module = not isinstance(func, ast.Attribute) or dotted_name(func.value) in self.imports
        if on_module:  # glob.glob(pattern), os.listdir(folder), from glob import glob
            if short in ("glob", "iglob"):
                return self._glob_path(call, how, depth)
            if short in ("listdir", "scandir", "walk"):
                folder = self._path(call.args[0], depth) if call.args else "."
                return _split(folder, "*", how) if folder is not None else ["", "", how]
            return None
        assert isinstance(func, ast.Attribute)
        receiver = self._path(func.value, depth)  # a method of a path
        if short in ("glob", "rglob"):
            pattern = _string(call.args[0]) if call.args else None
            if receiver is None or pattern is None:
                return ["", "", how]
            return _split(receiver, pattern if short == "glob" else f"**/{pattern}", how)
        if short == "iterdir":
            return _split(receiver, "*", how) if receiver is not None else ["", "", how]
        return None

    def _glob_path(self, call: ast.Call, how: str, depth: int) -> list[str]:
        full = self._path(call.args[0], depth) if call.args else None
        if full is None:
            return ["", "", how]
        folder, _, pattern = full.rpartition("/")
        return _split(folder or ".", pattern or "*", how)

    def _path(self, node: ast.expr, depth: int = 0) -> str | None:
        """A path expression as a POSIX path relative to the project, when it can be worked
        out: ``__file__``, literals, ``Path(...)``, ``/``, ``.parent``, ``os.path.join`` and
        ``dirname``, module-level names bound to those."""
        if depth > 8:
            return None
        if isinstance(node, ast.Name):
            if node.id == "__file__":
                return self.path
            if node.id in self.assigned:
                return self._path(self.assigned[node.id], depth + 1)
            return None
        literal = _string(node)
        if literal is not None:
            return posixpath.normpath(literal) if not posixpath.isabs(literal) else None
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            inner = self._path(node.value, depth + 1)
            return _parent(inner) if inner is not None else None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self._path(node.left, depth + 1), self._path(node.right, depth + 1)
            return _join(left, right) if left is not None and right is not None else None
        if not isinstance(node, ast.Call):
            return None
        callee = dotted_name(node.func) or ""
        resolved = self._resolve(callee) or callee
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute"):
            return self._path(node.func.value, depth + 1)
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("joinpath", "with_name"):
            base = self._path(node.func.value, depth + 1)
            if node.func.attr == "with_name" and base is not None:
                base = _parent(base)
            parts = [self._path(a, depth + 1) for a in node.args]
            if base is None or any(p is None for p in parts):
                return None
            return _join(base, *(p for p in parts if p is not None))
        if resolved in ("os.path.dirname", "posixpath.dirname") and node.args:
            inner = self._path(node.args[0], depth + 1)
            return _parent(inner) if inner is not None else None
        if resolved in ("os.path.join", "posixpath.join") and node.args:
            parts = [self._path(a, depth + 1) for a in node.args]
            if any(p is None for p in parts):
                return None
            return _join(*(p for p in parts if p is not None))
        if (resolved in _SAME_PATH or callee in _SAME_PATH) and len(node.args) == 1:
            return self._path(node.args[0], depth + 1)
        return None


def _split(folder: str, pattern: str, how: str) -> list[str]:
    """[folder, pattern, how], the pattern's own folders moved into the folder."""
    head, _, tail = pattern.rpartition("/")
    if head and "*" not in head:
        return [_join(folder, head), tail or "*", how]
    return [posixpath.normpath(folder), pattern, how]


def _join(*parts: str) -> str:
    return posixpath.normpath(posixpath.join(*parts))


def _parent(path: str) -> str:
    parent = posixpath.dirname(posixpath.normpath(path))
    return parent or "."


def _string(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
