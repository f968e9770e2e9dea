"""The projects the ranking benchmark measures: sdists from the package index, pinned."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PROJECTS", "TOOLS", "Project"]

#: What every project's environment gets, pinned: the coverage.py covgap's own venv reads with.
TOOLS = ("pytest==9.2.0", "coverage==7.18.0")


@dataclass(frozen=True)
class Project:
    """One library: its sdist, where its tests are, and what its suite needs."""

    #: The distribution's name on the package index, and the pinned version.
    name: str
    version: str
    #: The importable packages measured (coverage.py's ``source_pkgs``).
    packages: tuple[str, ...]
    #: Folders (relative to the unpacked sdist) whose ``test_*.py`` files are the suite.
    test_dirs: tuple[str, ...] = ("tests",)
    #: Extra packages the suite imports, pinned.
    test_requires: tuple[str, ...] = ()
    #: coverage.py ``omit`` patterns (test code inside the package).
    omit: tuple[str, ...] = ()
    #: Extra pytest arguments (deselections of tests this environment cannot run).
    pytest_args: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        """The unpacked sdist's folder name."""
        return f"{self.name}-{self.version}"


#: Chosen for: a real suite shipped in the sdist, several test files, under 2 minutes on
#: 2 cores, and never used to tune covgap (issue 14 lists the ones that were). Left out:
#: markdown 3.11.4, whose tests/test_legacy.py sets ``warnings.simplefilter('error')`` when
#: imported, so pytest's collection of a later module fails on a PytestCollectionWarning (its
#: suite is meant for ``unittest``).
PROJECTS: tuple[Project, ...] = (
    Project(
        "itsdangerous",
        "2.2.0",
        ("itsdangerous",),
        test_requires=("freezegun==1.5.5",),
    ),
    Project("sqlparse", "0.6.1", ("sqlparse",)),
    Project("mistune", "3.4.0", ("mistune",)),
    Project(
        "soupsieve",
        "4.1.4",
        ("soupsieve",),
        test_requires=("beautifulsoup4==4.13.5", "lxml==6.0.2", "html5lib==1.1"),
    ),
    Project(
        "toolz",
        "1.2.0",
        # Not tlz, the package beside it: a partial run that never imports it would measure
        # other files than the full run.
        ("toolz",),
        test_dirs=("toolz/tests", "toolz/sandbox/tests"),
        omit=("*/tests/*",),
    ),
    Project(
        "tabulate",
        "0.10.0",
        ("tabulate",),
        test_dirs=("test",),
        # Its tests of wide characters, NumPy and pandas input skip themselves without these.
        test_requires=("wcwidth==0.9.5", "numpy==2.4.6", "pandas==3.1.2"),
    ),
)
