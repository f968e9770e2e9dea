"""Fixtures for covgap draft's tests: a small real project, measured."""

from __future__ import annotations

from pathlib import Path

import pytest
from draft_project import make_text_project


@pytest.fixture
def text_project(tmp_path: Path) -> Path:
    """src/textutil/text.py with one test of camelize, measured (.coverage in the project)."""
    return make_text_project(tmp_path)
