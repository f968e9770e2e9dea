"""A file's outline: what the project's call graph and a function's exposure need of it.

The outline is a small part of a file's code facts (``code_facts.py``): the functions with their
decorators and calls, the imports, ``__all__``, the classes' bases, route tables and the
``__main__`` entry. Exposure needs it for *every* file of the project (a function's callers can
be anywhere), so it is cached on its own, by content, and read back cheaply when the facts of
most files are not needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from covgap.collect.code.code_facts import FileFacts
from covgap.model import MODULE_REGION

__all__ = ["OUTLINE_FORMAT", "FileOutline", "OutlineFunction", "outline_of"]

#: Bump when the shape of FileOutline.to_json() changes.
#: 1: first version.
OUTLINE_FORMAT = 1


@dataclass(frozen=True)
class OutlineFunction:
    """A function (or the module-level code, ``name`` = MODULE_REGION at line 0)."""

    name: str
    line: int
    #: Decorators as written (``app.route("/login")``, ``click.command()``).
    decorators: tuple[str, ...] = ()
    #: Parameters as written, without ``self``/``cls`` of methods.
    params: tuple[str, ...] = ()
    #: What it calls, as written ("helper", "self.save", "models.Order").
    calls: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileOutline:
    #: Names bound by absolute imports -> dotted names; relative ones with their leading dots.
    imports: dict[str, str]
    functions: tuple[OutlineFunction, ...]
    exports: tuple[str, ...] | None = None
    class_bases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    endpoints: tuple[str, ...] = ()
    main_calls: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "imports": self.imports,
            "functions": [
                [f.name, f.line, f.decorators, f.params, f.calls] for f in self.functions
            ],
            "exports": self.exports,
            "class_bases": self.class_bases,
            "endpoints": self.endpoints,
            "main_calls": self.main_calls,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> FileOutline:
        return cls(
            imports=dict(obj["imports"]),
            functions=tuple(
                OutlineFunction(name, line, tuple(decorators), tuple(params), tuple(calls))
                for name, line, decorators, params, calls in obj["functions"]
            ),
            exports=None if obj["exports"] is None else tuple(obj["exports"]),
            class_bases={k: tuple(v) for k, v in obj["class_bases"].items()},
            endpoints=tuple(obj["endpoints"]),
            main_calls=tuple(obj["main_calls"]),
        )


def outline_of(facts: FileFacts) -> FileOutline:
    """The outline of a file, from its facts."""
    return FileOutline(
        imports={**facts.relative_imports, **facts.imports},
        functions=tuple(
            OutlineFunction(
                f.name,
                0 if f.name == MODULE_REGION else f.line,
                f.decorators,
                f.params,
                f.calls,
            )
            for f in facts.functions
        ),
        exports=facts.exports,
        class_bases=facts.class_bases,
        endpoints=facts.endpoints,
        main_calls=facts.main_calls,
    )
