"""What each of the project's tests targets, read from the test modules' AST (nothing is run).

Per test function or method (``tests/test_x.py::TestY::test_z``): the names it uses, resolved
through its module's imports (``parse_amount(...)`` of ``from shop.money import parse_amount`` is
``shop.money.parse_amount``), and the attributes it reads or calls (``repo.find(1)``: ``find``),
including those of the module's helper functions and of the fixtures it requests (defined in
its module or in a ``conftest.py`` above it), followed through helpers that call helpers. And
whether it is **data-driven**: parametrized (``@pytest.mark.parametrize``, a fixture's
``params``, ``metafunc.parametrize`` in ``pytest_generate_tests``) over the files of a folder
(``sorted(Path(__file__).parent.glob("cases/*.json"))``, ``os.listdir(DATA)``,
``glob.glob(os.path.join(HERE, "data", "*.txt"))``, through module-level names and helper
functions): that folder is where a new case goes.

``analyze/existing.py`` links each planned function to these tests. Each file's reading is
cached by content hash in covgap's cache, like the code facts.
"""

from __future__ import annotations

from covgap.collect.suite.test_links.model import (
    TEST_LINKS_FORMAT,
    DataSource,
    LinkedTest,
    TestLinks,
    links_key,
)
from covgap.collect.suite.test_links.project import read_test_links
from covgap.collect.suite.test_links.reader import file_links

__all__ = [
    "TEST_LINKS_FORMAT",
    "DataSource",
    "LinkedTest",
    "TestLinks",
    "file_links",
    "links_key",
    "read_test_links",
]
