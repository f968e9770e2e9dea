"""The test generators ``covgap draft`` can use, one module each, loaded by name when chosen."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from covgap.draft.engines.base import Engine

__all__ = ["DEFAULT_ENGINES", "ENGINES", "OPT_IN", "load_engine"]

#: Every engine, in the order they run for a target: module and class name.
ENGINES: dict[str, tuple[str, str]] = {
    "crosshair": ("covgap.draft.engines.crosshair", "CrossHairEngine"),
    "hypothesis": ("covgap.draft.engines.hypothesis", "HypothesisEngine"),
    "pynguin": ("covgap.draft.engines.pynguin", "PynguinEngine"),
    "llm": ("covgap.draft.engines.llm", "LlmEngine"),
    "skeleton": ("covgap.draft.engines.skeleton", "SkeletonEngine"),
}
#: Used when ``--engine`` is not given (those not installed say so and are skipped).
DEFAULT_ENGINES = ("crosshair", "hypothesis", "skeleton")
#: Only when asked for by name: Pynguin builds a virtual environment, the llm engine sends the
#: project's code to a model.
OPT_IN = frozenset({"pynguin", "llm"})


def load_engine(name: str) -> Engine:
    """The engine called ``name`` (one of ``ENGINES``)."""
    module_name, class_name = ENGINES[name]
    engine: Engine = getattr(importlib.import_module(module_name), class_name)()
    return engine
