"""What collecting one test module shares: the module, its marks, its hooks, its items."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from covgap.collect.suite.test_inventory.categories import _folder_categories
from covgap.collect.suite.test_inventory.model import TestItem
from covgap.collect.suite.test_inventory.reading.base import _MAX_NOTES
from covgap.collect.suite.test_inventory.summary import _GenTests, _Mark, _MarkLike, _Summary

if TYPE_CHECKING:
    from covgap.collect.suite.test_inventory.building.builder import _Builder


class _ContextBase:
    """The state of collecting one test module."""

    def __init__(self, builder: _Builder, summary: _Summary) -> None:
        self.builder = builder
        self.project = builder.project
        self.options = builder.options
        self.summary = summary
        self.path = summary.path
        self.items: list[TestItem] = []
        self.notes: list[str] = []
        self.error: str | None = None
        self.classes_with_items: set[str] = set()
        self.module_marks = self.resolved_marks(summary.pytestmark, summary)
        self.folder_categories = _folder_categories(self.path)
        hooks: list[_GenTests] = []
        if summary.generate_tests is not None:
            hooks.append(summary.generate_tests)
        parts = self.path.split("/")[:-1]
        for folder in ["", *("/".join(parts[: i + 1]) for i in range(len(parts)))]:
            hook = builder.conftest_hooks.get(folder)
            if hook is not None:
                hooks.append(hook)
        self.hooks = hooks

    def resolved_marks(
        self, marks: Iterable[_MarkLike], owner: _Summary
    ) -> list[tuple[_Mark, int | None]]:
        return [
            (mark, self.project.length(mark.count, where) if mark.name == "parametrize" else None)
            for mark, where in self.project.marks(marks, owner)
        ]

    def _note(self, text: str) -> None:
        if len(self.notes) < _MAX_NOTES:
            self.notes.append(text)
