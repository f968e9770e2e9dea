"""The benchmark's tables (Markdown, to stdout) and the overall figures; the JSON is the dict."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ranking.evaluate import CHECKPOINTS
from ranking.simulate import median, spearman

__all__ = ["overall", "render"]

ORDERS = (
    ("covgap", "covgap's plan order"),
    ("most_missing", "most missing first"),
    ("greedy", "greedy (best test first)"),
    ("best_functions", "best function order (oracle, 20 tests)"),
)
#: The issue's targets (issue 14, item 2).
GREEDY_SHARE = 0.8
PHASE_RATIO = (0.67, 1.5)


def _f(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _n(value: int | None) -> str:
    return "never" if value is None else str(value)


def overall(projects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Across projects: mean points gained, the ratios, pooled calibration, the targets."""
    results = list(projects.values())
    estimated = [
        r["estimated_tests"] for p in results for r in p["functions"] if r["reachable_units"]
    ]
    alone = [r["real_tests_alone"] for p in results for r in p["functions"] if r["reachable_units"]]
    in_order = [
        r["real_tests_in_covgap_order"]
        for p in results
        for r in p["functions"]
        if r["reachable_units"]
    ]
    phases = [ph for p in results for ph in p["phases"]]
    ratios = [
        p["covgap_over_greedy_at_10"] for p in results if p["covgap_over_greedy_at_10"] is not None
    ]
    ceilings = [
        p["best_functions_over_greedy_at_10"]
        for p in results
        if p["best_functions_over_greedy_at_10"] is not None
    ]
    milestone = {
        name: [
            p["orders"][name]["tests_to_first_milestone"]
            for p in results
            if p["first_milestone"] is not None
        ]
        for name, _ in ORDERS
    }
    fewer = [
        name
        for name, p in projects.items()
        if p["first_milestone"] is not None
        and _lt(
            p["orders"]["covgap"]["tests_to_first_milestone"],
            p["orders"]["most_missing"]["tests_to_first_milestone"],
        )
    ]
    no_more = [
        name
        for name, p in projects.items()
        if p["first_milestone"] is not None
        and not _lt(
            p["orders"]["most_missing"]["tests_to_first_milestone"],
            p["orders"]["covgap"]["tests_to_first_milestone"],
        )
    ]
    within = [
        ph
        for ph in phases
        if ph["ratio"] is not None and PHASE_RATIO[0] <= ph["ratio"] <= PHASE_RATIO[1]
    ]
    return {
        "mean_gained_points": {
            name: {
                str(k): sum(p["orders"][name]["gained_points"][str(k)] for p in results)
                / len(results)
                for k in CHECKPOINTS
            }
            for name, _ in ORDERS
        },
        "covgap_over_greedy_at_10": {
            "mean": sum(ratios) / len(ratios) if ratios else None,
            "min": min(ratios) if ratios else None,
            "projects_at_least_0.8": sum(1 for r in ratios if r >= GREEDY_SHARE),
            "projects": len(ratios),
        },
        "best_functions_over_greedy_at_10": {
            "mean": sum(ceilings) / len(ceilings) if ceilings else None,
            "min": min(ceilings) if ceilings else None,
            "projects_at_least_0.8": sum(1 for r in ceilings if r >= GREEDY_SHARE),
            "projects": len(ceilings),
        },
        "tests_to_first_milestone": milestone,
        "milestone_fewer_than_most_missing": fewer,
        "milestone_no_more_than_most_missing": no_more,
        "milestone_projects": sum(1 for p in results if p["first_milestone"] is not None),
        "calibration": {
            "functions": len(estimated),
            "spearman_alone": spearman(estimated, alone),
            "median_ratio_alone": median([e / a for e, a in zip(estimated, alone, strict=True)]),
            "spearman_in_order": spearman(estimated, in_order),
            "median_ratio_in_order": median(
                [e / r for e, r in zip(estimated, in_order, strict=True) if r]
            ),
        },
        "phases": {
            "count": len(phases),
            "within_0.67_1.5": len(within),
            "with_real_tests": sum(1 for ph in phases if ph["real_tests"]),
        },
    }


def _lt(a: int | None, b: int | None) -> bool:
    """a < b, where None (never reached) is more than any count."""
    if a is None:
        return False
    return b is None or a < b


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _project(name: str, meta: dict[str, Any], p: dict[str, Any]) -> list[str]:
    first = _f(p["first_milestone"], 1) if p["first_milestone"] is not None else "none (no phase)"
    out = [
        f"## {name} {meta['version']}",
        "",
        f"Today: {meta['partial_files']} of {meta['test_files']} test files "
        f"({p['today_tests']} real tests), {p['percent_today']:.2f}% "
        f"({p['covered_today']}/{p['total_units']} units); the other {p['candidate_tests']} "
        f"real tests reach {p['percent_full_suite_reachable']:.2f}%. covgap target "
        f"{meta['target']:g}%, first milestone (phase 1 fail_under): {first}.",
        "",
    ]
    rows = []
    for key, label in ORDERS:
        o = p["orders"][key]
        rows.append(
            [
                label,
                *(f"+{o['gained_points'][str(k)]:.2f}" for k in CHECKPOINTS),
                _n(o["tests_to_first_milestone"]) if p["first_milestone"] is not None else "–",
                f"{o['tests']} (+{o['gained_points_all']:.2f})",
            ]
        )
    out += _table(
        [
            "order",
            *(f"pts after {k} tests" for k in CHECKPOINTS),
            "tests to 1st milestone",
            "tests in all (pts)",
        ],
        rows,
    )
    c = p["calibration"]
    out += [
        "",
        f"covgap / greedy after 10 tests: **{_f(p['covgap_over_greedy_at_10'])}** (the best "
        f"function order: {_f(p['best_functions_over_greedy_at_10'])}). Effort, "
        f"{c['functions']} functions the full suite reaches ({c['functions_not_reachable']} it "
        f"does not): estimated vs real alone Spearman {_f(c['spearman_alone'])}, median "
        f"estimated/real {_f(c['median_ratio_alone'])}; in plan order Spearman "
        f"{_f(c['spearman_in_order'])}, median {_f(c['median_ratio_in_order'])} "
        f"({c['zero_in_order']} needed no new test there).",
        "",
    ]
    if p["phases"]:
        out += _table(
            [
                "phase",
                "fail_under",
                "functions",
                "estimated tests",
                "real tests",
                "estimated/real",
                "units reachable",
            ],
            [
                [
                    str(ph["number"]),
                    _f(ph["fail_under"], 1),
                    str(ph["functions"]),
                    str(ph["estimated_tests"]),
                    str(ph["real_tests"]),
                    _f(ph["ratio"]),
                    f"{ph['reachable_units']}/{ph['missing_units']}",
                ]
                for ph in p["phases"]
            ],
        )
        out.append("")
    top = p["top10"]
    peer = top.get("testrisk", [])
    rows = []
    for i in range(10):
        ours = top["covgap"][i] if i < len(top["covgap"]) else None
        theirs = peer[i] if i < len(peer) else None
        rows.append(
            [
                str(i + 1),
                f"`{ours['name']}`" if ours else "",
                str(ours["estimated_tests"]) if ours else "",
                str(ours["real_tests_alone"]) if ours else "",
                f"{ours['reachable_units']}/{ours['missing_units']}" if ours else "",
                f"`{theirs['name']}`" if theirs else "",
                str(theirs["real_tests_alone"]) if theirs else "",
                f"{theirs['reachable_units']}/{theirs['missing_units']}" if theirs else "",
            ]
        )
    out += _table(
        ["#", "covgap top 10", "est.", "real", "units", "testrisk top 10", "real", "units"], rows
    )
    ours_10 = top["covgap_following"]
    following = (
        f"Following covgap's top 10: {ours_10['tests']} real tests, "
        f"+{ours_10['gained_points']:.2f} pts"
    )
    if "testrisk_following" in top:
        theirs_10 = top["testrisk_following"]
        following += (
            f"; testrisk's: {theirs_10['tests']} real tests, +{theirs_10['gained_points']:.2f} pts"
        )
    out += [
        "",
        f"{following} (testrisk given the {top['testrisk_input']}). *real*: real tests the "
        "function needs alone; *units*: missing units the full suite covers / missing units.",
        "",
    ]
    out += [f"- {note}" for note in p["notes"]]
    return [*out, ""]


def render(
    metas: dict[str, dict[str, Any]], projects: dict[str, dict[str, Any]], total: dict[str, Any]
) -> str:
    out = ["# Ranking benchmark", ""]
    rows = []
    for name, p in projects.items():
        o = p["orders"]
        c = p["calibration"]
        ph = p["phases"]
        rows.append(
            [
                name,
                f"{p['percent_today']:.1f}",
                *(f"{o[k]['gained_points']['10']:.2f}" for k, _ in ORDERS),
                _f(p["covgap_over_greedy_at_10"]),
                "/".join(_n(o[k]["tests_to_first_milestone"]) for k, _ in ORDERS)
                if p["first_milestone"] is not None
                else "–",
                _f(c["spearman_alone"]),
                _f(c["median_ratio_alone"]),
                ", ".join(_f(x["ratio"]) for x in ph) or "–",
            ]
        )
    out += _table(
        [
            "project",
            "today %",
            "covgap +pts@10",
            "most-missing +pts@10",
            "greedy +pts@10",
            "best functions +pts@10",
            "covgap/greedy @10",
            "tests to 1st milestone covgap/most-missing/greedy/best functions",
            "effort Spearman",
            "median est/real",
            "phases est/real",
        ],
        rows,
    )
    g = total["covgap_over_greedy_at_10"]
    b = total["best_functions_over_greedy_at_10"]
    c = total["calibration"]
    m = total["mean_gained_points"]
    fewer = len(total["milestone_fewer_than_most_missing"])
    no_more = len(total["milestone_no_more_than_most_missing"])
    out += [
        "",
        "Mean points gained after 5/10/20 real tests: "
        + "; ".join(
            f"{label} " + "/".join(f"{m[k][str(n)]:.2f}" for n in CHECKPOINTS)
            for k, label in ORDERS
        )
        + ".",
        "",
        "Targets (issue 14):",
        f"- covgap ≥ 0.8 × greedy after 10 tests on every project: "
        f"{g['projects_at_least_0.8']} of {g['projects']} (mean ratio {_f(g['mean'])}, "
        f"lowest {_f(g['min'])}). The ceiling of any order of functions, the best function "
        f"order (it knows the real tests): ≥ 0.8 on {b['projects_at_least_0.8']} of "
        f"{b['projects']} (mean {_f(b['mean'])}, lowest {_f(b['min'])}).",
        f"- first milestone with fewer real tests than most-missing-first: {fewer} of "
        f"{total['milestone_projects']} projects with a milestone; no more tests: {no_more}.",
        f"- each phase's estimate within 0.67–1.5× of its real tests: "
        f"{total['phases']['within_0.67_1.5']} of {total['phases']['count']} phases.",
        f"- effort calibration, {c['functions']} functions pooled: Spearman "
        f"{_f(c['spearman_alone'])} (alone), {_f(c['spearman_in_order'])} (in plan order); "
        f"median estimated/real {_f(c['median_ratio_alone'])} (alone), "
        f"{_f(c['median_ratio_in_order'])} (in plan order).",
        "",
    ]
    for name, p in projects.items():
        out += _project(name, metas[name], p)
    return "\n".join(out)
