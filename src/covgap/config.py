"""covgap's settings: defaults, then ``[tool.covgap]`` in pyproject.toml, then the environment, then
the command line; one frozen object passed everywhere.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from covgap import tomlparse
from covgap.errors import ConfigError

__all__ = [
    "DEFAULT_CRITICAL_PATTERNS",
    "DEFAULT_RISK_WEIGHTS",
    "DEFAULT_TESTS_PER_DAY",
    "DEFAULT_TIERS",
    "FORMATS",
    "Settings",
    "load_settings",
]

FORMATS = ("term", "md", "json", "html")

#: Tier names and the lowest percentage of each, ascending. A file at 9.9% is "critical".
DEFAULT_TIERS: tuple[tuple[str, float], ...] = (
    ("critical", 0.0),
    ("low", 10.0),
    ("medium", 30.0),
    ("good", 50.0),
    ("excellent", 80.0),
)

#: What makes code critical, as word patterns matched against the words of a file's path and a
#: function's name (``verify_password`` -> verify, password; ``RateLimiter`` -> rate, limiter).
#: A pattern is one word or several (consecutive words), each a glob. docs/risk.md lists why.
DEFAULT_CRITICAL_PATTERNS: tuple[str, ...] = (
    # identity and access
    "auth",
    "authn",
    "authz",
    "authenticat*",
    "authoriz*",
    "oauth*",
    "login",
    "logout",
    "signin",
    "sign in",
    "password*",
    "passwd",
    "credential*",
    "token",
    "tokens",
    "jwt",
    "session",
    "sessions",
    "permission*",
    "role",
    "roles",
    "acl",
    "admin",
    # security and cryptography
    "security",
    "secret*",
    "crypt*",
    "encrypt*",
    "decrypt*",
    "cipher*",
    "hmac",
    "signature*",
    "csrf",
    "sanitiz*",
    # money
    "payment*",
    "billing",
    "invoice*",
    "refund*",
    "charge*",
    "checkout",
    "webhook*",
    # abuse and load
    "rate limit*",
    "ratelimit*",
    "throttl*",
    # data
    "database",
    "db",
    "sql",
    "sqlite*",
    "query",
    "queries",
    "migration*",
    "transaction*",
)

#: Tests one developer writes in a day for code they did not write (docs/configuration.md).
DEFAULT_TESTS_PER_DAY = 8.0
#: The highest ``tests-per-day``: beyond it a value is a mistake, not a rate.
MAX_TESTS_PER_DAY = 1000.0

#: The weight of each risk factor. Likelihood factors (complexity, churn, crap): their weighted
#: mean, over those measured. Impact factors (criticality, exposure): each scales that mean by
#: (1 + weight × score) / (1 + weight), summed. Chosen against defect history (docs/risk.md):
#: CRAP (0) only pushed down the complex, mostly covered functions where later bugs were fixed.
DEFAULT_RISK_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("criticality", 1.0),
    ("exposure", 0.5),
    ("complexity", 0.5),
    ("churn", 0.2),
    ("crap", 0.0),
)


@dataclass(frozen=True)
class Settings:
    """Everything a covgap run is told; see docs/configuration.md for each key."""

    #: The total coverage to reach, in percent.
    target: float = 80.0
    #: Intermediate totals to plan for; computed in steps when empty.
    milestones: tuple[float, ...] = ()
    #: The per-file target used for "impact to target"; the total target when None.
    file_target: float | None = None
    #: Glob patterns of files the plan leaves out (generated code, scripts…).
    skip: tuple[str, ...] = ()
    tiers: tuple[tuple[str, float], ...] = DEFAULT_TIERS
    formats: tuple[str, ...] = FORMATS
    output: Path = Path("covgap-report")
    #: How many files and functions the terminal and Markdown summaries list.
    top: int = 10
    #: The rate that turns estimated tests into estimated days of work (docs/configuration.md
    #: says why 8): an estimate, for a lead's planning, never a measurement.
    tests_per_day: float = DEFAULT_TESTS_PER_DAY
    #: Digits after the decimal point in covgap's own reports.
    precision: int = 1
    data_file: Path | None = None
    #: Worker processes for parsing; None means one per CPU.
    jobs: int | None = None
    cache: bool = True
    #: Rank by risk and derive test advice (complexity, churn, criticality, CRAP).
    risk: bool = True
    critical_patterns: tuple[str, ...] = DEFAULT_CRITICAL_PATTERNS
    #: Patterns added to ``critical_patterns`` (so that the defaults need not be repeated).
    extend_critical_patterns: tuple[str, ...] = ()
    risk_weights: tuple[tuple[str, float], ...] = DEFAULT_RISK_WEIGHTS
    #: How far back churn looks: "90 days" or "500 commits".
    churn_window: str = "90 days"
    #: Audit the suite, its configuration and CI (docs/audit.md) in every plan.
    audit: bool = True
    #: ``covgap run`` exits 0 when tests fail (1 otherwise); no test or a timeout still fail.
    allow_failures: bool = False
    # --- gates (covgap check; docs/check.md) ---
    #: The total (statements + branches) must be at least this; None: no total gate.
    fail_under: float | None = None
    #: Statements alone, and branches alone.
    fail_under_lines: float | None = None
    fail_under_branches: float | None = None
    #: Per-file floors: (glob, percent), the first matching glob applies to a file.
    file_floors: tuple[tuple[str, float], ...] = ()
    #: Files no floor applies to.
    file_floor_exclude: tuple[str, ...] = ()
    #: The floor for files whose path matches the critical patterns (risk.md).
    critical_floor: float | None = None
    #: The floor for files added since the diff base.
    new_file_floor: float | None = None
    #: The changed lines since the base that must be covered, in percent.
    diff_fail_under: float | None = None
    #: The git revision to compare with; None: the merge base with the default branch.
    base: str | None = None
    #: No drop of the total beyond ``ratchet_tolerance`` points, and no file with more
    #: uncovered statements, against the baseline (when there is one).
    ratchet: bool = True
    ratchet_tolerance: float = 0.0
    #: A committed baseline file (``covgap-baseline.json``); None: the history database.
    baseline_file: Path | None = None
    #: The history database (``covgap run`` and ``covgap plan --record`` add to it).
    history: Path = Path(".covgap/history.db")
    #: A drop of the total larger than this many points is flagged in ``covgap history``.
    drop_alert: float = 5.0
    #: The plan's phase gate: the ``fail_under`` of the last phase the baseline completed.
    phase_gate: bool = True
    #: Fail when a test is known flaky on the commit checked or in the last ``flaky_window``
    #: recorded test runs (docs/check.md).
    fail_on_flaky: bool = False
    flaky_window: int = 20
    #: The suite's estimated wall time with ``suite_workers`` pytest-xdist workers (1: without)
    #: may not exceed this many seconds; None: no such gate.
    max_suite_seconds: float | None = None
    suite_workers: int = 1
    # --- covgap draft (docs/draft.md) ---
    #: The engines ``covgap draft`` uses when ``--engine`` is not given; () for its default.
    draft_engines: tuple[str, ...] = ()
    #: Runs of every candidate test in the filter.
    draft_runs: int = 5
    #: The ``llm`` engine's OpenAI-compatible endpoint ("…/v1") and model (the key only ever
    #: comes from the environment).
    llm_base_url: str = ""
    llm_model: str = ""
    #: Where each value came from, for messages ("--target", "pyproject.toml", ...).
    origins: Mapping[str, str] = dataclasses.field(default_factory=dict, compare=False)

    @property
    def effective_file_target(self) -> float:
        return self.file_target if self.file_target is not None else self.target

    @property
    def all_critical_patterns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.critical_patterns, *self.extend_critical_patterns)))


#: The largest ``top``: more files and functions than any summary can show.
MAX_TOP = 10_000
#: The most digits after the decimal point: a percentage of any real count needs fewer.
MAX_PRECISION = 10
#: The most parser processes.
MAX_JOBS = 1024


# key in [tool.covgap] → (attribute, parser)
def _percent(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number from 0 to 100")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"must be a number from 0 to 100, not {value!r}") from None
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise ValueError(f"must be a number from 0 to 100, not {value!r}")
    return number


def _percent_list(value: Any) -> tuple[float, ...]:
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    if not isinstance(value, (list, tuple)):
        raise ValueError("must be a list of numbers from 0 to 100")
    return tuple(sorted({_percent(item) for item in value}))


def _string_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return tuple(value)


def _formats(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    items = _string_list(value)
    unknown = [item for item in items if item not in FORMATS]
    if unknown or not items:
        raise ValueError(
            f"must be some of {', '.join(FORMATS)}, not {', '.join(unknown) or 'nothing'}"
        )
    return tuple(dict.fromkeys(items))


def _whole(minimum: int, maximum: int) -> Any:
    """A parser of whole numbers from ``minimum`` to ``maximum``: beyond that a value is a
    mistake (``--top 10**21``), and would fail deep inside covgap instead of here."""

    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError("must be a whole number")
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(float("inf"))
            raise ValueError(f"must be a whole number, not {value!r}") from None
        if not minimum <= number <= maximum or (isinstance(value, float) and value != number):
            raise ValueError(f"must be a whole number from {minimum} to {maximum}, not {value!r}")
        return number

    return parse


def _path(value: Any) -> Path:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a path")
    return Path(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {
        "1",
        "true",
        "yes",
        "on",
        "0",
        "false",
        "no",
        "off",
    }:
        return value.lower() in {"1", "true", "yes", "on"}
    raise ValueError(f"must be true or false, not {value!r}")


def _floors(value: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError('must be a table of glob = percent, e.g. {"src/billing/*" = 90}')
    return tuple((str(glob), _percent(floor)) for glob, floor in value.items())


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be text")
    return value.strip()


def _points(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number of points")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number of points, not {value!r}") from None
    if not math.isfinite(number) or not 0 <= number <= 100:
        raise ValueError(f"must be a number of points from 0 to 100, not {value!r}")
    return number


#: The longest ``max-suite-seconds``: a day.
MAX_SUITE_SECONDS = 86_400.0
#: The most recorded runs ``flaky-window`` reads, and the most ``suite-workers``.
MAX_FLAKY_WINDOW = 100_000
MAX_SUITE_WORKERS = 1024


def _suite_seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number of seconds, not {value!r}") from None
    if not math.isfinite(number) or not 0 < number <= MAX_SUITE_SECONDS:
        raise ValueError(
            f"must be a number of seconds above 0 and at most {MAX_SUITE_SECONDS:g} (a day), "
            f"not {value!r}"
        )
    return number


def _rate(value: Any) -> float:
    """A number of tests a day: above 0 (a rate of 0 would make every plan endless)."""
    if isinstance(value, bool):
        raise ValueError("must be a number of tests a day")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a number of tests a day, not {value!r}") from None
    if not math.isfinite(number) or not 0 < number <= MAX_TESTS_PER_DAY:
        raise ValueError(
            f"must be a number of tests a day above 0 and at most {MAX_TESTS_PER_DAY:g}, "
            f"not {value!r}"
        )
    return number


def _tiers(value: Any) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping) or not value:
        raise ValueError(
            "must be a table of tier name = lowest percent, e.g. {critical = 0, low = 10}"
        )
    tiers = sorted(((str(name), _percent(low)) for name, low in value.items()), key=lambda t: t[1])
    if tiers[0][1] != 0:
        raise ValueError("must have a tier starting at 0")
    return tuple(tiers)


def _risk_weights(value: Any) -> tuple[tuple[str, float], ...]:
    known = dict(DEFAULT_RISK_WEIGHTS)
    if not isinstance(value, Mapping) or not value:
        raise ValueError(
            "must be a table of factor = weight, e.g. {criticality = 0.4, churn = 0.1}"
        )
    unknown = [str(name) for name in value if name not in known]
    if unknown:
        raise ValueError(f"has unknown factors {', '.join(unknown)} (known: {', '.join(known)})")
    for name, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ValueError(f"{name} must be a number of at least 0, not {weight!r}")
        known[name] = float(weight)
    if not any(known.values()):
        raise ValueError("must give some factor a weight above 0")
    return tuple(known.items())


# -- the churn window --------------------------------------------------------------------------

_WINDOW = re.compile(r"(\d+)\s*(d|days?|c|commits?)", re.IGNORECASE)
#: The longest windows: a hundred years of days (a cutoff far before 1970 is beyond the
#: platform's clock), and a billion commits. "all" is the whole history.
MAX_DAYS = 36_500
MAX_COMMITS = 1_000_000_000


@dataclass(frozen=True)
class ChurnWindow:
    """How far back churn looks: N days before the last commit, the last N commits, or all."""

    days: int | None = None
    commits: int | None = None

    def __post_init__(self) -> None:
        if self.days is not None and self.commits is not None:
            raise ValueError("a churn window is either days or commits, not both")
        for count, unit, most in (
            (self.days, "days", MAX_DAYS),
            (self.commits, "commits", MAX_COMMITS),
        ):
            if count is not None and not 1 <= count <= most:
                raise ValueError(
                    f"must be from 1 to {most} {unit} ('all' for the whole history), not {count}"
                )

    @classmethod
    def parse(cls, text: str) -> ChurnWindow:
        """The window that ``"90 days"``, ``"90d"``, ``"500 commits"`` or ``"all"`` names."""
        words = text.strip()
        if words.lower() == "all":
            return cls()
        match = _WINDOW.fullmatch(words)
        if match is None:
            raise ValueError(
                f"churn window {text!r} is not '<N> days', '<N>d', '<N> commits' or 'all'"
            )
        count = int(match[1])
        if match[2].lower().startswith("d"):
            return cls(days=count)
        return cls(commits=count)

    def describe(self) -> str:
        """The window in words, without dates: those are in Churn.description."""
        if self.days is not None:
            return f"the {_count_of(self.days, 'day')} before the last commit"
        if self.commits is not None:
            return f"the last {_count_of(self.commits, 'commit')}"
        return "the whole history"


def _count_of(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _churn_window(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError('must be text such as "90 days" or "500 commits"')
    ChurnWindow.parse(value)  # raises ValueError with the reason
    return value


#: The engines of covgap draft (``covgap.draft.engines.ENGINES``, which lives above this layer).
DRAFT_ENGINES = ("crosshair", "hypothesis", "pynguin", "llm", "skeleton")


def _draft_engines(value: Any) -> tuple[str, ...]:
    names = _string_list(value)
    unknown = [name for name in names if name not in DRAFT_ENGINES]
    if unknown or not names:
        raise ValueError(
            f"must name engines from {', '.join(DRAFT_ENGINES)}, not {', '.join(unknown) or '[]'}"
        )
    return tuple(dict.fromkeys(names))


_PARSERS: dict[str, tuple[str, Any]] = {
    "target": ("target", _percent),
    "milestones": ("milestones", _percent_list),
    "file-target": ("file_target", _percent),
    "skip": ("skip", _string_list),
    "tiers": ("tiers", _tiers),
    "format": ("formats", _formats),
    "output": ("output", _path),
    "top": ("top", _whole(1, MAX_TOP)),
    "precision": ("precision", _whole(0, MAX_PRECISION)),
    "tests-per-day": ("tests_per_day", _rate),
    "data-file": ("data_file", _path),
    "jobs": ("jobs", _whole(1, MAX_JOBS)),
    "cache": ("cache", _boolean),
    "risk": ("risk", _boolean),
    "critical-patterns": ("critical_patterns", _string_list),
    "extend-critical-patterns": ("extend_critical_patterns", _string_list),
    "risk-weights": ("risk_weights", _risk_weights),
    "churn-window": ("churn_window", _churn_window),
    "audit": ("audit", _boolean),
    "allow-failures": ("allow_failures", _boolean),
    "fail-under": ("fail_under", _percent),
    "fail-under-lines": ("fail_under_lines", _percent),
    "fail-under-branches": ("fail_under_branches", _percent),
    "file-floors": ("file_floors", _floors),
    "file-floor-exclude": ("file_floor_exclude", _string_list),
    "critical-floor": ("critical_floor", _percent),
    "new-file-floor": ("new_file_floor", _percent),
    "diff-fail-under": ("diff_fail_under", _percent),
    "base": ("base", _text),
    "ratchet": ("ratchet", _boolean),
    "ratchet-tolerance": ("ratchet_tolerance", _points),
    "baseline-file": ("baseline_file", _path),
    "history": ("history", _path),
    "drop-alert": ("drop_alert", _points),
    "phase-gate": ("phase_gate", _boolean),
    "fail-on-flaky": ("fail_on_flaky", _boolean),
    "flaky-window": ("flaky_window", _whole(1, MAX_FLAKY_WINDOW)),
    "max-suite-seconds": ("max_suite_seconds", _suite_seconds),
    "suite-workers": ("suite_workers", _whole(1, MAX_SUITE_WORKERS)),
    "draft-engines": ("draft_engines", _draft_engines),
    "draft-runs": ("draft_runs", _whole(1, 1000)),
    "llm-base-url": ("llm_base_url", _text),
    "llm-model": ("llm_model", _text),
}

#: Environment variables read, and the key each sets.
_ENVIRONMENT = {
    "COVGAP_TARGET": "target",
    "COVGAP_OUTPUT": "output",
    "COVGAP_JOBS": "jobs",
    "COVGAP_CACHE": "cache",
    "COVGAP_RISK": "risk",
    "COVGAP_CHURN_WINDOW": "churn-window",
    "COVGAP_AUDIT": "audit",
    "COVGAP_ALLOW_FAILURES": "allow-failures",
    "COVGAP_BASE": "base",
    "COVGAP_HISTORY": "history",
}


def _read_pyproject(project_dir: Path) -> tuple[dict[str, Any], str | None]:
    pyproject = project_dir / "pyproject.toml"
    if not pyproject.exists():
        return {}, None
    if not pyproject.is_file():  # opening a FIFO would wait for ever; a folder is a mistake
        problem = "is a folder, not a file" if pyproject.is_dir() else "is not a regular file"
        raise ConfigError(problem, path=str(pyproject))
    try:
        with pyproject.open("rb") as handle:
            document = tomlparse.load(handle)
    except (tomlparse.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(pyproject), slug="bad-toml") from exc
    except OSError as exc:
        raise ConfigError(f"cannot be read: {exc.strerror}", path=str(pyproject)) from exc
    section = document.get("tool", {}).get("covgap", {})
    if not isinstance(section, dict):
        raise ConfigError("[tool.covgap] must be a table", path=str(pyproject), slug="bad-config")
    return {key.replace("_", "-"): value for key, value in section.items()}, str(pyproject)


def load_settings(
    project_dir: Path,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    read_project: bool = True,
) -> Settings:
    """Settings for a project: defaults < [tool.covgap] < environment < ``overrides`` (the CLI).

    ``read_project`` False: without the project's [tool.covgap] (``covgap audit`` of a project
    whose pyproject.toml is broken). Every problem found is reported at once, in one ConfigError.
    """
    environ = os.environ if environ is None else environ
    section, pyproject = _read_pyproject(project_dir) if read_project else ({}, None)
    layers: list[tuple[str, Mapping[str, Any]]] = [
        (f"{pyproject} [tool.covgap]" if pyproject else "pyproject.toml", section),
        ("environment", {key: environ[var] for var, key in _ENVIRONMENT.items() if var in environ}),
        (
            "command line",
            {k.replace("_", "-"): v for k, v in (overrides or {}).items() if v is not None},
        ),
    ]
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    problems: list[str] = []
    for origin, layer in layers:
        for key, raw in layer.items():
            if key not in _PARSERS:
                known = ", ".join(sorted(_PARSERS))
                problems.append(f"{origin}: unknown key {key!r} (known: {known})")
                continue
            attribute, parse = _PARSERS[key]
            try:
                values[attribute] = parse(raw)
            except ValueError as exc:
                problems.append(f"{origin}: {key} {exc}")
                continue
            origins[attribute] = origin
    if "milestones" in values and values["milestones"] and "target" not in values:
        values["target"] = max(values["milestones"])
    if problems:
        raise ConfigError("; ".join(problems), slug="bad-config")
    return Settings(**values, origins=origins)
