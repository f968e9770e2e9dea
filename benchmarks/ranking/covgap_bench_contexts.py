"""A pytest plugin that names coverage.py's dynamic context after each test (its node id) and
after each test module's import (``<module node id>::<collect>``).

Loaded with ``coverage run -m pytest -p covgap_bench_contexts``. Unlike coverage.py's
``dynamic_context = test_function``, the contexts are pytest node ids (parametrized cases apart),
and the lines a test module runs when it is imported (the package's top-level code, often) are
kept apart from the empty context, so the oracle can give them to the module's first test.
"""

from __future__ import annotations

from collections.abc import Generator

import coverage
import pytest

#: The suffix of a test module's import context.
COLLECT = "::<collect>"


def _switch(name: str) -> None:
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(name)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, None, None]:
    module = isinstance(collector, pytest.Module)
    if module:
        _switch(collector.nodeid + COLLECT)
    yield
    if module:
        _switch("")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    _switch(item.nodeid)
    yield
    _switch("")
