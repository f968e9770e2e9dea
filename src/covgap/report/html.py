"""Render the view as ``index.html``: one self-contained page (docs/html-report.md).

The page is the template ``templates/report.html.j2`` with ``static/report.css`` and
``static/report.js`` inlined, and one JSON data block that the script renders from. The data
block holds the view's values (those of ``plan.json``), compacted and capped so that a page for
thousands of files stays small, plus what only the page shows: the source lines of the functions
it lists (read here from the project folder) and the trend of the history database.

Project text is never markup: the data is JSON inside ``<script type="application/json">`` with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and the script builds the page with
``textContent``; what the template writes itself goes through Jinja2's autoescaping.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from covgap.analyze.planning import format_percent
from covgap.analyze.ranking import tier_for
from covgap.errors import CovgapError
from covgap.files import open_regular
from covgap.inputs import inside_project
from covgap.markup import segments
from covgap.model import Numbers
from covgap.report.html_tests import tests_section

if TYPE_CHECKING:
    from covgap.config import Settings
    from covgap.model import PlanResult

__all__ = [
    "HTML_DATA_VERSION",
    "HtmlExtras",
    "collect_extras",
    "escape_json",
    "page_data",
    "read_sources",
    "render_html",
]

#: The version of the page's data block (``#covgap-data``).
HTML_DATA_VERSION = 1

#: Functions with a gap listed in the table (the detailed ones first, then by impact).
FUNCTIONS_CAP = 3000
#: Functions whose risk, effort and test advice the page carries (the plan's, in its order).
DETAILS_CAP = 200
#: Characters of source text in the page, over all files.
SOURCE_CHARS_CAP = 1_000_000
#: A source line longer than this is cut (minified or generated code).
LINE_CHARS_CAP = 400
#: A function up to this many lines is shown whole; a longer one as hunks around its gaps.
WHOLE_FUNCTION_LINES = 150
#: Lines of context around an uncovered line in a hunk.
CONTEXT_LINES = 3
#: Failed tests listed per cause in the suite's health.
HEALTH_TESTS_CAP = 100
#: Evidence items per audit finding.
EVIDENCE_CAP = 25
#: Snapshots of the history in the trend.
TREND_CAP = 200
#: Of those, the last ones whose change is explained (explaining loads every file of both
#: snapshots; the page is written by every plan and run).
EXPLAINED_CAP = 20

_FILE_COLUMNS = (
    "path",
    "statements",
    "missing_statements",
    "branches",
    "missing_branches",
    "percent_covered",
    "percent_covered_display",
    "tier",
    "impact",
    "impact_display",
    "impact_to_target_display",
    "gap",
    "test_code",
)
_REGION_COLUMNS = (
    "path",
    "name",
    "display_name",
    "kind",
    "start_line",
    "end_line",
    "statements",
    "missing_statements",
    "branches",
    "missing_branches",
    "percent_covered",
    "percent_covered_display",
    "impact",
    "impact_display",
    "priority",
    "missing_ranges",
    "missing_branch_arcs",
)
_FUNCTION_COLUMNS = (*_REGION_COLUMNS, "gap", "risk_level", "risk_score", "effort")
_FOLDER_COLUMNS = (
    "path",
    "statements",
    "missing_statements",
    "branches",
    "missing_branches",
    "percent_covered",
    "percent_covered_display",
    "tier",
)

#: Characters that must not appear raw in JSON inside a ``<script>`` element.
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}

#: A function in the page: (path, qualified name).
Key = tuple[str, str]
#: A file's uncovered lines and missing arcs, from the model (the view has ranges only).
LineData = tuple[Sequence[int], Sequence[tuple[int, int]]]


@dataclass(frozen=True)
class HtmlExtras:
    """What the page shows besides the view: source lines, and the history's trend."""

    #: Path → ``{"hunks", "missing", "partial"}`` or ``{"error"}`` (see ``read_sources``).
    sources: Mapping[str, dict[str, Any]] = field(default_factory=dict)
    #: None: no history (the section is left out).
    trend: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()


# --- the functions the page lists -----------------------------------------------------------


def _gap(region: Mapping[str, Any]) -> int:
    return int(region["missing_statements"]) + int(region["missing_branches"])


def _items(view: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    """The plan's items in its order (phase by phase), then the top functions."""
    for phase in view["plan"]["phases"]:
        yield from phase["items"]
    yield from view["top_functions"]


def _detail_entries(view: Mapping[str, Any]) -> list[tuple[dict[str, Any], int | None]]:
    """The functions the plan lists, each once, in its order, with the phase that covers it."""
    seen: set[Key] = set()
    entries: list[tuple[dict[str, Any], int | None]] = []

    def add(item: dict[str, Any], phase: int | None) -> None:
        key = (item["path"], item["function"])
        if key not in seen:
            seen.add(key)
            entries.append((item, phase))

    for phase in view["plan"]["phases"]:
        for item in phase["items"]:
            add(item, phase["number"])
    for item in view["top_functions"]:
        add(item, None)
    risk = view.get("risk") or {}
    for level in ("high", "medium", "low"):
        for item in (risk.get("functions") or {}).get(level, []):
            add(item, None)
    return entries


def _regions(view: Mapping[str, Any]) -> dict[Key, dict[str, Any]]:
    return {
        (file["path"], region["name"]): {"path": file["path"], **region}
        for file in view["files"]
        for region in file["functions"]
    }


def _page_functions(view: Mapping[str, Any]) -> tuple[list[Key], list[Key], int]:
    """The detailed functions, the table's functions (detailed first, then by impact), and how
    many functions have a gap in all."""
    regions = _regions(view)
    details = [
        (item["path"], item["function"])
        for item, _ in _detail_entries(view)
        if (item["path"], item["function"]) in regions
    ][:DETAILS_CAP]
    with_gap = [key for key, region in regions.items() if _gap(region)]
    chosen = dict.fromkeys(key for key in details if _gap(regions[key]))
    for key in sorted(with_gap, key=lambda k: -float(regions[k]["impact"])):
        if len(chosen) >= FUNCTIONS_CAP:
            break
        chosen.setdefault(key)
    return details, list(chosen), len(with_gap)


# --- source lines ---------------------------------------------------------------------------


def _wanted_lines(
    start: int, end: int, missing: set[int], partial: set[int], length: int
) -> list[int]:
    """The lines of a function shown in the page: all of them, or hunks around its gaps."""
    end = min(end, length)
    if end - start + 1 <= WHOLE_FUNCTION_LINES:
        return list(range(start, end + 1))
    wanted = set(range(start, min(start + CONTEXT_LINES, end + 1)))
    for line in sorted((missing | partial) & set(range(start, end + 1))):
        wanted.update(range(max(start, line - CONTEXT_LINES), min(end, line + CONTEXT_LINES) + 1))
    return sorted(wanted)


def _read_lines(project_dir: Path, path: str) -> list[str] | str:
    """The file's lines, or why they could not be read. Only files inside the project folder
    are read: a coverage file naming ``/etc/passwd`` must not put it in a report."""
    if not inside_project(project_dir, path):
        return f"{path} is outside the project folder"
    root = project_dir.resolve()
    candidate = Path(path)
    full = (candidate if candidate.is_absolute() else root / candidate).resolve()
    try:
        with open_regular(full) as raw:  # a FIFO would block
            encoding, _ = tokenize.detect_encoding(raw.readline)  # a coding line, else UTF-8
            raw.seek(0)
            with io.TextIOWrapper(raw, encoding) as stream:
                text = stream.read()  # universal newlines: \r\n and \r are read as \n
    except FileNotFoundError:
        return f"{path} does not exist in the project folder"
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        return f"{path} could not be read ({exc.__class__.__name__})"
    # Lines as Python numbers them: not str.splitlines, which also splits at \f, U+2028…
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def read_sources(
    project_dir: Path, view: Mapping[str, Any], line_data: Mapping[str, LineData]
) -> dict[str, dict[str, Any]]:
    """The source lines of the page's functions, per file, as hunks of consecutive lines.

    ``line_data``: each file's uncovered lines and missing arcs (from the model). Functions are
    taken in the page's order (the detailed ones, then the table's) until ``SOURCE_CHARS_CAP``.
    """
    regions = _regions(view)
    details, functions, _ = _page_functions(view)
    texts: dict[str, list[str] | str] = {}
    shown: dict[str, set[int]] = {}
    budget = SOURCE_CHARS_CAP
    for key in dict.fromkeys([*details, *functions]):
        path, _ = key
        region = regions[key]
        if path not in texts:
            texts[path] = _read_lines(project_dir, path)
        lines = texts[path]
        if isinstance(lines, str):
            continue
        missing, partial = _marks(line_data.get(path))
        wanted = _wanted_lines(
            int(region["start_line"]), int(region["end_line"]), missing, partial, len(lines)
        )
        already = shown.setdefault(path, set())
        new = [n for n in wanted if n not in already]
        cost = sum(min(len(lines[n - 1]), LINE_CHARS_CAP) + 4 for n in new)
        if cost > budget:
            break
        budget -= cost
        already.update(new)
    sources: dict[str, dict[str, Any]] = {}
    for path, lines in texts.items():
        if isinstance(lines, str):
            sources[path] = {"error": lines}
            continue
        numbers = sorted(shown.get(path, ()))
        if not numbers:
            continue
        missing, partial = _marks(line_data.get(path))
        sources[path] = {
            "hunks": _hunks(numbers, lines),
            "missing": sorted(missing.intersection(numbers)),
            "partial": sorted(partial.intersection(numbers)),
        }
    return sources


def _marks(data: LineData | None) -> tuple[set[int], set[int]]:
    """Uncovered lines, and lines that ran with a missing branch."""
    if data is None:
        return set(), set()
    missing_lines, arcs = data
    missing = set(missing_lines)
    return missing, {line for line, _ in arcs if line > 0 and line not in missing}


def _cut(text: str) -> str:
    return text if len(text) <= LINE_CHARS_CAP else text[: LINE_CHARS_CAP - 1] + "…"


def _hunks(numbers: Sequence[int], lines: Sequence[str]) -> list[list[Any]]:
    hunks: list[list[Any]] = []
    for number in numbers:
        if hunks and hunks[-1][0] + len(hunks[-1][1]) == number:
            hunks[-1][1].append(_cut(lines[number - 1]))
        else:
            hunks.append([number, [_cut(lines[number - 1])]])
    return hunks


# --- the trend ------------------------------------------------------------------------------


def _trend(project_dir: Path, settings: Settings) -> dict[str, Any] | None:
    from covgap.analyze.trend import history

    summaries, deltas = history(project_dir, settings, TREND_CAP, explain=EXPLAINED_CAP)
    if not summaries:
        return None
    from covgap.report.history import snapshot_rows

    snapshots = snapshot_rows(summaries, deltas, detailed=False)
    for row in snapshots:
        row["percent_display"] = format_percent(row["percent"], settings.precision)
    return {"drop_alert": settings.drop_alert, "snapshots": snapshots}


def collect_extras(
    result: PlanResult, view: Mapping[str, Any], project_dir: Path | None
) -> HtmlExtras:
    """Read what the page needs from the project folder: sources, and the history's trend.

    Without a project folder the page has neither (the function view says "source not found").
    """
    if project_dir is None:
        return HtmlExtras()
    line_data = {f.path: (f.missing_lines, f.missing_arcs) for f in result.project.files}
    sources = read_sources(project_dir, view, line_data)
    notes: list[str] = []
    try:
        trend = _trend(project_dir, result.settings)
    except CovgapError as exc:  # a damaged history must not cost the report
        trend = None
        notes.append(f"the trend is not shown: the history could not be read ({exc})")
    return HtmlExtras(sources=sources, trend=trend, notes=tuple(notes))


# --- the data block -------------------------------------------------------------------------


def _table(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"columns": list(columns), "rows": [[row[c] for c in columns] for row in rows]}


def _folders(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every folder's totals, summed from its files and shown as the files' percentages are."""
    totals: dict[str, Numbers] = {}
    for file in view["files"]:
        numbers = Numbers(
            file["statements"],
            file["missing_statements"],
            file["branches"],
            file["missing_branches"],
        )
        parts = file["path"].split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            totals[folder] = totals.get(folder, Numbers()) + numbers
    settings = view["settings"]
    tiers = [(tier["name"], tier["from"]) for tier in settings["tiers"]]
    return [
        {
            "path": path,
            "statements": n.statements,
            "missing_statements": n.missing_statements,
            "branches": n.branches,
            "missing_branches": n.missing_branches,
            "percent_covered": n.percent_covered,
            "percent_covered_display": format_percent(n.percent_covered, settings["precision"]),
            "tier": tier_for(n.percent_covered, tiers) if tiers else "",
        }
        for path, n in sorted(totals.items())
    ]


def _health(health: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if health is None:
        return None
    return {
        **health,
        "groups": [
            {**group, "tests": group["tests"][:HEALTH_TESTS_CAP]} for group in health["groups"]
        ],
    }


def _audit(audit: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if audit is None:
        return None
    return {
        **audit,
        "findings": [
            {
                **finding,
                "evidence": finding["evidence"][:EVIDENCE_CAP],
                "evidence_total": len(finding["evidence"]),
            }
            for finding in audit["findings"]
        ],
    }


def page_data(view: Mapping[str, Any], extras: HtmlExtras | None = None) -> dict[str, Any]:
    """The data block: the view's values the page shows, compact and capped, and the extras."""
    extras = extras or HtmlExtras()
    regions = _regions(view)
    details, functions, with_gap = _page_functions(view)
    items: dict[Key, dict[str, Any]] = {}
    for item in _items(view):
        items.setdefault((item["path"], item["function"]), item)
    risky = _risky(view)
    phases_of = {
        (item["path"], item["function"]): phase for item, phase in _detail_entries(view) if phase
    }

    def function_row(key: Key) -> dict[str, Any]:
        item = items.get(key)
        risk = (item or risky.get(key) or {}).get("risk")
        return {
            **regions[key],
            "gap": item["gap"] if item else _gap(regions[key]),
            "risk_level": risk["level"] if risk else None,
            "risk_score": risk["score"] if risk else None,
            "effort": item["effort"] if item else None,
        }

    def detail(key: Key) -> dict[str, Any]:
        region = regions[key]
        item = items.get(key)
        with_risk = item or risky.get(key) or {}
        return {
            "path": key[0],
            "function": key[1],
            "display_name": region["display_name"],
            "start_line": region["start_line"],
            "end_line": region["end_line"],
            "phase": phases_of.get(key),
            "priority": region["priority"],
            "risk": with_risk.get("risk"),
            "complexity": item["complexity"] if item else None,
            "effort": item["effort"] if item else None,
            "advice": item["advice"] if item else None,
        }

    notes = [*view["notes"], *extras.notes]
    if with_gap > len(functions):
        notes.append(
            f"the table lists {len(functions):,} of the {with_gap:,} functions with gaps, "
            "those the plan lists and then by impact; plan.json has them all"
        )
    plan = view["plan"]
    risk = view.get("risk")
    settings = view["settings"]
    return {
        "version": HTML_DATA_VERSION,
        "generator": view["generator"],
        "input": view["input"],
        "settings": {
            name: settings[name] for name in ("precision", "top", "target", "file_target", "tiers")
        },
        "totals": view["totals"],
        "tier_counts": view["tier_counts"],
        "plan": {
            **{name: value for name, value in plan.items() if name != "phases"},
            "phases": [
                {name: value for name, value in phase.items() if name not in ("items", "units")}
                for phase in plan["phases"]
            ],
        },
        "run": view.get("run"),
        "health": _health(view.get("health")),
        "audit": _audit(view.get("audit")),
        "risk": None
        if risk is None
        else {name: value for name, value in risk.items() if name != "functions"},
        "notes": notes,
        "folders": _table(_FOLDER_COLUMNS, _folders(view)),
        "files": {
            **_table(_FILE_COLUMNS, ({**file, "gap": _gap(file)} for file in view["files"])),
            "total": len(view["files"]),
        },
        "functions": {
            **_table(_FUNCTION_COLUMNS, (function_row(key) for key in functions)),
            "total": with_gap,
            "shown": len(functions),
        },
        "details": [detail(key) for key in details],
        "sources": dict(extras.sources),
        "trend": extras.trend,
    }


def _risky(view: Mapping[str, Any]) -> dict[Key, dict[str, Any]]:
    risk = view.get("risk") or {}
    return {
        (item["path"], item["function"]): item
        for level in ("high", "medium", "low")
        for item in (risk.get("functions") or {}).get(level, [])
    }


def escape_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` (so no
    ``</script>`` nor ``<!--``), and no U+2028/U+2029 (line breaks to old JavaScript)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for raw, escaped in _JSON_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


# --- the page -------------------------------------------------------------------------------


def _static(name: str) -> str:
    static = resources.files("covgap.report") / "static"
    return (static / name).read_text(encoding="utf-8")


@functools.cache
def _environment() -> jinja2.Environment:
    """One a process, so that the template compiles once (``render.warm`` compiles it while
    ``covgap run``'s suite runs)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("covgap.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["rich"] = _rich
    return environment


def _rich(text: object) -> Markup:
    """One of covgap's messages with its code spans as ``<code>``, everything escaped (as the
    script's ``rich`` does)."""
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if is_code else Markup.escape(part)
        for is_code, part in segments(text)
    )


def warm(project_dir: Path, settings: Settings) -> None:
    """Compile the page's template and explain the history's trend so far: the first render's
    biggest costs, which ``covgap run`` pays while the suite runs."""
    _environment().get_template("report.html.j2")
    with contextlib.suppress(CovgapError):  # the page itself says what is wrong
        _trend(project_dir, settings)


def render_html(view: Mapping[str, Any], extras: HtmlExtras | None = None) -> str:
    """``index.html``: the template, the inlined CSS and script, and the data block."""
    data = page_data(view, extras)
    css, script = _static("report.css"), _static("report.js")
    # Our own files, inlined as they are: they must not end their element early.
    if "</style" in css.lower() or "</script" in script.lower() or "<!--" in script:
        raise ValueError("report.css or report.js would end its element early")
    template = _environment().get_template("report.html.j2")
    has_notes = bool(
        data["notes"]
        or (data["plan"]["phases"] and data["plan"]["notes"])
        or (data["risk"] or {}).get("notes")
        or (data["run"] or {}).get("notes")
    )
    return template.render(
        v=view,
        data=data,
        has_notes=has_notes,
        tests=tests_section(view),
        data_json=Markup(escape_json(data)),  # escaped for <script>
        css=Markup(css),
        script=Markup(script),
    )
