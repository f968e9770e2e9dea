"""The project's test set-up as the test strategy needs it: the development dependencies already
declared (and where a new one goes), the fixtures already written, the shared conftest.py."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from covgap.collect.project.project_config import read_dev_dependencies
from covgap.collect.suite.test_links import TestLinks
from covgap.model import ProjectTests

__all__ = ["read_project_tests", "shared_conftest"]


def shared_conftest(test_files: Sequence[str]) -> str:
    """The conftest.py whose fixtures every test sees: at the top of the folder most test
    modules live under (``tests/conftest.py``), or the project's own when tests sit at its top."""
    tops = Counter(
        PurePosixPath(path).parts[0] for path in test_files if len(PurePosixPath(path).parts) > 1
    )
    if not tops:
        return "conftest.py" if test_files else "tests/conftest.py"
    return f"{tops.most_common(1)[0][0]}/conftest.py"


def read_project_tests(
    project_dir: Path, test_files: Sequence[str], links: TestLinks | None
) -> ProjectTests:
    """What the strategy needs to know of the project's tests (problems reading the
    dependencies are the audit's to report: here they only leave names out)."""
    dependencies = read_dev_dependencies(project_dir)
    conftest = shared_conftest(test_files)
    fixtures = tuple(sorted(links.fixtures.items())) if links is not None else ()
    return ProjectTests(
        dev_dependencies=frozenset(dependencies.names),
        dependency_home=dependencies.home,
        fixtures=fixtures,
        conftest=conftest,
        conftest_exists=(project_dir / conftest).is_file(),
        unittest=links is not None
        and 2 * sum(1 for test in links.tests if test.unittest) > len(links.tests),
    )
