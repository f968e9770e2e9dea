"""A project where ``token`` is a word of SQL in one module and a credential in another."""

from __future__ import annotations

import pytest
from conftest import measure_copy

from covgap import api
from covgap.config import load_settings
from covgap.model import PlanResult


@pytest.fixture(scope="module")
def tokens_plan(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    """The 'tokens' fixture measured for real (one test of the lexer), planned with risk on."""
    project = measure_copy("tokens", tmp_path_factory.mktemp("tokens") / "tokens")
    settings = load_settings(project, {"format": ["json"], "target": 100}, environ={})
    return api.plan(project, settings)


def test_only_the_credential_check_is_high_risk(tokens_plan: PlanResult) -> None:
    """The key compared with hmac.compare_digest is high risk; the lexer's tokens are not."""
    levels = {g.region.name: g.risk.level for g in tokens_plan.functions if g.risk is not None}
    assert levels.pop("verify_token") == "high"
    assert "same_token" in levels and "Token.__repr__" in levels
    assert set(levels.values()) == {"low"}


def test_the_credential_check_shows_its_evidence_line(tokens_plan: PlanResult) -> None:
    """The reason names the call and its file:line."""
    verify = next(g for g in tokens_plan.functions if g.region.name == "verify_token")
    assert verify.risk is not None
    factor = verify.risk.factor("criticality")
    assert factor is not None and factor.score == 1.0
    assert factor.reason == "checks credentials: `hmac.compare_digest` (src/sqlish/auth.py:12)"


def test_a_token_in_the_lexer_is_not_a_credential(tokens_plan: PlanResult) -> None:
    """`same_token` matches the `token` pattern, but in a lexer: criticality 0, and says why."""
    same = next(g for g in tokens_plan.functions if g.region.name == "same_token")
    assert same.risk is not None
    factor = same.risk.factor("criticality")
    assert factor is not None and factor.score == 0.0
    assert factor.reason == (
        "name matches `token`, but a lexer/parser context (3 of its 5 functions handle "
        "tokens): not critical by name"
    )


def test_exposure_of_the_public_api(tokens_plan: PlanResult) -> None:
    """Names the package re-exports are exported; the lexer's helper has its caller counted."""
    by_name = {g.region.name: g for g in tokens_plan.functions if g.risk is not None}
    verify = by_name["verify_token"].risk.factor("exposure")  # type: ignore[union-attr]
    assert verify is not None
    assert verify.reason == (
        "re-exported by `src/sqlish/__init__.py`; no function of the project calls it"
    )
    classify = by_name["classify_token"].risk.factor("exposure")  # type: ignore[union-attr]
    assert classify is not None and classify.value == 1
    assert "called from 1 function of the project (`tokenize`)" in classify.reason
