"""Evaluate cyclomatic-complexity libraries for covgap: speed, and agreement per function.

covgap ranks uncovered functions by risk, and one risk factor is the cyclomatic complexity of
each function, keyed by the line of its ``def`` (``FunctionDef.lineno``, the start line of a
coverage.py function region). This script measures the candidates on every ``*.py`` file under
the folders it is given, in one process:

- **speed**: seconds for all files, per library, as a ratio to ``ast.parse`` of the same files.
  radon and mccabe work on an ``ast`` tree, so they are timed twice: on the already-parsed tree
  (what covgap does: it parses each file once) and from the source (parse included). lizard
  tokenizes the source itself. The best of ``--repeat`` passes is kept;
- **identity**: how many of the ``def`` statements each library reports at their ``def`` line,
  how many it leaves out, and how many results it keys to a line where no ``def`` is;
- **agreement**: for each pair of libraries, the functions both report with different numbers;
  each difference is described by the syntax features of the function's own body (nested
  functions and classes excluded) whose counting rules differ between the libraries, and, for
  radon against lizard, whether those known rule differences account for the whole difference
  ("explained") or not. A few examples of each are printed.

Run it (the script needs the standard library and the candidates; covgap is optional: when it is
importable, e.g. with ``PYTHONPATH=src``, its adapter ``covgap.collect.code.complexity`` is
timed and compared too)::

    python3 -m venv /tmp/cx-eval/venv
    /tmp/cx-eval/venv/bin/pip install radon==6.0.1 mccabe==0.7.0 lizard==1.24.3
    /tmp/cx-eval/venv/bin/python benchmarks/eval_complexity.py \\
        "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')" \\
        --exclude site-packages
    # a large third-party code base:
    /tmp/cx-eval/venv/bin/pip download --no-deps --no-binary :all: -d /tmp/cx-eval sympy==1.14.0
    tar xzf /tmp/cx-eval/sympy-1.14.0.tar.gz -C /tmp/cx-eval
    /tmp/cx-eval/venv/bin/python benchmarks/eval_complexity.py /tmp/cx-eval/sympy-1.14.0/sympy

Files that ``ast.parse`` of this interpreter rejects (test data with bad syntax, newer grammar)
are counted and skipped. Exit status: 0 (the numbers are for reading, nothing is asserted).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import io
import sys
import time
import tokenize
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lizard  # type: ignore[import-untyped,import-not-found,unused-ignore]
import mccabe  # type: ignore[import-untyped,import-not-found,unused-ignore]
import radon  # type: ignore[import-untyped]
from radon.complexity import cc_visit, cc_visit_ast  # type: ignore[import-untyped]

Scores = dict[int, int]
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
LIBS = ("radon", "lizard", "mccabe")


@dataclass
class Source:
    path: Path
    text: str
    tree: ast.Module
    defs: dict[int, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------
# the candidates, each as "source (and tree) -> {def line: complexity}"


def radon_scores(blocks: list[Any]) -> Scores:
    """radon's blocks flattened: functions, their closures, classes' methods, inner classes."""
    found: Scores = {}
    pending = list(blocks)
    while pending:
        block = pending.pop()
        if hasattr(block, "methods"):  # a radon Class
            pending.extend(block.methods)
            pending.extend(block.inner_classes)
        else:
            found[block.lineno] = block.complexity
            pending.extend(block.closures)
    return found


def radon_tree(text: str, tree: ast.Module) -> Scores:
    return radon_scores(cc_visit_ast(tree))


def radon_source(text: str, tree: ast.Module) -> Scores:
    return radon_scores(cc_visit(text))


def mccabe_graphs(tree: ast.Module) -> Scores:
    visitor = mccabe.PathGraphingAstVisitor()
    visitor.preorder(tree, visitor)
    # Module-level if/for/while/try statements get graphs of their own, named after the node.
    return {
        graph.lineno: graph.complexity()
        for graph in visitor.graphs.values()
        if not graph.entity.startswith(("If ", "Loop ", "TryExcept "))
    }


def mccabe_tree(text: str, tree: ast.Module) -> Scores:
    return mccabe_graphs(tree)


def mccabe_source(text: str, tree: ast.Module) -> Scores:
    return mccabe_graphs(ast.parse(text))


def lizard_source(text: str, tree: ast.Module) -> Scores:
    info = lizard.analyze_file.analyze_source_code("module.py", text)
    return {function.start_line: function.cyclomatic_complexity for function in info.function_list}


def parse_only(text: str, tree: ast.Module) -> Scores:
    ast.parse(text)
    return {}


def adapter() -> Callable[[str, ast.Module], Scores] | None:
    """covgap's adapter on the parsed tree, when covgap is importable."""
    try:
        from covgap.collect.code.complexity import complexity_by_line
    except ImportError:
        return None

    def run(text: str, tree: ast.Module) -> Scores:
        return complexity_by_line(text, tree)

    return run


# --------------------------------------------------------------------------------------------
# the files


def read_sources(folders: list[Path], exclude: set[str]) -> tuple[list[Source], int]:
    sources: list[Source] = []
    rejected = 0
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            if exclude.intersection(path.relative_to(folder).parts):
                continue
            try:
                with tokenize.open(path) as handle:
                    text = handle.read()
                tree = ast.parse(text)
            except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
                rejected += 1
                continue
            source = Source(path, text, tree)
            source.defs = {node.lineno: node for node in ast.walk(tree) if isinstance(node, FUNCS)}
            sources.append(source)
    return sources, rejected


# --------------------------------------------------------------------------------------------
# features of a function's own body, where the libraries' counting rules differ


def own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a function's body, not descending into nested functions or classes, nor
    into ``assert`` statements (radon counts an ``assert`` as 1 and does not look inside)."""
    pending = list(getattr(function, "body", []))
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, (*FUNCS, ast.ClassDef, ast.Assert)):
            pending.extend(ast.iter_child_nodes(node))


def signature_decisions(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Decision keywords in defaults and annotations (lizard reads them as the function's)."""
    parts: list[ast.AST] = [*function.args.defaults, *function.args.kw_defaults]  # type: ignore[list-item]
    parts += [arg.annotation for arg in ast.walk(function.args) if isinstance(arg, ast.arg)]  # type: ignore[misc]
    if function.returns is not None:
        parts.append(function.returns)
    return sum(decisions(node) for part in parts if part is not None for node in ast.walk(part))


def decisions(node: ast.AST) -> int:
    if isinstance(node, ast.BoolOp):
        return len(node.values) - 1
    if isinstance(node, ast.comprehension):
        return 1 + len(node.ifs)
    return int(isinstance(node, ast.IfExp))


def features(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Counter[str]:
    """Counts of the syntax whose rules differ between the candidates."""
    found: Counter[str] = Counter()
    for node in own_nodes(function):
        if isinstance(node, ast.Assert):
            found["assert"] += 1
            found["decision in assert"] += sum(decisions(inner) for inner in ast.walk(node))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and node.orelse:
            found["loop-else"] += 1
        elif isinstance(node, ast.Try):
            found["try-else"] += bool(node.orelse)
            found["finally"] += bool(node.finalbody)
        elif sys.version_info >= (3, 11) and isinstance(node, ast.TryStar):
            found["except*"] += len(node.handlers)
            found["finally"] += bool(node.finalbody)
        elif isinstance(node, ast.Match):
            found["match-case"] += len(node.cases)
            found["match-wildcard"] += sum(_is_wildcard(case) for case in node.cases)
            found["match-guard"] += sum(case.guard is not None for case in node.cases)
        elif isinstance(node, (ast.BoolOp, ast.comprehension, ast.IfExp)):
            found["boolop/comprehension/ternary"] += decisions(node)
        elif isinstance(node, ast.Lambda):
            found["lambda"] += 1
        elif isinstance(node, (*FUNCS, ast.ClassDef)):
            found["nested def/class"] += 1
    found["decision in signature"] += signature_decisions(function)
    first = function.body[0]
    found["one-line def"] += first.lineno == function.lineno
    return +found  # drop zeros


def _is_wildcard(case: ast.match_case) -> bool:
    pattern = case.pattern
    return isinstance(pattern, ast.MatchAs) and pattern.pattern is None and case.guard is None


def lizard_minus_radon(found: Counter[str]) -> int:
    """lizard's number minus radon's, from the rule differences alone (see the docstring)."""
    return (
        found["finally"]  # lizard counts `finally`, radon does not
        + found["except*"]  # radon 6.0.1 does not count `except*` handlers
        + found["match-wildcard"]  # lizard counts every `case`, radon not `case _:`
        + found["match-guard"]  # the guard's `if` token
        + found["decision in signature"]
        + found["decision in assert"]  # lizard counts the tokens, radon does not look inside
        - found["assert"]  # radon counts `assert`
        - found["loop-else"]  # radon counts a loop's `else`
        - found["try-else"]  # radon counts a try's `else`
    )


# --------------------------------------------------------------------------------------------
# measuring and printing


def timed(
    run: Callable[[str, ast.Module], Scores], sources: list[Source], repeat: int
) -> tuple[float, list[Scores | None], Counter[str]]:
    """Best total seconds over ``repeat`` passes; the results of the last pass; the files that
    raised, by exception."""
    best = float("inf")
    results: list[Scores | None] = []
    crashes: Counter[str] = Counter()
    for _ in range(repeat):
        results, crashes = [], Counter()
        start = time.perf_counter()
        for source in sources:
            try:
                # lizard writes to stderr when it gives up on a file (RecursionError)
                with contextlib.redirect_stderr(io.StringIO()):
                    results.append(run(source.text, source.tree))
            except Exception as error:  # a crash is a finding: counted and shown
                results.append(None)
                crashes[type(error).__name__] += 1
        best = min(best, time.perf_counter() - start)
    return best, results, crashes


def identity_row(name: str, sources: list[Source], results: list[Scores | None]) -> str:
    reported = missing = stray = 0
    for source, scores in zip(sources, results, strict=True):
        if scores is None:
            missing += len(source.defs)
            continue
        reported += sum(line in scores for line in source.defs)
        missing += sum(line not in scores for line in source.defs)
        stray += sum(line not in source.defs for line in scores)
    return f"| {name} | {reported} | {missing} | {stray} |"


def compare(
    pair: tuple[str, str],
    sources: list[Source],
    results: dict[str, list[Scores | None]],
    examples: int,
) -> list[str]:
    """Lines describing where the two libraries disagree on a function both report."""
    first, second = pair
    both = differ = explained = 0
    reasons: Counter[str] = Counter()
    shown: list[str] = []
    for index, source in enumerate(sources):
        one, two = results[first][index], results[second][index]
        if one is None or two is None:
            continue
        for line, node in source.defs.items():
            if line not in one or line not in two:
                continue
            both += 1
            if one[line] == two[line]:
                continue
            differ += 1
            found = features(node)
            reasons[", ".join(sorted(found)) or "(none of the known features)"] += 1
            if pair == ("radon", "lizard") and lizard_minus_radon(found) == two[line] - one[line]:
                explained += 1
                continue
            if len(shown) < examples:
                where = f"{source.path}:{line} {node.name}"
                shown.append(f"    {where}: {first} {one[line]}, {second} {two[line]}; {found}")
    lines = [f"{first} vs {second}: {both} functions reported by both, {differ} differ"]
    if pair == ("radon", "lizard"):
        lines[0] += f" ({explained} explained by the known rule differences)"
    lines += [f"  {count:6d}  {reason}" for reason, count in reasons.most_common(8)]
    if shown:
        title = "unexplained" if pair == ("radon", "lizard") else "examples"
        lines += [f"  {title}:", *shown]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=1, help="timed passes (best is kept)")
    parser.add_argument("--examples", type=int, default=5, help="examples per comparison")
    parser.add_argument(
        "--exclude", action="append", default=[], help="a folder name to skip (repeatable)"
    )
    args = parser.parse_args(argv)

    sources, rejected = read_sources(args.folders, set(args.exclude))
    # The kept trees are many objects: out of the collector's sight, so that each timed run pays
    # for its own garbage only, as in a process that handles one file at a time.
    gc.collect()
    gc.freeze()
    functions = sum(len(source.defs) for source in sources)
    print(f"Python {sys.version.split()[0]}; radon {radon.__version__}, ", end="")
    print(f"mccabe {mccabe.__version__}, lizard {lizard.version}")
    print(f"{len(sources)} files ({rejected} rejected by ast.parse), {functions} functions\n")

    runs: dict[str, Callable[[str, ast.Module], Scores]] = {
        "ast.parse": parse_only,
        "radon (tree)": radon_tree,
        "radon (source)": radon_source,
        "mccabe (tree)": mccabe_tree,
        "mccabe (source)": mccabe_source,
        "lizard (source)": lizard_source,
    }
    covgap = adapter()
    if covgap is not None:
        runs["covgap adapter (tree)"] = covgap
    results: dict[str, list[Scores | None]] = {}
    print("| run | seconds | ratio to ast.parse | files that crashed |\n| --- | --- | --- | --- |")
    base = 0.0
    for name, run in runs.items():
        seconds, results[name], crashes = timed(run, sources, args.repeat)
        base = base or seconds
        raised = ", ".join(f"{count} {error}" for error, count in crashes.items()) or "0"
        print(f"| {name} | {seconds:.2f} | {seconds / base:.2f} | {raised} |")

    print("\n| library | defs reported at their line | defs left out | keys at no def |")
    print("| --- | --- | --- | --- |")
    named = {"radon": "radon (tree)", "lizard": "lizard (source)", "mccabe": "mccabe (tree)"}
    if covgap is not None:
        named["covgap"] = "covgap adapter (tree)"
    for lib, run_name in named.items():
        print(identity_row(lib, sources, results[run_name]))
    by_lib = {lib: results[run_name] for lib, run_name in named.items()}
    for pair in (("radon", "lizard"), ("radon", "mccabe"), ("lizard", "mccabe")):
        print()
        print("\n".join(compare(pair, sources, by_lib, args.examples)))
    if covgap is not None:
        print()
        print("\n".join(compare(("radon", "covgap"), sources, by_lib, args.examples)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
