"""Settings for risk: critical patterns, weights and the churn window, from every layer."""

from __future__ import annotations

from pathlib import Path

import pytest

from covgap.config import DEFAULT_CRITICAL_PATTERNS, DEFAULT_RISK_WEIGHTS, load_settings
from covgap.errors import ConfigError


def settings_from(tmp_path: Path, toml: str, environ: dict[str, str] | None = None) -> object:
    (tmp_path / "pyproject.toml").write_text(f"[tool.covgap]\n{toml}\n")
    return load_settings(tmp_path, {}, environ=environ or {})


def test_risk_defaults(tmp_path: Path) -> None:
    """Risk is on, with the documented patterns, weights and window."""
    settings = load_settings(tmp_path, {}, environ={})
    assert settings.risk
    assert settings.all_critical_patterns == DEFAULT_CRITICAL_PATTERNS
    assert settings.risk_weights == DEFAULT_RISK_WEIGHTS
    assert settings.churn_window == "90 days"


def test_patterns_replace_or_extend(tmp_path: Path) -> None:
    """critical-patterns replaces the defaults; extend-critical-patterns adds to them."""
    replaced = settings_from(tmp_path, 'critical-patterns = ["ledger*"]')
    assert replaced.all_critical_patterns == ("ledger*",)  # type: ignore[attr-defined]
    extended = settings_from(tmp_path, 'extend-critical-patterns = ["kyc", "auth"]')
    patterns = extended.all_critical_patterns  # type: ignore[attr-defined]
    assert patterns[-1] == "kyc" and patterns.count("auth") == 1
    assert patterns[: len(DEFAULT_CRITICAL_PATTERNS)] == DEFAULT_CRITICAL_PATTERNS


def test_weights_override_some_factors(tmp_path: Path) -> None:
    """A weights table changes the factors it names; the others keep their defaults."""
    settings = settings_from(tmp_path, "risk-weights = { churn = 0, criticality = 1 }")
    assert dict(settings.risk_weights) == {  # type: ignore[attr-defined]
        "criticality": 1.0,
        "exposure": 0.5,
        "complexity": 0.5,
        "churn": 0.0,
        "crap": 0.0,
    }


def test_environment_sets_risk_and_window(tmp_path: Path) -> None:
    """COVGAP_RISK and COVGAP_CHURN_WINDOW are read."""
    settings = load_settings(
        tmp_path, {}, environ={"COVGAP_RISK": "off", "COVGAP_CHURN_WINDOW": "200 commits"}
    )
    assert not settings.risk and settings.churn_window == "200 commits"


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        pytest.param("risk-weights = { luck = 1 }", "unknown factors luck", id="unknown-factor"),
        pytest.param("risk-weights = { churn = -1 }", "at least 0", id="negative"),
        pytest.param("risk-weights = { churn = true }", "at least 0", id="boolean"),
        pytest.param(
            "risk-weights = { criticality = 0, exposure = 0, complexity = 0, churn = 0 }",
            "above 0",
            id="all-zero",
        ),
        pytest.param("risk-weights = 3", "must be a table", id="not-a-table"),
        pytest.param('churn-window = "soon"', "churn-window", id="bad-window"),
        pytest.param("churn-window = 90", "churn-window", id="window-not-text"),
        pytest.param("critical-patterns = [1]", "list of strings", id="patterns-not-strings"),
        pytest.param('risk = "maybe"', "true or false", id="risk-not-boolean"),
    ],
)
def test_broken_risk_settings(tmp_path: Path, toml: str, fragment: str) -> None:
    """Each broken risk setting is a configuration error that names the key and the problem."""
    with pytest.raises(ConfigError, match=fragment):
        settings_from(tmp_path, toml)


@pytest.mark.parametrize(
    ("toml", "rate"),
    [
        pytest.param("", 8.0, id="default"),
        pytest.param("tests-per-day = 12", 12.0, id="whole"),
        pytest.param("tests_per_day = 2.5", 2.5, id="fraction"),
        pytest.param('tests-per-day = "6"', 6.0, id="text"),
    ],
)
def test_tests_per_day(tmp_path: Path, toml: str, rate: float) -> None:
    """tests-per-day sets the rate that turns estimated tests into days; 8 by default."""
    assert settings_from(tmp_path, toml).tests_per_day == rate  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0", id="zero: every plan would be endless"),
        pytest.param("-3", id="negative"),
        pytest.param("1001", id="above-1000"),
        pytest.param("true", id="boolean"),
        pytest.param('"fast"', id="not-a-number"),
        pytest.param("nan", id="nan"),
    ],
)
def test_broken_tests_per_day(tmp_path: Path, value: str) -> None:
    """A rate that is not a number above 0 and at most 1000 is an error naming the key."""
    with pytest.raises(ConfigError, match="tests-per-day must be a number of tests a day"):
        settings_from(tmp_path, f"tests-per-day = {value}")


# -- bounds and unreadable files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        # beyond these, covgap failed deep inside (islice, float(), datetime) as internal errors
        pytest.param("top", "1" + "0" * 21, "top must be a whole number from 1 to 10000", id="top"),
        pytest.param(
            "precision", "100000", "precision must be a whole number from 0 to 10", id="precision"
        ),
        pytest.param("jobs", "1025", "jobs must be a whole number from 1 to 1024", id="jobs"),
        pytest.param("top", float("inf"), "top must be a whole number, not inf", id="top-inf"),
        pytest.param(
            "churn-window",
            "99999999999999999999 days",
            "churn-window must be from 1 to 36500 days",
            id="churn-days",
        ),
    ],
)
def test_numbers_out_of_range(key: str, value: object, fragment: str) -> None:
    """A whole number beyond its range is a configuration error naming the key and the range."""
    with pytest.raises(ConfigError, match=fragment) as raised:
        load_settings(Path("no-such-project"), {key: value}, environ={})
    assert raised.value.exit_code == 2


def test_the_largest_numbers_are_accepted(tmp_path: Path) -> None:
    """The ends of each range are values like any other."""
    overrides = {"top": "10000", "precision": "10", "jobs": "1024", "churn-window": "36500 days"}
    settings = load_settings(tmp_path, overrides, environ={})
    assert (settings.top, settings.precision, settings.jobs) == (10_000, 10, 1024)


def test_a_pyproject_folder_is_an_error(tmp_path: Path) -> None:
    """A folder named pyproject.toml is reported, not taken for "no settings"."""
    (tmp_path / "pyproject.toml").mkdir()
    with pytest.raises(ConfigError, match="is a folder, not a file") as raised:
        load_settings(tmp_path, {}, environ={})
    assert raised.value.path == str(tmp_path / "pyproject.toml")


def test_too_deep_toml_is_invalid_toml(tmp_path: Path) -> None:
    """Arrays nested 5,000 deep are invalid TOML naming the file, not a RecursionError."""
    (tmp_path / "pyproject.toml").write_text("[tool.x]\ny = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ConfigError, match=r"not valid TOML: .*nested too deeply") as raised:
        load_settings(tmp_path, {}, environ={})
    assert raised.value.slug == "bad-toml"
    assert raised.value.path == str(tmp_path / "pyproject.toml")


def test_the_test_gates_keys(tmp_path: Path) -> None:
    """fail-on-flaky, flaky-window, max-suite-seconds and suite-workers from [tool.covgap], and
    their bounds."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.covgap]\nfail-on-flaky = true\nflaky-window = 5\n"
        "max-suite-seconds = 300\nsuite-workers = 4\n"
    )
    settings = load_settings(tmp_path, {}, environ={})
    assert settings.fail_on_flaky and settings.flaky_window == 5
    assert (settings.max_suite_seconds, settings.suite_workers) == (300.0, 4)
    defaults = load_settings(Path("no-such-project"), {}, environ={})
    assert not defaults.fail_on_flaky and defaults.flaky_window == 20
    assert (defaults.max_suite_seconds, defaults.suite_workers) == (None, 1)
    for key, value, fragment in (
        ("max-suite-seconds", "0", "above 0 and at most 86400"),
        ("max-suite-seconds", "nan", "above 0 and at most 86400"),
        ("flaky-window", "0", "flaky-window must be a whole number from 1 to 100000"),
        ("suite-workers", "1025", "suite-workers must be a whole number from 1 to 1024"),
        ("fail-on-flaky", "maybe", "fail-on-flaky must be true or false"),
    ):
        with pytest.raises(ConfigError, match=fragment):
            load_settings(Path("no-such-project"), {key: value}, environ={})
