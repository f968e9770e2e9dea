"""What the links are: each test and what it uses, the folder a data-driven test reads."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

#: Bump when the shape of a file's payload changes (cached payloads of another format are read
#: again). 1: first version. 2: names in ``parametrize`` values, and the special methods that
#: subscripts, ``in``, ``len()``, ``iter()`` and ``for`` call. 3: ``unittest.TestCase`` classes
#: whatever their name, what a test class's body and ``setUp`` use, module-level classes
#: resolved through their bases. 4: whether a test is a ``unittest.TestCase`` method.
TEST_LINKS_FORMAT = 4


@dataclass(frozen=True)
class DataSource:
    """The folder a data-driven test reads its cases from."""

    #: POSIX, relative to the project; "" when the folder could not be worked out.
    folder: str
    #: The file pattern ("*.json"); "*" for every file.
    pattern: str
    #: The expression that lists them, as written (short).
    how: str
    #: A few of the case files there now (names only).
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class LinkedTest:
    """One test function or method and what it uses."""

    __test__ = False

    #: "tests/test_x.py::TestY::test_z" (without parameters).
    nodeid: str
    name: str
    line: int
    #: Dotted names it uses, resolved through imports (its helpers' and fixtures' included).
    references: frozenset[str]
    #: Attribute names it reads or calls on anything (``find`` of ``repo.find(1)``).
    attributes: frozenset[str]
    #: The dotted names its module imports.
    module_imports: frozenset[str]
    data: DataSource | None = None
    #: A method of a ``unittest.TestCase``: it takes no pytest fixture as an argument.
    unittest: bool = False

    @property
    def path(self) -> str:
        return self.nodeid.partition("::")[0]

    @property
    def owner(self) -> str:
        """The module or class to extend: ``tests/test_x.py::TestY`` or ``tests/test_x.py``."""
        return self.nodeid.rpartition("::")[0]


@dataclass(frozen=True)
class TestLinks:
    """Every test of the project and what it uses; the fixtures already written."""

    __test__ = False

    tests: tuple[LinkedTest, ...]
    #: Fixture name -> "path:line" of its first definition (conftest.py files first).
    fixtures: Mapping[str, str] = field(default_factory=dict)
    #: Test modules that could not be parsed, with why.
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> frozenset[str]:
        """The names of every test function and method."""
        return frozenset(test.name for test in self.tests)

    def digest(self) -> str:
        """A short hash of everything advice reads here (for the assessments' cache key)."""
        digest = hashlib.sha256()
        for test in self.tests:
            digest.update(
                repr(
                    (
                        test.nodeid,
                        sorted(test.references),
                        sorted(test.attributes),
                        sorted(test.module_imports),
                        test.data,
                    )
                ).encode()
            )
        digest.update(repr(sorted(self.fixtures.items())).encode())
        return digest.hexdigest()


def links_key(source_bytes: bytes) -> str:
    """The cache key of one test file's payload."""
    digest = hashlib.sha256(f"test-links-format={TEST_LINKS_FORMAT}\0".encode())
    digest.update(source_bytes)
    return digest.hexdigest()
