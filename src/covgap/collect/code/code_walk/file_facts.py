"""A file's facts: the module-level scan and the per-function walk, put together."""

from __future__ import annotations

import ast

from covgap.collect.code.code_facts import FileFacts
from covgap.collect.code.code_walk.function_walk import _FunctionFinder
from covgap.collect.code.code_walk.module_scan import (
    _attribute_types,
    _endpoints,
    _exports,
    _global_types,
    _imports,
    _main_calls,
    _relative_imports,
)
from covgap.collect.code.code_walk.source_text import _SourceText
from covgap.collect.code.effects import EffectFinder, lexical_reason
from covgap.model import MODULE_REGION


def facts_from_source(source: str, tree: ast.Module | None = None) -> FileFacts:
    """The facts of every function in ``source`` (raises SyntaxError for invalid Python)."""
    if tree is None:
        tree = ast.parse(source)
    texts = _SourceText(source)
    imports = _imports(tree)
    global_types = _global_types(tree, imports)
    attribute_types = _attribute_types(tree, imports, global_types)
    relative = _relative_imports(tree)
    content_lexical = lexical_reason({**relative, **imports}, 0, 0)
    effects = EffectFinder(imports, attribute_types, lexical=bool(content_lexical))
    finder = _FunctionFinder(texts, imports, effects, global_types)
    finder.module(tree)
    functions = [f for f in finder.functions if f.name != MODULE_REGION]
    lexical = content_lexical or lexical_reason({}, finder.token_functions, len(functions))
    return FileFacts(
        imports=imports,
        functions=tuple(finder.functions),
        attribute_types=attribute_types,
        lexical=lexical,
        exports=_exports(tree),
        relative_imports=relative,
        class_bases=finder.class_bases,
        endpoints=_endpoints(tree, imports),
        main_calls=_main_calls(tree),
        global_types=global_types,
    )
