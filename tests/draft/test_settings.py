"""covgap draft's settings: [tool.covgap] keys, the engines' names, and the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from covgap.config import DRAFT_ENGINES, load_settings
from covgap.draft.engines import DEFAULT_ENGINES, ENGINES, OPT_IN
from covgap.errors import ConfigError


def test_the_config_knows_every_engine() -> None:
    assert tuple(ENGINES) == DRAFT_ENGINES
    assert set(DEFAULT_ENGINES).isdisjoint(OPT_IN)


def test_draft_keys_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.covgap]\n"
        'draft-engines = ["crosshair", "llm"]\n'
        "draft-runs = 10\n"
        'llm-base-url = "http://127.0.0.1:8080/v1"\n'
        'llm-model = "qwen"\n'
    )
    settings = load_settings(tmp_path, environ={})
    assert settings.draft_engines == ("crosshair", "llm")
    assert settings.draft_runs == 10
    assert (settings.llm_base_url, settings.llm_model) == ("http://127.0.0.1:8080/v1", "qwen")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('draft-engines = ["crosshair", "gpt"]', "draft-engines must name engines from"),
        ("draft-runs = 0", "draft-runs"),
    ],
)
def test_bad_draft_keys_are_config_errors(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.covgap]\n{line}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, environ={})
