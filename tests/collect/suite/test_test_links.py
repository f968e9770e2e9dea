"""What each test targets, read from the test modules' AST; data-driven suites found."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from covgap.collect.suite.test_links import LinkedTest, file_links, read_test_links


def _write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))


def _tests(root: Path, files: dict[str, str]) -> dict[str, LinkedTest]:
    _write(root, files)
    modules = [p for p in files if p.rpartition("/")[2].startswith("test_")]
    links = read_test_links(root, modules)
    return {test.nodeid: test for test in links.tests}


def test_references_resolve_through_imports_helpers_and_fixtures(tmp_path: Path) -> None:
    """A test's references include its helpers' and its fixtures' (module and conftest.py)."""
    tests = _tests(
        tmp_path,
        {
            "tests/conftest.py": """
                import pytest
                from shop.db import connect

                @pytest.fixture
                def conn():
                    return connect(":memory:")
            """,
            "tests/test_repo.py": """
                import pytest
                from shop import repo
                from shop.money import parse_amount as parse

                @pytest.fixture
                def notes(conn):
                    return repo.NoteRepository(conn)

                def check(value):
                    assert parse(value) > 0

                class TestNotes:
                    def test_find(self, notes):
                        check("5")
                        assert notes.find(1) is None
            """,
        },
    )
    test = tests["tests/test_repo.py::TestNotes::test_find"]
    assert {
        "shop.repo.NoteRepository",
        "shop.money.parse_amount",
        "shop.db.connect",
    } <= test.references
    assert "find" in test.attributes
    assert test.owner == "tests/test_repo.py::TestNotes"


CASES = {"tests/cases/a.json": "{}", "tests/cases/b.json": "{}", "tests/cases/notes.txt": ""}


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """
            from pathlib import Path
            import pytest

            @pytest.mark.parametrize("case", sorted(Path(__file__).parent.glob("cases/*.json")))
            def test_case(case): ...
            """,
            id="path-glob-with-folder-in-pattern",
        ),
        pytest.param(
            """
            import os, glob
            import pytest
            HERE = os.path.dirname(os.path.abspath(__file__))

            @pytest.mark.parametrize("case", glob.glob(os.path.join(HERE, "cases", "*.json")))
            def test_case(case): ...
            """,
            id="glob-of-os-path-join",
        ),
        pytest.param(
            """
            from pathlib import Path
            import pytest
            CASES = Path(__file__).parent / "cases"

            def load():
                return [p for p in CASES.iterdir() if p.suffix == ".json"]

            @pytest.mark.parametrize("case", load())
            def test_case(case): ...
            """,
            id="helper-function-iterdir",
        ),
        pytest.param(
            """
            import pytest
            from pathlib import Path

            @pytest.fixture(params=sorted((Path(__file__).parent / "cases").glob("*.json")))
            def case(request):
                return request.param

            def test_case(case): ...
            """,
            id="fixture-params",
        ),
        pytest.param(
            """
            from glob import glob

            def pytest_generate_tests(metafunc):
                if "case" in metafunc.fixturenames:
                    metafunc.parametrize("case", glob("tests/cases/*.json"))

            def test_case(case): ...
            """,
            id="generate-tests-from-the-project-folder",
        ),
    ],
)
def test_data_driven_suites_name_their_folder(tmp_path: Path, source: str) -> None:
    """A test parametrized over a folder's files names the folder, the pattern and examples."""
    tests = _tests(tmp_path, {**CASES, "tests/test_cases.py": source})
    data = tests["tests/test_cases.py::test_case"].data
    assert data is not None
    assert (data.folder, data.examples[:2]) == ("tests/cases", ("a.json", "b.json"))
    assert data.pattern in ("*.json", "*")


def test_a_folder_that_cannot_be_worked_out_is_still_a_suite() -> None:
    """A listing of a folder given by a call covgap cannot follow: a suite, folder unknown."""
    payload = file_links(
        b"import pytest\n@pytest.mark.parametrize('c', data_dir().glob('*.yml'))\n"
        b"def test_c(c): ...\n",
        "tests/test_x.py",
    )
    assert payload["tests"][0][6] == ["", "", "data_dir().glob('*.yml')"]


def test_plain_parametrize_is_not_data_driven(tmp_path: Path) -> None:
    """A literal list of cases is an ordinary parametrized test."""
    tests = _tests(
        tmp_path,
        {
            "tests/test_x.py": (
                "import pytest\n@pytest.mark.parametrize('n', [1, 2])\ndef test_n(n): ...\n"
            )
        },
    )
    assert tests["tests/test_x.py::test_n"].data is None


def test_unparsable_module_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """A test module that does not parse is listed with why; the others are read."""
    _write(tmp_path, {"tests/test_bad.py": "def (:\n", "tests/test_ok.py": "def test_ok(): ...\n"})
    links = read_test_links(tmp_path, ["tests/test_bad.py", "tests/test_ok.py"])
    assert [path for path, _ in links.errors] == ["tests/test_bad.py"]
    assert links.names == frozenset({"test_ok"})


def test_payloads_are_cached(tmp_path: Path) -> None:
    """A second read takes the payloads from covgap's cache and gives the same links."""
    _write(tmp_path, {"tests/test_ok.py": "from shop import f\ndef test_ok():\n    f()\n"})
    cache = tmp_path / ".covgap" / "cache.sqlite3"
    first = read_test_links(tmp_path, ["tests/test_ok.py"], cache)
    assert cache.exists()
    assert read_test_links(tmp_path, ["tests/test_ok.py"], cache) == first
    assert first.tests[0].references == frozenset({"shop.f"})


def test_unittest_classes_their_set_up_and_mixins(tmp_path: Path) -> None:
    """A ``unittest.TestCase`` whatever its name; what its body (``Cache = TTLTestCache``, a
    class of the module standing for its base) and ``setUp`` use; the tests a mixin of the
    module gives it, under its own name (as pytest lists them)."""
    tests = _tests(
        tmp_path,
        {
            "tests/test_ttl.py": """
                import unittest
                from cachetools import TTLCache
                from cachetools.keys import hashkey

                class TTLTestCache(TTLCache):
                    pass

                class CacheMixin:
                    def test_insert(self):
                        cache = self.Cache(maxsize=2)
                        cache[1] = 1

                class TTLCacheTest(unittest.TestCase, CacheMixin):
                    Cache = TTLTestCache

                    def setUp(self):
                        self.key = hashkey(1)

                    def test_ttl(self):
                        assert self.key
            """,
        },
    )
    assert sorted(tests) == [
        "tests/test_ttl.py::TTLCacheTest::test_insert",
        "tests/test_ttl.py::TTLCacheTest::test_ttl",
    ]
    insert = tests["tests/test_ttl.py::TTLCacheTest::test_insert"]
    assert insert.unittest
    assert {"cachetools.TTLCache", "cachetools.keys.hashkey"} <= insert.references
    assert "__setitem__" in insert.attributes
    assert {"cachetools.TTLCache", "cachetools.keys.hashkey"} <= tests[
        "tests/test_ttl.py::TTLCacheTest::test_ttl"
    ].references


def test_special_methods_and_parametrize_tables(tmp_path: Path) -> None:
    """``keys["a"]``, ``x in keys``, ``len(keys)``, ``for k in keys``; and a function passed in
    a ``parametrize`` table is used by the test."""
    tests = _tests(
        tmp_path,
        {
            "tests/test_keys.py": """
                import pytest
                from keys import KeySet, cmd_upper

                def test_keyset():
                    keys = KeySet()
                    assert keys["a"] and "a" in keys and len(keys) == 1
                    for key in keys:
                        pass

                @pytest.mark.parametrize("command", [cmd_upper])
                def test_command(command):
                    command("x")
            """,
        },
    )
    keyset = tests["tests/test_keys.py::test_keyset"]
    assert not keyset.unittest
    assert {"__getitem__", "__contains__", "__len__", "__iter__"} <= keyset.attributes
    assert "keys.cmd_upper" in tests["tests/test_keys.py::test_command"].references
