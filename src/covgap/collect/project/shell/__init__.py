"""What a CI script's shell text does for testing (``script.py``'s docstring says how)."""

from __future__ import annotations

from covgap.collect.project.shell.facts import (
    Command,
    CoverageGate,
    CoverageUpload,
    ScriptFacts,
    TestRun,
)
from covgap.collect.project.shell.script import analyze_script
from covgap.collect.project.shell.words import split_words

__all__ = [
    "Command",
    "CoverageGate",
    "CoverageUpload",
    "ScriptFacts",
    "TestRun",
    "analyze_script",
    "split_words",
]
