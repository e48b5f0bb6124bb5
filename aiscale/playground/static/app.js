// The aiscale playground page. It builds itself from /api/config (the controls and
// charts tables of aiscale/playground/controls.py), keeps its settings in the address,
// and draws each setting twice: a preview (RK4) as soon as a slider is released, then
// the exact run (RK45, what `aiscale run --scenario FILE` computes).
"use strict";
(() => {
  const STEPS = 1000;           // slider positions
  const EXACT_DELAY_MS = 150;   // quiet time after a preview before the exact run is asked for
  const MEMBERS = 1000;

  const page = {config: null, state: {scenario: "baseline", until: 2060, values: {}, starts: {}},
                charts: {}, fans: {}, seq: 0, busy: false, phase: null, responses: {}, timings: [],
                ensembleQuery: null};
  window.aiscalePlayground = page;  // for the browser test and the curious

  // ------------------------------------------------------------------ helpers
  const $ = (sel) => document.querySelector(sel);
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  }
  function fmt(v) {
    if (v == null || !Number.isFinite(v)) return "–";
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e5 || a < 1e-3) return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
    return String(+v.toPrecision(3));
  }
  const round3 = (v) => (v === 0 ? 0 : +v.toPrecision(3));
  const humane = (name) => name.replace(/_/g, " ");
  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

  const GONE = {error: "the playground's server does not answer: is aiscale playground still running?",
                control: null};
  async function post(path, body) {
    try {
      const response = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json"},
                                          body: JSON.stringify(body)});
      return await response.json();
    } catch (e) {
      return GONE;
    }
  }

  // ------------------------------------------------------------------ settings <-> address
  function readAddress() {
    const q = new URLSearchParams(location.search);
    const s = page.state;
    s.scenario = q.get("scenario") || page.config.first;
    if (!page.config.scenarios.some((x) => x.key === s.scenario)) s.scenario = page.config.first;
    s.until = Number(q.get("until") || 2060);
    for (const [key, text] of q.entries()) {
      if (key === "scenario" || key === "until") continue;
      const at = text.lastIndexOf("@");
      if (at >= 0) { s.values[key] = text.slice(0, at); s.starts[key] = Number(text.slice(at + 1)); }
      else s.values[key] = text;
    }
  }
  function query() {
    const s = page.state;
    const parts = [["scenario", s.scenario], ["until", String(s.until)]];
    for (const [name, text] of Object.entries(s.values))
      parts.push([name, name in s.starts ? `${text}@${s.starts[name]}` : text]);
    return parts.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%40/g, "@")}`).join("&");
  }
  function payload(extra) {
    const s = page.state;
    return {scenario: s.scenario, until: s.until, values: s.values, starts: s.starts, ...extra};
  }
  const scenarioInfo = () => page.config.scenarios.find((x) => x.key === page.state.scenario);

  // ------------------------------------------------------------------ controls
  function position(c, v) {
    const f = c.log ? Math.log(v / c.low) / Math.log(c.high / c.low) : (v - c.low) / (c.high - c.low);
    return Math.round(Math.min(1, Math.max(0, f)) * STEPS);
  }
  function valueAt(c, p) {
    const f = p / STEPS;
    const v = c.log ? c.low * Math.pow(c.high / c.low, f) : c.low + (c.high - c.low) * f;
    return Math.min(c.high, Math.max(c.low, round3(v)));
  }

  function buildControls() {
    const aside = $("#controls");
    const groups = new Map();
    for (const c of page.config.controls) {
      if (!groups.has(c.group)) groups.set(c.group, []);
      groups.get(c.group).push(c);
    }
    for (const [group, items] of groups) {
      const box = el("details", {open: ""}, el("summary", {}, group, el("span", {class: "count"})));
      for (const c of items) box.append(buildControl(c));
      aside.append(box);
    }
  }

  function buildControl(c) {
    const tip = `${c.doc}\n${c.unit}; range [${fmt(c.low)}, ${fmt(c.high)}]${c.log ? ", log-scale slider" : ""}` +
                `\nsource: ${c.source}` + (c.lever ? "\nA policy lever: the value applies from the start year on." : "");
    const range = el("input", {type: "range", min: 0, max: STEPS, step: 1, id: `r-${c.name}`, "aria-label": c.name});
    const value = el("input", {type: "text", class: "value", id: `v-${c.name}`, spellcheck: "false",
                               "aria-label": `${c.name} value`, title: "type a value and press Enter"});
    const year = c.lever ? el("input", {type: "number", class: "year", id: `s-${c.name}`, step: 1,
                                        min: page.config.start, max: page.config.last_year,
                                        title: "the year from which the value applies"}) : null;
    const box = el("div", {class: "control", id: `c-${c.name}`, "data-name": c.name},
      el("div", {class: "top"},
        el("label", {for: `r-${c.name}`, title: tip, text: humane(c.name)}),
        el("span", {class: "unit", text: c.unit === "dimensionless" ? "" : c.unit}),
        el("button", {class: "reset", title: "back to the scenario's value", text: "↺",
                      onclick: () => resetControl(c.name)})),
      el("div", {class: "row"}, range, value, year ? el("span", {class: "from", text: "from"}) : null, year),
      el("div", {class: "error", id: `e-${c.name}`}));
    range.addEventListener("input", () => { value.value = fmt(valueAt(c, Number(range.value))); });
    range.addEventListener("change", () => commit(c.name, fmt(valueAt(c, Number(range.value)))));
    value.addEventListener("change", () => commit(c.name, value.value.trim()));
    if (year) year.addEventListener("change", () => commit(c.name, currentText(c.name)));
    return box;
  }

  const defaultsOf = () => scenarioInfo();
  function currentText(name) {
    const s = page.state;
    return name in s.values ? s.values[name] : String(defaultsOf().values[name]);
  }

  function showControl(name) {
    const c = page.config.controls.find((x) => x.name === name);
    const s = page.state, d = defaultsOf();
    const text = name in s.values ? s.values[name] : null;
    const v = text == null ? d.values[name] : Number(text);
    $(`#r-${name}`).value = Number.isFinite(v) ? position(c, v) : position(c, d.values[name]);
    $(`#v-${name}`).value = text == null ? fmt(d.values[name]) : text;
    if (c.lever) $(`#s-${name}`).value = name in s.starts ? s.starts[name] : d.starts[name];
    $(`#c-${name}`).classList.toggle("changed", text != null);
  }
  function showControls() {
    for (const c of page.config.controls) showControl(c.name);
    for (const box of document.querySelectorAll("#controls details")) {
      const n = box.querySelectorAll(".control.changed").length;
      box.querySelector(".count").textContent = n ? `(${n} changed)` : "";
    }
  }

  function commit(name, text) {
    const c = page.config.controls.find((x) => x.name === name);
    const s = page.state, d = defaultsOf();
    const start = c.lever ? Number($(`#s-${name}`).value) : null;
    const same = Number(text) === d.values[name] && text !== "" && (!c.lever || start === d.starts[name]);
    if (same) { delete s.values[name]; delete s.starts[name]; }
    else { s.values[name] = text; if (c.lever) s.starts[name] = start; }
    changed();
  }
  function resetControl(name) {
    delete page.state.values[name]; delete page.state.starts[name];
    changed();
  }

  function changed() {
    const t0 = performance.now();
    showControls();
    const q = query();
    history.replaceState(null, "", `?${q}`);
    $("#download-toml").href = `download/${page.config.file_name}?${q}`;
    $("#download-csv").href = `download/${page.config.file_name.replace(/\.toml$/, ".csv")}?${q}`;
    $("#reproduce").innerHTML = `The exact run is what <code>aiscale run --scenario ${page.config.file_name} ` +
      `--until ${page.state.until}</code> computes (the file: <em>Scenario .toml</em> above).`;
    markEnsemble();
    run(t0);
  }

  // ------------------------------------------------------------------ runs
  function showError(response) {
    for (const node of document.querySelectorAll(".control .error")) node.textContent = "";
    for (const node of document.querySelectorAll(".control.bad")) node.classList.remove("bad");
    const banner = $("#banner");
    banner.hidden = true;
    for (const a of document.querySelectorAll("a.button")) a.classList.toggle("disabled", !!response);
    if (!response) return;
    const target = response.control && document.getElementById(`e-${response.control}`);
    if (target) { target.textContent = response.error; $(`#c-${response.control}`).classList.add("bad"); }
    else { banner.textContent = response.error; banner.hidden = false; }
  }

  async function run(t0) {
    const seq = ++page.seq;
    page.busy = true;
    status("running…");
    const preview = await post("api/run", payload({exact: false}));
    if (seq !== page.seq) return;
    if (preview.error) { showError(preview); page.busy = false; status("not run: see the message"); return; }
    showError(null);
    draw(preview);
    await nextFrame();
    const previewMs = performance.now() - t0;
    page.timings.push({phase: "preview", ms: previewMs});
    status(`preview in ${previewMs.toFixed(0)} ms · exact run…`);
    await new Promise((r) => setTimeout(r, EXACT_DELAY_MS));
    if (seq !== page.seq) return;
    const t1 = performance.now();
    const exact = await post("api/run", payload({exact: true}));
    if (seq !== page.seq) return;
    if (exact.error) { if (!exact.stale) showError(exact); page.busy = false; return; }
    draw(exact);
    await nextFrame();
    const exactMs = performance.now() - t1;
    page.timings.push({phase: "exact", ms: exactMs});
    status(`preview in ${previewMs.toFixed(0)} ms · exact in ${exactMs.toFixed(0)} ms`);
    page.busy = false;
  }
  function status(text) { $("#status").textContent = text; }

  // ------------------------------------------------------------------ charts
  function alpha(hex, a) {
    const n = parseInt(hex.slice(1), 16);
    return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }
  // uPlot looks for a tick increment among these before asking for the splits; its own
  // list stops short of the 1e40 FLOP a takeoff reaches
  const LOG_INCRS = Array.from({length: 341}, (_, i) => Number(`1e${i - 40}`));
  function decadeSplits(u, axisIdx, min, max) {
    const lo = Math.ceil(Math.log10(min) - 1e-9), hi = Math.floor(Math.log10(max) + 1e-9);
    const stride = Math.max(1, Math.ceil((hi - lo + 1) / 6));
    const out = [];
    for (let k = lo; k <= hi; k += stride) out.push(Number(`1e${k}`));
    return out;
  }
  function axisFor(kind, unit, side) {
    const axis = {scale: side === 1 ? "y2" : "y", side: side === 1 ? 1 : 3, label: unit, labelSize: 16,
                  size: 62, font: "11px system-ui", labelFont: "11px system-ui", stroke: "#667085",
                  grid: {show: side !== 1, stroke: "#eef0f3"}, ticks: {stroke: "#dfe3e8"}};
    if (kind === "log" || kind === "percent-log")
      Object.assign(axis, {splits: decadeSplits, filter: (u, splits) => splits, incrs: () => LOG_INCRS});
    if (kind === "percent" || kind === "percent-log")
      axis.values = (u, splits) => splits.map((v) => (v == null ? "" : `${+(v * 100).toPrecision(3)}%`));
    else if (kind === "log") axis.values = (u, splits) => splits.map((v) => (v == null ? "" : fmt(v)));
    return axis;
  }
  function scaleFor(kind) {
    if (kind === "log" || kind === "percent-log")
      return {distr: 3, log: 10, range: (u, min, max) => (min == null || !(min > 0) ? [1, 10] :
        [Number(`1e${Math.floor(Math.log10(min))}`), Number(`1e${Math.ceil(Math.log10(max))}`)])};
    if (kind === "percent") return {range: [0, 1.02]};
    return {};
  }
  const isLog = (kind) => kind === "log" || kind === "percent-log";

  function chartSize(box) { return {width: Math.max(300, box.clientWidth - 4), height: 230}; }

  function buildCharts() {
    const holder = $("#charts");
    for (const def of page.config.charts) {
      const legend = el("div", {class: "legend"});
      const plot = el("div");
      const box = el("div", {class: "panel chart", id: `chart-${def.id}`}, el("h3", {text: def.title}), legend, plot);
      holder.append(box);
      const meta = [{role: "x"}], series = [{label: "year"}];
      const scaleKind = (s) => (s[3] === "right" ? def.right[1] : def.left[1]);
      for (const s of def.series) {
        series.push({label: `${s[1]} (reference)`, stroke: alpha(s[2], 0.33), width: 1.3, spanGaps: true,
                     scale: s[3] === "right" ? "y2" : "y", points: {show: false}});
        meta.push({role: "reference", column: s[0], log: isLog(scaleKind(s))});
      }
      for (const s of def.series) {
        series.push({label: s[1], stroke: s[2], width: def.binding ? 1.2 : 2, spanGaps: true,
                     scale: s[3] === "right" ? "y2" : "y", points: {show: false}});
        meta.push({role: "run", column: s[0], log: isLog(scaleKind(s)), label: s[1], colour: s[2]});
      }
      if (def.binding) {
        for (const [name, colour] of Object.entries(page.config.binding_colours)) {
          series.push({label: `${name} binds`, stroke: colour, width: 4.5, spanGaps: false, points: {show: false}});
          meta.push({role: "binding", column: name});
        }
      }
      if (def.history) {
        series.push({label: "record", stroke: "#111", width: 0, paths: () => null,
                     points: {show: true, size: 6, width: 1.5, stroke: "#111", fill: "#fff"}});
        meta.push({role: "history"});
      }
      const axes = [{font: "11px system-ui", stroke: "#667085", grid: {stroke: "#eef0f3"}, ticks: {stroke: "#dfe3e8"},
                     values: (u, splits) => splits.map((v) => String(v))},
                    axisFor(def.left[1], def.left[0], 3)];
      const scales = {x: {time: false}, y: scaleFor(def.left[1])};
      if (def.right) { axes.push(axisFor(def.right[1], def.right[0], 1)); scales.y2 = scaleFor(def.right[1]); }
      const opts = {...chartSize(box), series, axes, scales, legend: {show: false},
                    cursor: {points: {show: false}, drag: {x: false, y: false}},
                    hooks: {setCursor: [(u) => showValues(def.id, u.cursor.idx)]}};
      const u = new uPlot(opts, [[], ...series.slice(1).map(() => [])], plot);
      page.charts[def.id] = {u, meta, def, legend, box};
      buildLegend(def.id);
    }
    window.addEventListener("resize", () => {
      for (const c of Object.values(page.charts)) c.u.setSize(chartSize(c.box));
      for (const c of Object.values(page.fans)) c.u.setSize(chartSize(c.box));
    });
  }

  function buildLegend(id) {
    const c = page.charts[id];
    c.legend.replaceChildren(el("b", {class: "cursor-year"}));
    c.meta.forEach((m, i) => {
      if (m.role === "run")
        c.legend.append(el("span", {class: "item"}, el("i", {style: `background:${m.colour}`}), m.label, " ",
                           el("b", {"data-series": i})));
      if (m.role === "history")
        c.legend.append(el("span", {class: "item", title: "Epoch AI, Notable AI Models: the largest run of each year"},
                           el("i", {class: "dot"}), "largest of each year (Epoch AI)", " ", el("b", {"data-series": i})));
    });
    c.legend.append(el("span", {class: "faint", text: `faint: ${scenarioInfo() ? scenarioInfo().name : ""} as shipped`}));
  }

  function showValues(id, idx) {
    const c = page.charts[id];
    const data = c.u.data;
    for (const b of c.legend.querySelectorAll("b[data-series]")) {
      const k = Number(b.dataset.series);
      const v = idx == null ? null : data[k][idx];
      b.textContent = v == null ? "" : c.meta[k].role === "history" ? fmt(v) : fmt(v);
    }
    c.legend.querySelector(".cursor-year").textContent = idx == null ? "" : `${data[0][idx]}:`;
  }

  function column(runSeries, m) {
    const values = runSeries[m.column];
    return m.log ? values.map((v) => (v == null || v <= 0 ? null : v)) : values.slice();
  }

  function chartData(c, response) {
    const run = response.run, ref = response.reference;
    const refTable = [ref.time], runTable = [run.time], tables = [refTable, runTable];
    for (const m of c.meta) {
      if (m.role === "reference") refTable.push(column(ref, m));
      if (m.role === "run") runTable.push(column(run, m));
      if (m.role === "binding") {
        const largest = run.largest_training_run_flop;
        runTable.push(run.binding.map((b, i) => {
          if (m.column === "policy") return b === "policy" ? largest[i] : null;
          const ceiling = run[`max_run_flop_${m.column}`][i];
          return b === m.column && ceiling > 0 ? ceiling : null;
        }));
      }
      if (m.role === "history") {
        const h = page.config.history;
        tables.push([h.time, h.flop]);
      }
    }
    return uPlot.join(tables);
  }

  function draw(response) {
    page.responses[response.phase] = response;
    page.phase = response.phase;
    for (const [id, c] of Object.entries(page.charts)) {
      c.u.setData(chartData(c, response));
      buildLegend(id);
    }
    drawMilestones(response);
    updateFanRuns();
  }

  // the data each chart draws, by role and model output (for the browser test)
  page.chartData = () => Object.fromEntries(Object.entries(page.charts).map(([id, c]) => [id,
    c.meta.map((m, i) => ({role: m.role, column: m.column || null, log: !!m.log,
                           x: Array.from(c.u.data[0]), y: Array.from(c.u.data[i], (v) => (v === undefined ? null : v))}))
      .filter((s) => s.role !== "x")]));

  // ------------------------------------------------------------------ milestones
  function drawMilestones(response) {
    const badge = $("#phase");
    badge.textContent = response.phase === "exact" ? "exact run (RK45)" : "preview (RK4): exact run follows";
    badge.className = `badge ${response.phase}`;
    badge.title = response.settings;
    const refName = scenarioInfo().name;
    $("#milestones thead").replaceChildren(el("tr", {},
      el("th", {text: "milestone"}), el("th", {class: "num", text: "these settings"}),
      el("th", {class: "num", text: `${refName} as shipped`})));
    const refs = response.reference_milestones, byLabel = new Map(refs);
    $("#milestones tbody").replaceChildren(...response.milestones.map(([label, value], i) => {
      // rows such as "binding constraint: money -> chips" may repeat: match by position first
      const other = refs[i] && refs[i][0] === label ? refs[i][1] : byLabel.has(label) ? byLabel.get(label) : "";
      return el("tr", {class: other !== value ? "differs" : ""}, el("td", {text: label}),
                el("td", {class: "num", text: value}), el("td", {class: "num", text: other}));
    }));
  }

  // ------------------------------------------------------------------ the ensemble fan
  function markEnsemble() {
    const note = $("#ensemble-status");
    if (page.ensembleQuery && page.ensembleQuery !== query()) {
      note.textContent = "the fans are for earlier settings: run again";
      note.className = "stale";
    }
  }

  async function runEnsemble() {
    $("#run-ensemble").disabled = true;
    const started = await post("api/ensemble", payload({n: MEMBERS, seed: 0}));
    if (started.error) { showError(started); $("#run-ensemble").disabled = false; return; }
    const bar = $("#ensemble-progress"), note = $("#ensemble-status");
    bar.hidden = false; bar.max = MEMBERS; note.className = "";
    const t0 = performance.now();
    for (;;) {
      let st;
      try { st = await (await fetch("api/ensemble")).json(); } catch (e) { st = {status: "error", error: GONE.error}; }
      bar.value = st.done || 0;
      note.textContent = `${st.done || 0} / ${st.total || MEMBERS} runs`;
      if (st.status === "done") {
        page.ensembleQuery = st.query;
        drawFans(st.result);
        note.textContent = `${st.result.members} runs, ${st.result.varied} parameters varied, seed ${st.result.seed}, ` +
          `RK4 dt = 0.25 (${((performance.now() - t0) / 1000).toFixed(1)} s); ` +
          `${(100 * st.result.blowup_share).toFixed(0)}% end in a blow-up`;
        break;
      }
      if (st.status !== "running") { note.textContent = st.error || st.status; break; }
      await new Promise((r) => setTimeout(r, 250));
    }
    bar.hidden = true;
    $("#run-ensemble").disabled = false;
  }

  function drawFans(result) {
    const holder = $("#fans");
    holder.replaceChildren();
    page.fans = {};
    page.fanResult = result;
    for (const [name, title, kind] of page.config.fans) {
      const legend = el("div", {class: "legend"},
        el("span", {class: "item"}, el("i", {style: "background:rgba(32,87,199,.25);height:8px"}), "10-90% of runs"),
        el("span", {class: "item"}, el("i", {style: "background:#2057c7"}), "median"),
        el("span", {class: "item"}, el("i", {style: "background:#d62728"}), "these settings"));
      const plot = el("div");
      const box = el("div", {class: "chart"}, el("h3", {text: title}), legend, plot);
      holder.append(box);
      const series = [{}, {label: "p90", stroke: "rgba(32,87,199,.35)", width: 1, points: {show: false}},
                      {label: "p10", stroke: "rgba(32,87,199,.35)", width: 1, points: {show: false}},
                      {label: "median", stroke: "#2057c7", width: 2, points: {show: false}},
                      {label: "these settings", stroke: "#d62728", width: 1.5, spanGaps: true, points: {show: false}}];
      const opts = {...chartSize(box), height: 200, series, bands: [{series: [1, 2], fill: "rgba(32,87,199,.15)"}],
                    scales: {x: {time: false}, y: scaleFor(kind)}, legend: {show: false},
                    axes: [{font: "11px system-ui", stroke: "#667085", values: (u, s) => s.map(String)},
                           axisFor(kind, "", 3)], cursor: {points: {show: false}}};
      const u = new uPlot(opts, [[], [], [], [], []], plot);
      page.fans[name] = {u, box, kind};
    }
    $("#ensemble-table thead").replaceChildren(el("tr", {}, ...["metric", "p10", "median", "p90", "reached"].map(
      (t, i) => el("th", {class: i ? "num" : "", text: t}))));
    $("#ensemble-table tbody").replaceChildren(...result.milestones.map((row) =>
      el("tr", {}, ...row.map((v, i) => el("td", {class: i ? "num" : "", text: v})))));
    updateFanRuns();
  }

  function updateFanRuns() {
    const result = page.fanResult, response = page.responses[page.phase];
    if (!result || !response) return;
    for (const [name, fan] of Object.entries(page.fans)) {
      const pos = (values) => (isLog(fan.kind) ? values.map((v) => (v == null || v <= 0 ? null : v)) : values);
      const q = result[name];
      fan.u.setData(uPlot.join([[result.time, pos(q.p90), pos(q.p10), pos(q.p50)],
                                [response.run.time, pos(response.run[name])]]));
    }
  }

  // ------------------------------------------------------------------ start
  async function start() {
    page.config = await (await fetch("api/config")).json();
    $("#version").textContent = page.config.version;
    const select = $("#scenario");
    for (const s of page.config.scenarios)
      select.append(el("option", {value: s.key, title: s.description, text: s.name}));
    readAddress();
    select.value = page.state.scenario;
    const until = $("#until");
    until.min = page.config.start + 1; until.max = page.config.last_year; until.value = page.state.until;
    select.addEventListener("change", () => {
      page.state.scenario = select.value; page.state.values = {}; page.state.starts = {};
      $("#description").textContent = scenarioInfo().description;
      changed();
    });
    until.addEventListener("change", () => { page.state.until = Number(until.value); changed(); });
    $("#reset-all").addEventListener("click", () => { page.state.values = {}; page.state.starts = {}; changed(); });
    $("#copy-link").addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(location.href); status("link copied"); }
      catch (e) { status(location.href); }
    });
    $("#run-ensemble").addEventListener("click", runEnsemble);
    $("#description").textContent = scenarioInfo().description;
    buildControls();
    buildCharts();
    changed();
  }
  start();
})();
