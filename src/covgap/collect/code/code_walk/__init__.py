"""Find a file's code facts (``code_facts.py``) in one pass over its AST.

The walk follows coverage.py's RegionFinder, so functions are named and keyed as its regions are.
Texts are the source as written (whitespace runs collapsed, long ones cut with "…"), not
``ast.unparse``'s rewriting, so that a suggestion quotes the user's own code.
"""

from __future__ import annotations

from covgap.collect.code.code_walk.file_facts import facts_from_source
from covgap.collect.code.code_walk.source_text import MAX_TEXT

__all__ = ["MAX_TEXT", "facts_from_source"]
