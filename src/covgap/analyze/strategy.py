"""The project-level test strategy: what to set up once before writing the planned tests.

From the planned functions' advice (pure): the fakes their dependencies need, to add to the
development dependencies where the project keeps them; the fixtures to write once in the shared
conftest.py (a fake client patched in where the code looks it up, an in-memory database, a test
client for the routes, a CLI runner for the commands); and the factories for classes several
planned methods need an object of. Each item names the planned functions it unlocks, in plan
order, and says when it exists already.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from covgap.analyze.fixes import dependency_fix
from covgap.analyze.isolation import FAKES
from covgap.analyze.naming import snake
from covgap.markup import code_span as code
from covgap.model import (
    FunctionGap,
    Plan,
    ProjectTests,
    StrategyItem,
    TestAdvice,
    TestStrategy,
)

__all__ = ["FIXTURES", "MAX_FUNCTIONS", "test_strategy"]

#: Planned functions named per item, at most.
MAX_FUNCTIONS = 5

#: The distribution behind each fake (as ``Isolation.fake`` names it).
_PACKAGES = {fake.fake: fake.package for fake in FAKES if fake.package}

#: Fakes whose fixture ships with their pytest plugin (nothing to write).
_PLUGIN_FIXTURES = {
    "respx": "respx_mock",
    "pytest-httpserver": "httpserver",
    "time-machine": "time_machine",
    "pytest-subprocess": "fp",
    "monkeypatch": "monkeypatch",
    "tmp_path": "tmp_path",
}

#: (fixture name, what it holds) to write once per fake.
FIXTURES: dict[str, tuple[str, str]] = {
    "fakeredis": ("redis_client", "`fakeredis.FakeRedis()`"),
    "responses": ("mocked_responses", "`responses.RequestsMock()`, entered and yielded"),
    "aioresponses": ("mocked_aiohttp", "`aioresponses()`, entered and yielded"),
    "moto": ("aws", "`mock_aws()` entered, with test credentials in the environment"),
    "an in-memory SQLite engine": (
        "db_session",
        '`create_engine("sqlite://")` with the tables created, and a session on it',
    ),
    "an in-memory database": ("db", '`sqlite3.connect(":memory:")` with the schema created'),
    "eager mode": ("celery_eager", "the Celery app with `task_always_eager = True`"),
    "a throwaway database (pytest-postgresql) or unittest.mock": (
        "database",
        "a connection to a fresh database (pytest-postgresql's `postgresql` fixture)",
    ),
}


@dataclass
class _Item:
    kind: str
    name: str
    text: str
    where: str
    functions: list[str] = field(default_factory=list)
    exists: str = ""
    extras: list[str] = field(default_factory=list)

    def add(self, function: str, extra: str = "") -> None:
        if function not in self.functions:
            self.functions.append(function)
        if extra and extra not in self.extras:
            self.extras.append(extra)


def _planned(plan: Plan) -> Iterable[FunctionGap]:
    seen: set[tuple[str, str]] = set()
    for phase in plan.phases:
        for item in phase.items:
            key = (item.path, item.region.name)
            if key not in seen:
                seen.add(key)
                yield item


def test_strategy(plan: Plan, setup: ProjectTests | None) -> TestStrategy | None:
    """What to set up once for the plan's functions; None when nothing is planned."""
    planned = [(gap, gap.advice) for gap in _planned(plan)]
    advised = [(gap, advice) for gap, advice in planned if advice is not None]
    if not advised:
        return None
    setup = setup or ProjectTests()
    declared = setup.dev_dependencies
    fixtures = dict(setup.fixtures)
    items: dict[tuple[str, str], _Item] = {}

    def item(kind: str, name: str, text: str, where: str, exists: str = "") -> _Item:
        return items.setdefault((kind, name), _Item(kind, name, text, where, exists=exists))

    dependency_where = _dependency_where(setup)
    for gap, advice in advised:
        shown = _shown(gap)
        for package in _packages(advice):
            # The project already fakes this with another well-kept library: keep to it.
            package = next(
                (p for p in _EQUIVALENTS.get(package, ()) if _normal(p) in declared), package
            )
            exists = "declared" if _normal(package) in declared else ""
            item("dependency", package, _why(package), dependency_where, exists).add(shown)
        for isolation in advice.isolation:
            fixture = FIXTURES.get(isolation.fake)
            if fixture is None:
                continue
            name, holds = fixture
            text = f"{holds}, for {isolation.dependency}"
            found = fixtures.get(name, "")
            entry = item("fixture", name, text, setup.conftest, found)
            # A module global must be patched where the code looks it up: say where.
            global_ = "module global" in isolation.inject
            entry.add(shown, isolation.inject if global_ else "")
        harness = advice.harness
        if harness is not None and harness.fixture and harness.fixture != "capsys":
            name = harness.fixture
            same = items.get(("fixture", name))
            if same is not None and same.text != harness.fixture_how:  # two frameworks
                name = f"{snake(harness.framework).replace(' ', '_')}_{name}"
            found = fixtures.get(name, "")
            item("fixture", name, harness.fixture_how, setup.conftest, found).add(shown)
        if advice.constructor and _is_method(gap):
            cls = gap.region.name.partition(".")[0]
            name = snake(cls).strip("_")
            text = f"builds {code(advice.constructor)} ready for its tests"
            entry = item("factory", name, text, setup.conftest, fixtures.get(name, ""))
            entry.add(shown)
    chosen = [
        entry
        for entry in items.values()
        if entry.kind != "factory" or len(entry.functions) >= 2 or entry.exists
    ]
    order = {"dependency": 0, "fixture": 1, "factory": 2}
    chosen.sort(key=lambda e: (order[e.kind], bool(e.exists), -len(e.functions), e.name))
    missing = [e.name for e in chosen if e.kind == "dependency" and not e.exists]
    file, snippet = dependency_fix(setup.dependency_home, missing) if missing else ("", "")
    notes = []
    if setup.unittest:
        # unittest.TestCase methods take no fixture arguments: the same set-up, the unittest way.
        for entry in chosen:
            if entry.kind in ("fixture", "factory") and not entry.exists:
                entry.where = "a base `TestCase`'s `setUp`"
        if any(e.kind in ("fixture", "factory") and not e.exists for e in chosen):
            notes.append(
                "The suite is written with `unittest.TestCase`: set the fixtures and factories "
                "up once in a base class's `setUp` (or as helper functions) that the test "
                "classes share, not as pytest fixtures."
            )
    elif any(e.kind in ("fixture", "factory") and not e.exists for e in chosen):
        state = "" if setup.conftest_exists else " (a new file)"
        notes.append(f"Fixtures and factories go in {code(setup.conftest)}{state}.")
    return TestStrategy(
        items=tuple(_item(entry) for entry in chosen),
        dependency_file=file,
        dependency_snippet=snippet,
        notes=tuple(notes),
    )


def _item(entry: _Item) -> StrategyItem:
    text = entry.text
    if entry.extras:
        text += "; " + "; ".join(entry.extras[:2])
    return StrategyItem(
        kind=entry.kind,
        name=entry.name,
        text=text,
        where=entry.where,
        functions=tuple(entry.functions[:MAX_FUNCTIONS]),
        more=max(0, len(entry.functions) - MAX_FUNCTIONS),
        exists=entry.exists,
    )


def _packages(advice: TestAdvice) -> list[str]:
    found = [_PACKAGES[i.fake] for i in advice.isolation if i.fake in _PACKAGES]
    if advice.harness is not None:
        found.extend(advice.harness.packages)
    return list(dict.fromkeys(found))


#: Libraries that fake the same thing: when the project declares one, the strategy uses it
#: instead of adding covgap's usual choice.
_EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "time-machine": ("freezegun",),
    "responses": ("requests-mock",),
    "respx": ("pytest-httpx",),
}

_PURPOSES = {
    "httpx": "the transport of FastAPI's and Starlette's `TestClient`",
    "pytest-django": "Django's test client and test database in pytest",
    "pytest-asyncio": "running `async def` tests",
    "anyio": "running `async def` tests (anyio's pytest plugin)",
    "pytest-aiohttp": "aiohttp's `aiohttp_client` fixture",
}


def _why(package: str) -> str:
    if package in _PURPOSES:
        return _PURPOSES[package]
    for usual, others in _EQUIVALENTS.items():
        if package in others:
            package = usual
    fake = next((f for f in FAKES if f.package == package), None)
    return f"fakes {fake.dependency}" if fake is not None else package


def _dependency_where(setup: ProjectTests) -> str:
    if setup.dependency_home is None:
        return "pyproject.toml"
    file, table = setup.dependency_home
    return f"{file} ({table})" if table else file


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _shown(gap: FunctionGap) -> str:
    """A function's name as the strategy lists it; a module's own code by its file's name."""
    if gap.region.kind == "module":
        return f"{gap.path.rpartition('/')[2]} (module level)"
    return gap.region.display_name


def _is_method(gap: FunctionGap) -> bool:
    parts = gap.region.name.split(".")
    return len(parts) == 2 and parts[1] != "__init__"
