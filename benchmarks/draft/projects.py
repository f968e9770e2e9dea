"""The projects the draft benchmark runs ``covgap draft`` on: sdists from the package index,
pinned, each with a partial suite ("today") and its whole suite."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["META", "PROJECTS", "TOOLS", "Project"]

#: What every project's ``.venv`` gets, pinned: pytest and coverage.py as covgap's own venv has
#: them, the engines' tools at the versions docs/draft.md was measured with, pytest-randomly for
#: the random orders of the checks.
TOOLS = (
    "pytest==9.2.0",
    "coverage==7.18.0",
    "crosshair-tool==0.0.114",
    "hypothesis[ghostwriter]==6.170.29",
    "black==26.10.1",
    "pytest-randomly==5.1.0",
)

#: TestGen-LLM at Meta (Alshahwan et al., FSE 2024), share of the candidates that built, passed
#: reliably and increased coverage: the funnel docs/draft.md compares with.
META = {"built": 75.0, "passed": 57.0, "kept": 25.0}


@dataclass(frozen=True)
class Project:
    """One library: its sdist, the partial suite covgap draft starts from, its whole suite."""

    #: The distribution's name on the package index, and the pinned version.
    name: str
    version: str
    #: pytest's arguments for the partial suite ("today"), as ``covgap run -- ARGS`` gets them.
    partial: tuple[str, ...]
    #: pytest's arguments for the whole suite (check c).
    suite: tuple[str, ...] = ("tests",)
    #: Extra packages the suite imports, pinned.
    test_requires: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        """The unpacked sdist's folder name."""
        return f"{self.name}-{self.version}"


#: Small pure-Python libraries whose sdists ship their tests; covgap draft was tried on these
#: three by hand before (commit d0cc0cc), so they are no held-out set.
PROJECTS: tuple[Project, ...] = (
    Project(
        "validators",
        "0.36.0",
        ("tests/test_between.py", "tests/test_length.py"),
        # its extra crypto-eth-addresses: without it 18 tests of eth_address fail
        test_requires=("eth-hash[pycryptodome]==0.8.0", "pycryptodome==3.24.1"),
    ),
    Project("isodate", "0.7.2", ("tests/test_date.py", "tests/test_strf.py")),
    Project(
        "titlecase",
        "2.4.1",
        ("titlecase/tests.py", "-k", "callback"),
        suite=("titlecase/tests.py",),
    ),
)
