"""Read pytest's JUnit XML report (xunit1 or xunit2) into one TestOutcome per test.

What pytest (checked with 9.0) writes, and how it is read:

* a ``<testcase>`` with no result child passed. pytest writes a non-strict XPASS the same way,
  so from the XML it reads as ``passed`` (only covgap's event log can tell it apart); a
  ``<skipped message="xfail-marked test passes unexpectedly">`` (older pytest) reads as
  ``xpassed``;
* ``<failure>``: the test failed in its call (``phase`` "call"); a strict XPASS is a failure
  whose message is "[XPASS(strict)] <reason>";
* ``<error message='failed on setup with "…"'>`` / ``'failed on teardown with "…"'``: an error
  in setup or teardown; ``<error message="collection failure">`` in a testcase whose classname
  is empty and whose name is the dotted module: the module could not be collected
  (``phase`` "collect");
* ``<skipped type="pytest.skip">`` skipped, ``<skipped type="pytest.xfail">`` xfailed,
  ``<skipped message="collection skipped">`` a module skipped as a whole;
* a test that failed in its call and then in teardown is written as two testcases of the same
  name: they are merged into one outcome (the call's failure; the durations added up), with
  ``also`` "error"; an error in teardown alone means the call passed: ``also`` "passed" (pytest's
  summary counts both).

The node id is rebuilt from ``classname`` and ``name`` (see ``nodeid_from``); ``message`` is the
first meaningful line of the failure (see ``_message``), at most 300 characters.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from covgap.errors import DataError
from covgap.inputs import WIDE_BOMS, read_input
from covgap.model import Outcome, TestOutcome

__all__ = ["MESSAGE_LIMIT", "nodeid_from", "read_junit"]

#: The longest message kept; longer ones are cut and end with "…".
MESSAGE_LIMIT = 300

#: Byte-order marks of encodings in which a plain byte search for "<!DOCTYPE" would not work.
#: A module name pytest collects by default (``python_files = test_*.py *_test.py``).
_TEST_MODULE = re.compile(r"^(?:test_\w*|\w+_test)$")
# pytest 9.2 cuts a long message, closing quote and all, and adds "[+N more lines; full report
# in element text]": the reason runs to a closing quote if there is one, else to the end.
_SETUP_OR_TEARDOWN = re.compile(r'^failed on (setup|teardown) with "(.*?)(?:"\s*)?$', re.DOTALL)
#: pytest's "fixture 'x' not found" report starts with the place: "file /p/test_x.py, line 19".
_FILE_LINE = re.compile(r"^file .*, line \d+$")
_E_LINE = re.compile(r"^E(?:\s+(.*))?$")
#: "ValueError: msg", "pkg.mod.Error: msg", "KeyError" alone (an exception without a message).
_EXCEPTION_LINE = re.compile(
    r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?::\s.*|:$|(?<=Error)$|(?<=Exception)$|(?<=Warning)$)"
)
#: The reason in the text of a collection skip: "('/p/test_x.py', 2, 'Skipped: why')".
_COLLECTION_SKIP = re.compile(r"""\d+, (['"])(?:Skipped: )?(.*)\1\)\s*$""")
_GENERIC_MESSAGES = frozenset({"", "collection failure", "failed to collect"})
#: What older pytest versions wrote for a non-strict XPASS.
_OLD_XPASS = "xfail-marked test passes unexpectedly"


def _bad(path: Path, message: str) -> DataError:
    return DataError(
        message,
        path=str(path),
        hint="produce it with `pytest --junitxml=PATH`",
        slug="bad-junit",
    )


def _parse_root(path: Path) -> ET.Element:
    data = read_input(path, "JUnit XML report", "no-junit")
    # As for Cobertura: a DTD is never needed, and entity declarations are the vehicle of
    # entity-expansion attacks; the byte search only works for ASCII-compatible encodings.
    if data.startswith(WIDE_BOMS) or b"\x00" in data[:1024]:
        raise _bad(path, "XML in UTF-16 or UTF-32 is not supported: write it in UTF-8")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise _bad(path, "XML with a DOCTYPE or ENTITY declaration is refused (not pytest's)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise _bad(path, f"not well-formed XML ({exc})") from exc
    if root.tag not in ("testsuites", "testsuite"):
        raise _bad(
            path,
            f"not a JUnit XML report: the root element is <{root.tag}>, "
            "not <testsuites> or <testsuite>",
        )
    return root


def nodeid_from(classname: str, name: str, file: str | None = None) -> str:
    """pytest's node id, rebuilt from a testcase's ``classname``, ``name`` and ``file``.

    pytest writes the node id ``tests/unit/test_auth.py::TestLogin::test_x[1-2]`` as classname
    ``tests.unit.test_auth.TestLogin`` and name ``test_x[1-2]``: the path with "/" as "." and
    without ".py", then the classes, dotted. To split the classname back:

    * when ``file`` (xunit1) is given and its dotted form starts the classname, it is the
      module and the rest are classes (``file`` can name another module: that of a base class
      that defines the test, so it is used only when it matches);
    * otherwise the module ends at the last part named like a test module (``test_*`` or
      ``*_test``, pytest's default ``python_files``);
    * failing that, a part that starts with an uppercase letter, after the first, begins the
      classes; with none, the whole classname is the module (doctests: ``pkg.mod`` / ``func``).

    An empty classname (a module's collection error or skip) makes ``name`` the dotted module.
    What cannot be recovered: dots in folder names, ``junit_prefix``, non-Python files.
    """
    file = file.replace("\\", "/") if file else None
    if not classname:
        return file if file else f"{name.replace('.', '/')}.py"
    if file is not None and file.endswith(".py"):
        dotted = file[: -len(".py")].replace("/", ".")
        if classname == dotted or classname.startswith(dotted + "."):
            classes = classname[len(dotted) + 1 :].split(".") if classname != dotted else []
            return "::".join([file, *classes, name])
    parts = classname.split(".")
    test_modules = [i for i, part in enumerate(parts) if _TEST_MODULE.match(part)]
    if test_modules:
        end = test_modules[-1] + 1
    else:
        end = next((i for i in range(1, len(parts)) if parts[i][:1].isupper()), len(parts))
    module = "/".join(parts[:end]) + ".py"
    return "::".join([module, *parts[end:], name])


def _clip(line: str) -> str:
    line = line.strip()
    return line if len(line) <= MESSAGE_LIMIT else line[: MESSAGE_LIMIT - 1] + "…"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _from_text(text: str) -> str:
    """The line of a traceback that says what went wrong.

    The first "E   " line pytest wrote, except that an exception line ("SyntaxError: …") is
    preferred to the lines of context before it (a SyntaxError's "File …" and caret lines),
    unless the first one is an assertion.
    """
    e_lines = [
        (match.group(1) or "").strip()
        for match in map(_E_LINE.match, text.splitlines())
        if match is not None
    ]
    e_lines = [line for line in e_lines if line]
    if e_lines and e_lines[0].startswith(("assert ", "AssertionError")):
        return e_lines[0]
    exception = next((line for line in e_lines if _EXCEPTION_LINE.match(line)), None)
    if exception is not None:
        return exception
    meaningful = [
        line for line in e_lines if not line.startswith('File "') and line.strip("^~ ") != ""
    ]
    if meaningful:
        return meaningful[0]
    return _first_line(text)


def _message(element: ET.Element) -> str:
    """The first meaningful line of a result element."""
    attribute = element.get("message", "")
    text = element.text or ""
    generic = _SETUP_OR_TEARDOWN.match(attribute)
    if generic is not None:
        reason = generic.group(2)
        first = _first_line(reason)
        if _FILE_LINE.match(first):  # "fixture 'x' not found": the cause is in the E lines
            return _clip(_from_text(reason))
        return _clip(first)
    if attribute.strip() in _GENERIC_MESSAGES:
        return _clip(_from_text(text))
    return _clip(_first_line(attribute))


def _outcome(case: ET.Element) -> tuple[Outcome, str, str]:
    """The outcome, message and phase of one testcase."""
    children = {child.tag: child for child in reversed(case)}  # the first of each tag
    collect = not case.get("classname")
    failure = children.get("failure")
    if failure is not None:
        return "failed", _message(failure), "call"
    error = children.get("error")
    if error is not None:
        match = _SETUP_OR_TEARDOWN.match(error.get("message", ""))
        if match is not None:
            phase = match.group(1)
        elif collect or error.get("message", "").strip() in (
            "collection failure",
            "failed to collect",
        ):
            phase = "collect"
        else:
            phase = "call"
        return "error", _message(error), phase
    skipped = children.get("skipped")
    if skipped is not None:
        if skipped.get("message", "") == _OLD_XPASS:
            return "xpassed", "", ""
        kind: Outcome = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        reason = skipped.get("message", "")
        if reason == "collection skipped":  # the text is the repr of (file, line, reason)
            match = _COLLECTION_SKIP.search(skipped.text or "")
            reason = match.group(2) if match is not None else reason
        return kind, _clip(_first_line(reason or skipped.text or "")), ""
    return "passed", "", ""


def _duration(path: Path, case: ET.Element) -> float:
    text = (case.get("time") or "").strip()
    if not text:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise _bad(path, f"testcase {case.get('name')!r}: time={text!r} is not a number") from None
    if not value >= 0.0 or value == float("inf"):
        raise _bad(path, f"testcase {case.get('name')!r}: time={text!r} is out of range")
    return value


def _merge(first: TestOutcome, second: TestOutcome) -> TestOutcome:
    """One test written twice (a failure in its call, then an error in teardown): pytest's
    summary counts both, so the error is kept as ``also``."""
    failing = ("failed", "error")
    kept = first if first.outcome in failing or second.outcome not in failing else second
    other = second if kept is first else first
    also = other.outcome if other.outcome in failing else kept.also
    return TestOutcome(
        kept.nodeid, kept.outcome, first.duration + second.duration, kept.message, kept.phase, also
    )


def read_junit(path: Path) -> tuple[TestOutcome, ...]:
    """Every test in pytest's JUnit XML report at ``path``, in the report's order.

    Both ``junit_family`` flavours are read, with a ``<testsuites>`` or a ``<testsuite>`` root.
    A test written twice is merged into one outcome. DataError when the file is missing or is
    not a JUnit XML report.
    """
    root = _parse_root(path)
    outcomes: dict[str, TestOutcome] = {}
    for case in root.iter("testcase"):
        name = case.get("name")
        if name is None:
            raise _bad(path, f"a <testcase classname={case.get('classname', '')!r}> has no name")
        nodeid = nodeid_from(case.get("classname", ""), name, case.get("file"))
        outcome, message, phase = _outcome(case)
        # An error in teardown alone: the call had passed (a failure would be written too).
        also: Outcome | None = "passed" if (outcome, phase) == ("error", "teardown") else None
        result = TestOutcome(nodeid, outcome, _duration(path, case), message, phase, also)
        earlier = outcomes.get(nodeid)
        outcomes[nodeid] = result if earlier is None else _merge(earlier, result)
    return tuple(outcomes.values())
