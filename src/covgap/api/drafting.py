"""Drafting tests: plan from the data, then ``covgap draft``'s engines, filter and files."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from covgap.api.planning import plan
from covgap.config import Settings

if TYPE_CHECKING:
    from covgap.draft.session import DraftOptions
    from covgap.model.draft import DraftResult


def draft(
    project_dir: Path,
    settings: Settings,
    options: DraftOptions,
    say: Callable[[str], None] | None = None,
) -> DraftResult:
    """Plan, then draft tests for the planned functions ``options`` selects (docs/draft.md).

    Planning here neither audits (drafting does not need it) nor touches covgap's cache: the
    only change ``covgap draft`` makes to a project is its new test files."""
    from covgap.draft.session import run_draft

    settings = dataclasses.replace(settings, audit=False, cache=False)
    result = plan(project_dir, settings)
    return run_draft(project_dir, result, settings, options, say or (lambda _: None))
