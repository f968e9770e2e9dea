/* covgap's HTML report: renders the data block (#covgap-data) into the page's skeleton.
 *
 * Plain ES2020, no library, no build step. Project text is data, never markup: the page is built
 * with createElement and textContent only. Every number shown is a value of the data block (the
 * view's *_display strings); nothing shown is computed here. docs/html-report.md has the DOM
 * contract the browser tests rely on.
 */
(() => {
  "use strict";

  const DATA = JSON.parse(document.getElementById("covgap-data").textContent);
  /** Table rows rendered at a time. */
  const PAGE = 100;
  /** Treemap nodes drawn per level; the smallest of the rest share one area. */
  const TREEMAP_MAX = 300;

  // --- DOM helpers ------------------------------------------------------------------------

  /** An element with attributes (class, text, on*, or any attribute) and children. */
  function h(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child)); // strings become text nodes
    }
  }

  /**
   * Text whose `backtick spans` become <code> elements (covgap's messages use them), by
   * CommonMark's rule, as covgap.markup writes them: a run of backticks opens a span that the
   * next run of the same length closes (a run with none is text); one space is dropped from
   * each end of a span that has one at both.
   */
  function rich(text) {
    const source = String(text ?? "");
    const parts = [];
    const runs = /`+/g;
    let start = 0;
    let opening;
    while ((opening = runs.exec(source)) !== null) {
      const fence = opening[0];
      const closing = new RegExp(`(?<!\`)${fence}(?!\`)`, "g");
      closing.lastIndex = opening.index + fence.length;
      const found = closing.exec(source);
      if (found === null) continue; // no closing run: these backticks are text
      if (opening.index > start) parts.push(source.slice(start, opening.index));
      let code = source.slice(opening.index + fence.length, found.index);
      if (code.startsWith(" ") && code.endsWith(" ") && code.trim() !== "") code = code.slice(1, -1);
      parts.push(h("code", { text: code }));
      start = found.index + fence.length;
      runs.lastIndex = start;
    }
    if (start < source.length) parts.push(source.slice(start));
    return parts;
  }

  /** Rows of a {columns, rows} table as objects. */
  function records(table) {
    if (!table) return [];
    const { columns, rows } = table;
    return rows.map((row) => {
      const record = {};
      columns.forEach((column, i) => {
        record[column] = row[i];
      });
      return record;
    });
  }

  const byId = (id) => document.getElementById(id);
  const plural = (count, noun, many) => `${count.toLocaleString("en")} ${count === 1 ? noun : many || noun + "s"}`;
  const keyOf = (path, name) => `${path}\u0000${name}`;

  /** A hue from red (0%) through amber to green (100%): the colour of a coverage. */
  function hue(percent) {
    const p = Math.max(0, Math.min(100, Number(percent) || 0));
    return p < 50 ? p * 0.8 : 40 + (p - 50) * 1.8;
  }

  // --- data ---------------------------------------------------------------------------------

  const files = records(DATA.files);
  const folders = records(DATA.folders);
  const functions = records(DATA.functions);
  const details = new Map((DATA.details || []).map((d) => [keyOf(d.path, d.function), d]));
  const functionByKey = new Map(functions.map((f) => [keyOf(f.path, f.name), f]));
  const fileByPath = new Map(files.map((f) => [f.path, f]));

  // --- theme --------------------------------------------------------------------------------

  const root = document.documentElement;
  const themeToggle = byId("theme-toggle");

  function showTheme() {
    const dark = root.dataset.theme === "dark";
    themeToggle.setAttribute("aria-pressed", String(dark));
    themeToggle.textContent = dark ? "Light theme" : "Dark theme";
  }

  themeToggle.addEventListener("click", () => {
    root.dataset.theme = root.dataset.theme === "dark" ? "light" : "dark";
    try {
      window.localStorage.setItem("covgap-theme", root.dataset.theme);
    } catch (error) {
      /* file:// pages may have no storage: the choice lasts until the page is closed */
    }
    showTheme();
  });
  if (!root.dataset.theme) root.dataset.theme = "light";
  showTheme();
  // Until a theme is chosen here, follow the system's.
  window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", (event) => {
    let chosen = null;
    try {
      chosen = window.localStorage.getItem("covgap-theme");
    } catch (error) {
      chosen = null;
    }
    if (!chosen) {
      root.dataset.theme = event.matches ? "dark" : "light";
      showTheme();
    }
  });

  // --- overview: the plan as a progress bar ---------------------------------------------------

  function renderProgress() {
    const bar = byId("progress");
    if (!bar) return;
    const plan = DATA.plan;
    const segment = (cls, from, to, label) => {
      const node = h("span", { class: `seg ${cls}`, title: label });
      node.style.left = `${from}%`;
      node.style.width = `${Math.max(0, to - from)}%`;
      return node;
    };
    const marker = (cls, at, label) => {
      const node = h("span", { class: `marker ${cls}` }, h("span", { class: "marker-label", text: label }));
      node.style.left = `${at}%`;
      return node;
    };
    bar.append(segment("seg-now", 0, DATA.totals.percent_covered, `now ${plan.current_display}%`));
    let previous = DATA.totals.percent_covered;
    plan.phases.forEach((phase, i) => {
      const label = `phase ${phase.number}: ${phase.projected_percent_display}%`;
      bar.append(segment(`seg-phase seg-phase-${i % 5}`, previous, phase.projected_percent, label));
      previous = phase.projected_percent;
    });
    for (const phase of plan.phases) {
      if (Math.abs(phase.milestone - plan.target) > 1e-9) {
        bar.append(marker("marker-milestone", phase.milestone, `${phase.milestone_display}%`));
      }
    }
    bar.append(marker("marker-target", plan.target, `target ${plan.target_display}%`));
  }

  // --- treemap ------------------------------------------------------------------------------

  /** The folder tree: path → {path, kind, children, info}; files without statements left out. */
  function buildTree() {
    const nodes = new Map();
    const folderInfo = new Map(folders.map((f) => [f.path, f]));
    const top = { path: "", kind: "folder", children: [], info: DATA.totals };
    nodes.set("", top);
    const folderNode = (path) => {
      let node = nodes.get(path);
      if (node) return node;
      node = { path, kind: "folder", children: [], info: folderInfo.get(path) };
      nodes.set(path, node);
      const cut = path.lastIndexOf("/");
      folderNode(cut < 0 ? "" : path.slice(0, cut)).children.push(node);
      return node;
    };
    let empty = 0;
    for (const file of files) {
      if (file.statements + file.branches === 0) {
        empty += 1;
        continue;
      }
      const cut = file.path.lastIndexOf("/");
      const parent = folderNode(cut < 0 ? "" : file.path.slice(0, cut));
      parent.children.push({ path: file.path, kind: "file", children: [], info: file });
    }
    return { nodes, empty };
  }

  const tree = buildTree();
  const units = (node) => node.info.statements + node.info.branches; // the area, never shown

  /** A folder with one folder in it is not a level of its own. */
  function descend(node) {
    while (node.kind === "folder" && node.children.length === 1 && node.children[0].kind === "folder") {
      node = node.children[0];
    }
    return node;
  }

  /** Squarified treemap (Bruls, Huizing, van Wijk): items sorted by value, largest first. */
  function squarify(items, x, y, width, height) {
    const total = items.reduce((sum, item) => sum + item.value, 0);
    const scale = total > 0 ? (width * height) / total : 0;
    const areas = items.map((item) => item.value * scale);
    const rects = [];
    let start = 0;
    const worst = (from, to, side) => {
      let sum = 0;
      let max = 0;
      let min = Infinity;
      for (let i = from; i < to; i += 1) {
        sum += areas[i];
        max = Math.max(max, areas[i]);
        min = Math.min(min, areas[i]);
      }
      if (sum === 0 || min === 0) return Infinity;
      return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * min));
    };
    while (start < items.length) {
      const side = Math.min(width, height);
      let end = start + 1;
      while (end < items.length && worst(start, end + 1, side) <= worst(start, end, side)) end += 1;
      let sum = 0;
      for (let i = start; i < end; i += 1) sum += areas[i];
      if (width >= height) {
        const columnWidth = height > 0 ? sum / height : 0;
        let top = y;
        for (let i = start; i < end; i += 1) {
          const itemHeight = columnWidth > 0 ? areas[i] / columnWidth : 0;
          rects.push({ item: items[i], x, y: top, w: columnWidth, h: itemHeight });
          top += itemHeight;
        }
        x += columnWidth;
        width -= columnWidth;
      } else {
        const rowHeight = width > 0 ? sum / width : 0;
        let left = x;
        for (let i = start; i < end; i += 1) {
          const itemWidth = rowHeight > 0 ? areas[i] / rowHeight : 0;
          rects.push({ item: items[i], x: left, y, w: itemWidth, h: rowHeight });
          left += itemWidth;
        }
        y += rowHeight;
        height -= rowHeight;
      }
      start = end;
    }
    return rects;
  }

  const treemap = byId("treemap");
  const crumbs = byId("treemap-crumbs");

  function crumbPaths(path) {
    const base = descend(tree.nodes.get("")).path;
    const paths = [""];
    const parts = path ? path.split("/") : [];
    for (let depth = 1; depth <= parts.length; depth += 1) {
      const prefix = parts.slice(0, depth).join("/");
      if (prefix.length <= base.length) continue;
      const node = tree.nodes.get(prefix);
      if (prefix === path || (node && descend(node) === node)) paths.push(prefix);
    }
    return paths;
  }

  function renderCrumbs(path) {
    const base = descend(tree.nodes.get("")).path;
    const paths = crumbPaths(path);
    crumbs.replaceChildren(
      ...paths.map((crumb, i) => {
        const label = crumb === "" ? (base ? `All files (${base}/)` : "All files") : crumb.slice(paths[i - 1] ? paths[i - 1].length + 1 : base ? base.length + 1 : 0);
        return h("button", {
          type: "button",
          class: "crumb",
          "data-path": crumb,
          "aria-current": crumb === path ? "location" : null,
          text: label,
          onclick: () => showFolder(crumb, true),
        });
      })
    );
  }

  function nodeLabel(node, base) {
    const name = base ? node.path.slice(base.length + 1) : node.path;
    return node.kind === "folder" ? `${name}/` : name;
  }

  function describe(node) {
    const info = node.info;
    const what = node.kind === "folder" ? "folder" : "file";
    const branches = DATA.input.branch_measured ? `, ${info.branches} branches (${info.missing_branches} missing)` : "";
    return `${what} ${node.path}: ${info.percent_covered_display}% covered; ${info.statements} statements (${info.missing_statements} missing)${branches}`;
  }

  function renderTreemap() {
    const path = treemap.dataset.root || "";
    const shown = descend(tree.nodes.get(path) || tree.nodes.get(""));
    const base = shown.path;
    const children = shown.children.filter((child) => units(child) > 0).sort((a, b) => units(b) - units(a) || (a.path < b.path ? -1 : 1));
    let items = children.map((node) => ({ node, value: units(node) }));
    let rest = null;
    if (items.length > TREEMAP_MAX) {
      const tail = items.slice(TREEMAP_MAX - 1);
      items = items.slice(0, TREEMAP_MAX - 1);
      rest = { node: null, count: tail.length, value: tail.reduce((sum, item) => sum + item.value, 0) };
      items.push(rest);
    }
    const width = treemap.clientWidth || 800;
    const height = treemap.clientHeight || 400;
    drawnSize = `${treemap.clientWidth}x${treemap.clientHeight}`;
    const nodes = squarify(items, 0, 0, width, height).map((rect) => {
      const style = (node) => {
        node.style.left = `${(100 * rect.x) / width}%`;
        node.style.top = `${(100 * rect.y) / height}%`;
        node.style.width = `${(100 * rect.w) / width}%`;
        node.style.height = `${(100 * rect.h) / height}%`;
        if (rect.w < 64 || rect.h < 34) node.classList.add("tm-small");
        return node;
      };
      if (!rect.item.node) {
        return style(h("div", { class: "tm-other", title: `${rect.item.count} smaller items`, text: `+${rect.item.count}` }));
      }
      const node = rect.item.node;
      const info = node.info;
      const button = h(
        "button",
        {
          type: "button",
          class: `tm-node tm-${node.kind}`,
          "data-path": node.path,
          "data-kind": node.kind,
          "data-percent": info.percent_covered_display,
          title: describe(node),
          "aria-label": describe(node),
          onclick: () => (node.kind === "folder" ? showFolder(node.path, true) : showFile(node.path)),
        },
        h("span", { class: "tm-name", text: nodeLabel(node, base) }),
        h("span", { class: "tm-pct", text: `${info.percent_covered_display}%` })
      );
      button.style.setProperty("--h", String(hue(info.percent_covered)));
      return style(button);
    });
    treemap.replaceChildren(...nodes);
    if (!nodes.length) treemap.append(h("p", { class: "tm-empty", text: "No statements to show." }));
    // One tile in the tab order; the arrow keys move between tiles (largest first).
    treemap.querySelectorAll(".tm-node").forEach((node, i) => {
      node.tabIndex = i === 0 ? 0 : -1;
    });
    renderCrumbs(path);
  }

  treemap.addEventListener("keydown", (event) => {
    const tiles = [...treemap.querySelectorAll(".tm-node")];
    const at = tiles.indexOf(document.activeElement);
    if (at < 0) return;
    const moves = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: tiles.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = tiles[Math.max(0, Math.min(tiles.length - 1, moves[event.key]))];
    tiles[at].tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });

  function showFolder(path, focus) {
    treemap.dataset.root = path;
    renderTreemap();
    if (focus) {
      const first = treemap.querySelector(".tm-node");
      (first || crumbs.querySelector(".crumb:last-child"))?.focus();
    }
  }

  function showFile(path) {
    gapsFilter.value = path;
    gapsKind.value = "all";
    state.filter = path;
    state.kind = "all";
    updateTable();
    gapsFilter.focus({ preventScroll: true });
    byId("gaps").scrollIntoView({ block: "start" });
  }

  // Redrawn at the new size (the tiles are placed in percentages, but their squareness is not).
  let resizeTimer = 0;
  let drawnSize = "";
  new ResizeObserver(() => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (`${treemap.clientWidth}x${treemap.clientHeight}` === drawnSize) return;
      const focused = treemap.contains(document.activeElement) ? document.activeElement.dataset.path : null;
      renderTreemap();
      if (focused !== null) {
        const again = [...treemap.querySelectorAll(".tm-node")].find((node) => node.dataset.path === focused);
        if (again) {
          treemap.querySelectorAll(".tm-node").forEach((node) => {
            node.tabIndex = node === again ? 0 : -1;
          });
          again.focus();
        }
      }
    }, 60);
  }).observe(treemap);

  // --- the table of gaps ---------------------------------------------------------------------

  const PRIORITY_RANK = { P0: 0, P1: 1, P2: 2, P3: 3 };

  const rows = [
    ...files
      .filter((f) => f.statements + f.branches > 0) // nothing to test in a file without statements
      .map((f) => ({
      kind: "file",
      path: f.path,
      name: "",
      label: f.path,
      tier: f.tier,
      testCode: f.test_code,
      searchPath: f.path.toLowerCase(),
      searchName: "",
      coverage: f.percent_covered,
      coverageText: f.percent_covered_display,
      missing: f.gap,
      missingTitle: `${f.missing_statements} statements and ${f.missing_branches} branches missing`,
      impact: f.impact,
      impactText: f.impact_display,
      risk: null,
      riskText: "",
      priority: null,
      effort: null,
    })),
    ...functions.map((f) => ({
      kind: "function",
      path: f.path,
      name: f.name,
      label: f.display_name,
      searchPath: f.path.toLowerCase(),
      searchName: f.name.toLowerCase(),
      coverage: f.percent_covered,
      coverageText: f.percent_covered_display,
      missing: f.gap,
      missingTitle: `${f.missing_statements} statements and ${f.missing_branches} branches missing; lines ${f.missing_ranges || "none"}`,
      impact: f.impact,
      impactText: f.impact_display,
      risk: f.risk_score,
      riskText: f.risk_level || "",
      priority: f.priority,
      effort: f.effort,
      start: f.start_line,
    })),
  ];

  const SORTS = {
    name: { natural: 1, value: (r) => r.label.toLowerCase() },
    coverage: { natural: 1, value: (r) => r.coverage },
    missing: { natural: -1, value: (r) => r.missing },
    impact: { natural: -1, value: (r) => r.impact },
    risk: { natural: -1, value: (r) => r.risk },
    priority: { natural: 1, value: (r) => (r.priority == null ? null : PRIORITY_RANK[r.priority] ?? 9) },
    effort: { natural: -1, value: (r) => r.effort },
  };

  const state = { filter: "", kind: "all", sort: "impact", direction: -1, shown: PAGE, matched: [] };
  const gapsFilter = byId("gaps-filter");
  const gapsKind = byId("gaps-kind");
  const gapsCount = byId("gaps-count");
  const gapsMore = byId("gaps-more");
  const tbody = document.querySelector("#gaps-table tbody");
  const headers = [...document.querySelectorAll("#gaps-table thead button[data-sort]")];

  function compare(a, b) {
    const sort = SORTS[state.sort];
    const x = sort.value(a);
    const y = sort.value(b);
    if (x !== y) {
      if (x === null || x === undefined) return 1; // empty cells last, either way
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * state.direction;
    }
    if (a.impact !== b.impact) return b.impact - a.impact;
    if (a.path !== b.path) return a.path < b.path ? -1 : 1;
    if (a.kind !== b.kind) return a.kind === "file" ? -1 : 1;
    return (a.start || 0) - (b.start || 0);
  }

  function cell(col, text, value, extra) {
    return h("td", { "data-col": col, "data-value": value ?? "", class: extra?.class, title: extra?.title }, extra?.content || text);
  }

  function tableRow(row) {
    const isFile = row.kind === "file";
    const name = isFile
      ? cell("name", row.label, row.label, {
          class: "col-name",
          title: `tier: ${row.tier}${row.testCode ? "; test code: run by the suite, never planned" : ""}`,
          content: row.testCode ? [row.label, h("span", { class: "row-path", text: " test code" })] : null,
        })
      : cell("name", null, row.label, {
          class: "col-name",
          content: [
            h("button", { type: "button", class: "open-function link", text: row.label, onclick: (event) => openFunction(row.path, row.name, event.currentTarget) }),
            h("span", { class: "row-path", text: row.path }),
          ],
        });
    const bar = h("span", { class: "minibar", "aria-hidden": "true" });
    bar.style.setProperty("--pct", String(row.coverage));
    bar.style.setProperty("--h", String(hue(row.coverage)));
    return h(
      "tr",
      { "data-kind": row.kind, "data-path": row.path, "data-name": row.name, class: isFile ? `row-file tier-${row.tier}` : "row-function" },
      name,
      cell("coverage", null, row.coverage, { class: "num", content: [row.coverageText, bar] }),
      cell("missing", String(row.missing), row.missing, { class: "num", title: row.missingTitle }),
      cell("impact", row.impactText, row.impact, { class: "num" }),
      cell("risk", row.riskText, row.risk, { class: row.riskText ? `risk risk-${row.riskText}` : "risk" }),
      cell("priority", row.priority || "", row.priority == null ? null : PRIORITY_RANK[row.priority], { class: row.priority ? `prio prio-${row.priority}` : "prio" }),
      cell("effort", row.effort == null ? "" : String(row.effort), row.effort, { class: "num" })
    );
  }

  /** Does the row match the search text: its path or its function name holds it (any case);
   * a file's exact path (as a treemap click sets it) matches that file's rows only. */
  function matcher(text) {
    const exact = text.trim();
    if (fileByPath.has(exact)) return (row) => row.path === exact;
    const needle = exact.toLowerCase();
    return (row) => !needle || row.searchPath.includes(needle) || row.searchName.includes(needle);
  }

  function updateTable() {
    const matches = matcher(state.filter);
    state.matched = rows.filter((row) => (state.kind === "all" || row.kind === state.kind) && matches(row));
    state.matched.sort(compare);
    state.shown = PAGE;
    for (const button of headers) {
      const active = button.dataset.sort === state.sort;
      button.parentElement.setAttribute("aria-sort", active ? (state.direction > 0 ? "ascending" : "descending") : "none");
    }
    tbody.replaceChildren(...state.matched.slice(0, state.shown).map(tableRow));
    showCount();
  }

  function showMore() {
    const next = state.matched.slice(state.shown, state.shown + PAGE);
    if (!next.length) return;
    state.shown += next.length;
    const added = next.map(tableRow);
    const focused = document.activeElement === gapsMore;
    tbody.append(...added);
    showCount();
    if (gapsMore.hidden && focused) {
      // The button went away under the focus: on to the first row it added.
      (added[0].querySelector("button") || gapsFilter).focus();
    }
  }

  function showCount() {
    const total = state.matched.length;
    const shown = Math.min(state.shown, total);
    gapsCount.dataset.count = String(total);
    gapsCount.textContent = total === 0 ? "No rows match." : `${plural(total, "row")} match${total === 1 ? "es" : ""}${shown < total ? `; showing the first ${shown.toLocaleString("en")}` : ""}.`;
    gapsMore.hidden = shown >= total;
  }

  gapsFilter.addEventListener("input", () => {
    state.filter = gapsFilter.value;
    updateTable();
  });
  gapsKind.addEventListener("change", () => {
    state.kind = gapsKind.value;
    updateTable();
  });
  for (const button of headers) {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      state.direction = key === state.sort ? -state.direction : SORTS[key].natural;
      state.sort = key;
      updateTable();
    });
  }
  // Rows come in pages at the reader's request only: rows that appear by themselves while
  // scrolling would move what is being read (and what a click was aimed at).
  gapsMore.addEventListener("click", showMore);

  // --- the function view ----------------------------------------------------------------------

  const dialog = byId("function-view");
  let opener = null;

  function stat(term, value) {
    return value === null || value === undefined || value === "" ? [] : [h("div", {}, h("dt", { text: term }), h("dd", { text: value }))];
  }

  function renderSource(fn, container) {
    const source = DATA.sources ? DATA.sources[fn.path] : undefined;
    if (!source || source.error) {
      const why = source?.error || "this page holds the source of the functions the plan lists and of the largest gaps, read from the project folder when the report was written";
      container.replaceChildren(h("p", { class: "src-missing", text: `source not found: ${why}.` }));
      return;
    }
    const missing = new Set(source.missing);
    const partial = new Set(source.partial);
    const lines = [];
    let previous = null;
    for (const [first, texts] of source.hunks) {
      texts.forEach((text, i) => {
        const number = first + i;
        if (number < fn.start_line || number > fn.end_line) return;
        if (previous !== null && number !== previous + 1) lines.push(h("div", { class: "src-gap", text: `⋯ lines ${previous + 1}–${number - 1} not shown` }));
        const cls = missing.has(number) ? " missing" : partial.has(number) ? " partial" : "";
        lines.push(
          h(
            "div",
            { class: `src-line${cls}`, "data-line": number },
            text // the line number is drawn by CSS from data-line, so the text is the line's

          )
        );
        previous = number;
      });
    }
    if (!lines.length) {
      container.replaceChildren(h("p", { class: "src-missing", text: "source not found: this page holds the source of the functions the plan lists and of the largest gaps only." }));
      return;
    }
    container.replaceChildren(...lines);
  }

  function renderAdvice(detail, container) {
    const advice = detail?.advice;
    if (!advice) {
      container.replaceChildren(h("p", { class: "muted", text: detail ? "No tests suggested: the source could not be analysed." : "Tests are suggested for the functions the plan lists; see plan.md." }));
      return;
    }
    const parts = [
      h("p", { class: "test-file" }, "Tests go in ", h("code", { text: advice.test_file }), ` (${advice.test_file_reason}).`, advice.runner ? [" ", ...rich(advice.runner)] : []),
      advice.existing ? h("p", { class: "existing" }, h("strong", { text: "Existing tests: " }), ...rich(advice.existing.text), ".") : null,
      advice.harness && advice.harness.kind !== "async" ? h("p", { class: "harness" }, ...rich(advice.harness.text), ".") : null,
      h(
        "ul",
        { class: "tests" },
        advice.suggestions.map((s) =>
          h("li", { class: "test" }, s.test_name ? h("code", { class: "test-name", text: s.test_name }) : null, h("span", { class: "test-text" }, ...rich(s.text)), s.line ? h("span", { class: "muted", text: ` (line ${s.line})` }) : null)
        )
      ),
    ];
    if (advice.isolation.length) {
      parts.push(
        h(
          "ul",
          { class: "isolation" },
          advice.isolation.map((d) => h("li", {}, `Isolate ${d.dependency} (`, d.via.map((via, i) => [i ? ", " : "", h("code", { text: via })]), ") with ", h("strong", { text: d.fake }), ": ", ...rich(d.how), d.inject ? ["; ", ...rich(d.inject)] : [], "."))
        )
      );
    }
    container.replaceChildren(...parts.filter(Boolean));
  }

  function openFunction(path, name, from) {
    const fn = functionByKey.get(keyOf(path, name));
    if (!fn) return;
    const detail = details.get(keyOf(path, name));
    opener = from || null;
    byId("function-title").textContent = fn.display_name;
    byId("function-where").textContent = `${fn.path}, lines ${fn.start_line}–${fn.end_line}`;
    byId("function-stats").replaceChildren(
      ...stat("Coverage", `${fn.percent_covered_display}%`),
      ...stat("Missing", `${plural(fn.missing_statements, "statement")}, ${plural(fn.missing_branches, "branch", "branches")}`),
      ...stat("Missing lines", fn.missing_ranges),
      ...stat("Impact", `+${fn.impact_display} points`),
      ...stat("Priority", fn.priority),
      ...stat("Risk", detail?.risk ? `${detail.risk.level} (${detail.risk.score})` : fn.risk_level),
      ...stat("Complexity", detail?.complexity),
      ...stat("Tests (est.)", fn.effort),
      ...stat("Phase", detail?.phase)
    );
    const source = byId("function-source");
    renderSource(fn, source);
    const branches = byId("function-branches");
    branches.replaceChildren(...fn.missing_branch_arcs.map((arc) => h("li", { class: "arc", text: arc.replace("->", " → ") })));
    if (!fn.missing_branch_arcs.length) branches.append(h("li", { class: "muted none", text: "None." }));
    const risk = byId("function-risk");
    const factors = detail?.risk?.factors || [];
    risk.replaceChildren(
      ...factors.map((f) =>
        h("li", { class: `factor${f.score ? "" : " muted"}`, "data-factor": f.name }, h("strong", { text: f.name }), ": ", ...rich(f.reason), h("span", { class: "muted", text: ` (score ${f.score}, weight ${f.weight})` }))
      )
    );
    if (!factors.length) risk.append(h("li", { class: "muted none", text: detail ? "Risk was not assessed." : "Risk is shown for the functions the plan lists." }));
    renderAdvice(detail, byId("function-tests"));
    if (!dialog.open) dialog.showModal();
    byId("function-close").focus();
    const first = source.querySelector(".src-line.missing, .src-line.partial");
    source.scrollTop = first ? Math.max(0, first.offsetTop - source.offsetTop - 48) : 0;
  }

  byId("function-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });
  dialog.addEventListener("click", (event) => {
    if (event.target !== dialog) return;
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) dialog.close(); // a click on the backdrop
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && dialog.open) {
      event.preventDefault();
      dialog.close();
    }
  });

  // --- audit, health, trend, notes ---------------------------------------------------------------

  function renderAudit() {
    const body = byId("audit-body");
    const audit = DATA.audit;
    if (!body || !audit) return;
    const counts = ["high", "medium", "low", "info"].filter((s) => audit.counts[s]).map((s) => `${audit.counts[s]} ${s}`);
    append(body, [
      h("p", { class: "audit-score" }, "Score ", h("strong", { text: audit.score.display }), counts.length ? ` · findings: ${counts.join(", ")}` : " · no findings"),
      h(
        "ul",
        { class: "areas" },
        audit.areas.map((area) => h("li", { class: "area", title: area.unmeasured || null }, h("span", { text: area.label }), h("strong", { text: area.display })))
      ),
      ...audit.findings.map((f) =>
        h(
          "article",
          { class: "finding", "data-severity": f.severity, "data-rule": f.rule },
          h("header", {}, h("span", { class: `severity severity-${f.severity}`, text: f.severity }), h("h3", { class: "finding-title", text: f.title }), f.where_display ? h("code", { class: "where", text: f.where_display }) : null),
          f.evidence.length
            ? h(
                "ul",
                { class: "evidence" },
                f.evidence.map((e) => h("li", {}, h("code", { text: e.line ? `${e.path}:${e.line}` : e.path }), e.text ? [" ", h("span", { text: e.text })] : [])),
                f.evidence_total > f.evidence.length ? h("li", { class: "muted", text: `…and ${f.evidence_total - f.evidence.length} more in plan.json` }) : null
              )
            : null,
          h("p", { class: "why" }, ...rich(f.why)),
          f.fix ? [h("p", { class: "fix-label" }, "Fix", f.fix_path ? [" in ", h("code", { text: f.fix_path })] : [], ` (${f.points_display} points):`), h("pre", { class: "fix" }, h("code", { text: f.fix }))] : []
        )
      ),
    ]);
    for (const note of audit.notes || []) body.append(h("p", { class: "muted" }, ...rich(note)));
  }

  function testTable(tests, withMessage) {
    return h(
      "table",
      { class: "tests-table" },
      h("thead", {}, h("tr", {}, h("th", { scope: "col", text: "Test" }), h("th", { scope: "col", text: withMessage ? "Phase" : "Seconds" }), withMessage ? h("th", { scope: "col", text: "First line of the error" }) : null)),
      h(
        "tbody",
        {},
        tests.map((t) =>
          h("tr", {}, h("td", {}, h("code", { class: "nodeid", text: t.nodeid })), h("td", { class: withMessage ? "" : "num", text: withMessage ? t.phase : String(t.duration) }), withMessage ? h("td", { class: "message", text: t.message }) : null)
        )
      )
    );
  }

  function renderHealth() {
    const body = byId("health-body");
    const health = DATA.health;
    if (!body || !health) return;
    const c = health.counts;
    const source = health.source === "junit-xml" ? "pytest's JUnit XML" : "pytest's test reports, as covgap's plugin logged them during the run";
    append(body, [
      health.stopped ? h("p", { class: "stopped" }, h("strong", { text: `The run was stopped: ${health.stopped}.` }), " The coverage written until then is analysed.") : null,
      h("p", {}, `${c.total} tests ran in ${health.seconds} s of test time (from ${source}).`),
      h(
        "dl",
        { class: "counts" },
        [
          ["passed", "Passed"],
          ["failed", "Failed"],
          ["error", "Errors"],
          ["skipped", "Skipped"],
          ["xfailed", "xfail"],
          ["xpassed", "xpass"],
        ].map(([key, label]) => h("div", { class: `count-${key}${c[key] ? " nonzero" : ""}` }, h("dt", { text: label }), h("dd", { text: String(c[key]) })))
      ),
      health.groups.length ? h("h3", { text: "Failures by cause" }) : null,
      health.groups.map((g) =>
        h(
          "div",
          { class: "health-group", "data-cause": g.cause },
          h("h4", { text: `${g.cause} (${g.count})` }),
          h("p", {}, ...rich(g.advice)),
          h("div", { class: "table-wrap" }, testTable(g.tests, true)),
          g.count > g.tests.length ? h("p", { class: "muted", text: `…and ${g.count - g.tests.length} more in plan.json.` }) : null
        )
      ),
      health.slowest.length ? [h("h3", { text: "Slowest tests" }), h("div", { class: "table-wrap slowest" }, testTable(health.slowest, false))] : null
    ]);
  }

  function renderTrend() {
    const svg = byId("trend-chart");
    const trend = DATA.trend;
    if (!svg || !trend) return;
    const ns = svg.namespaceURI;
    const s = (tag, attrs, ...children) => {
      const node = document.createElementNS(ns, tag);
      for (const [key, value] of Object.entries(attrs)) if (key === "text") node.textContent = value;
      else node.setAttribute(key, String(value));
      for (const child of children) if (child) node.append(child);
      return node;
    };
    const snapshots = trend.snapshots;
    const values = snapshots.map((snap) => snap.percent).concat([DATA.plan.target]);
    let low = Math.max(0, Math.floor(Math.min(...values) / 10) * 10);
    let high = Math.min(100, Math.ceil(Math.max(...values) / 10) * 10);
    if (high - low < 10) [low, high] = low >= 10 ? [low - 10, high] : [low, high + 10];
    const [left, right, top, bottom] = [44, 628, 14, 196];
    const x = (i) => (snapshots.length === 1 ? (left + right) / 2 : left + ((right - left) * i) / (snapshots.length - 1));
    const y = (percent) => bottom - ((bottom - top) * (percent - low)) / (high - low || 1);
    const grid = [];
    for (let tick = Math.ceil(low / 10) * 10; tick <= high; tick += 10) {
      grid.push(s("line", { class: "grid", x1: left, x2: right, y1: y(tick), y2: y(tick) }), s("text", { class: "tick", x: left - 6, y: y(tick) + 4, "text-anchor": "end", text: `${tick}%` }));
    }
    const target = DATA.plan.target;
    const line = snapshots.map((snap, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(snap.percent).toFixed(1)}`).join(" ");
    svg.append(
      ...grid,
      s("line", { class: "target", x1: left, x2: right, y1: y(target), y2: y(target) }),
      s("text", { class: "tick target-label", x: right, y: y(target) - 4, "text-anchor": "end", text: `target ${DATA.plan.target_display}%` }),
      s("path", { class: "trend-line", d: line }),
      ...snapshots.map((snap, i) => {
        const when = `#${snap.id} ${snap.recorded_at}${snap.commit ? ` ${snap.commit.slice(0, 10)}` : ""}`;
        const text = `${when}: ${snap.percent_display}%${snap.delta ? ` — ${snap.delta.text}` : ""}`;
        return s("circle", { class: `point${snap.delta?.flagged ? " flagged" : ""}`, cx: x(i), cy: y(snap.percent), r: 4.5, "data-percent": snap.percent_display, "data-id": snap.id }, s("title", { text }));
      })
    );
    byId("trend-list").replaceChildren(
      ...snapshots.map((snap) =>
        h(
          "li",
          { class: `snapshot${snap.delta?.flagged ? " flagged" : ""}`, "data-id": snap.id },
          h("span", { class: "snap-head" }, h("strong", { text: `${snap.percent_display}%` }), ` · #${snap.id} · ${snap.recorded_at}`, snap.commit ? [" · ", h("code", { text: snap.commit.slice(0, 10) + (snap.dirty ? "+" : "") })] : [], snap.branch ? ` · ${snap.branch}` : ""),
          snap.delta ? h("span", { class: "delta", text: snap.delta.text }) : null
        )
      )
    );
  }

  function renderNotes() {
    const list = byId("notes-list");
    if (!list) return;
    const notes = [...(DATA.plan.phases.length ? DATA.plan.notes : []), ...(DATA.risk?.notes || []), ...(DATA.run?.notes || []), ...DATA.notes];
    list.replaceChildren(...notes.map((note) => h("li", {}, ...rich(note))));
  }

  // --- start ----------------------------------------------------------------------------------

  renderProgress();
  renderTreemap();
  if (tree.empty) treemap.after(h("p", { class: "hint", text: `${plural(tree.empty, "file")} without statements (in the whole project) not drawn.` }));
  updateTable();
  renderAudit();
  renderHealth();
  renderTrend();
  renderNotes();
  root.dataset.ready = "1";
})();
