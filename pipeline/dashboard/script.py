"""The dashboard's inline script: reads the filters from the page's `location.hash` (`#from=YYYY-MM-DD&to=...
&agent=NAME&version=V`, so a filtered view is a link), re-aggregates the embedded per-day rows for them and redraws
every chart with `Plotly.react` and every table. Rates are sums of numerators over sums of denominators; latency
percentiles stay per day. Text from the warehouse is set as text nodes, never as HTML.
"""

SCRIPT = r"""
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("dashboard-data").textContent);
  const $ = (id) => document.getElementById(id);
  const sum = (rows, key) => rows.reduce((total, r) => total + (r[key] || 0), 0);
  const ratio = (num, den) => (den ? num / den : null);
  const pct = (v) => (v === null ? "–" : (100 * v).toFixed(1) + " %");
  const usd = (v) => (v === null || v === undefined ? "–" : "$" + v.toFixed(4));
  const secs = (v) => (v === null || v === undefined ? "–" : v.toFixed(1) + " s");
  const COLORS = {hot: "#e45756", warm: "#f58518", cold: "#72b7b2", land: "#4c78a8", processing: "#54a24b",
                  alert: "#e45756", sync: "#b279a2"};

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    for (const child of children) node.append(child instanceof Node ? child : String(child));
    return node;
  }

  const choices = [{agent: "", version: "", label: "All agents"}];
  for (const name of [...new Set(D.agents.map((a) => a.agent_name))]) {
    choices.push({agent: name, version: "", label: name + " (all versions)"});
    for (const a of D.agents.filter((a) => a.agent_name === name)) {
      choices.push({agent: name, version: a.agent_version, label: name + " " + a.agent_version});
    }
  }
  choices.forEach((c, i) => $("filter-agent").append(el("option", {value: String(i)}, c.label)));
  for (const id of ["filter-from", "filter-to"]) { $(id).min = D.first || ""; $(id).max = D.last || ""; }

  function readHash() {
    const p = new URLSearchParams(location.hash.slice(1));
    const day = (v, fallback) => (/^\d{4}-\d{2}-\d{2}$/.test(v || "") ? v : fallback);
    $("filter-from").value = day(p.get("from"), D.first || "");
    $("filter-to").value = day(p.get("to"), D.last || "");
    const agent = p.get("agent") || "", version = p.get("version") || "";
    const index = choices.findIndex((c) => c.agent === agent && c.version === version);
    $("filter-agent").value = String(Math.max(index, 0));
  }

  function state() {
    const choice = choices[Number($("filter-agent").value)] || choices[0];
    return {from: $("filter-from").value || D.first, to: $("filter-to").value || D.last, ...choice};
  }

  function onChange() {
    const s = state();
    const p = new URLSearchParams({from: s.from, to: s.to});
    if (s.agent) p.set("agent", s.agent);
    if (s.version) p.set("version", s.version);
    if (location.hash === "#" + p) render(); else location.hash = p.toString();  // hashchange renders
  }

  const BASE = {paper_bgcolor: "#fff", plot_bgcolor: "#fff", height: 340, margin: {l: 50, r: 20, t: 50, b: 40},
                legend: {orientation: "h", y: -0.2}};

  function draw(name, traces, title, opts) {
    const o = opts || {};
    const layout = Object.assign({}, BASE, {title: {text: title, x: 0.02, xanchor: "left"},  // clear of the toolbar
      xaxis: {type: o.byDay === false ? "-" : "category", automargin: true, gridcolor: "#eee"},
      yaxis: Object.assign({title: {text: o.y || ""}, automargin: true, gridcolor: "#eee"},
                           o.percent ? {tickformat: ".0%", rangemode: "tozero"} : {})}, o.layout || {});
    if (o.empty) {
      layout.xaxis.visible = false;
      layout.yaxis.visible = false;
      layout.annotations = [{text: o.empty, showarrow: false, xref: "paper", yref: "paper", x: 0.5, y: 0.5}];
    }
    Plotly.react("plot-" + name, traces, layout, {displaylogo: false, responsive: true});
  }

  function totals(rows) {
    const keys = ["calls", "hot_calls", "hot_tier", "warm_tier", "cold_tier", "meetings_booked", "total_cost_usd"];
    return Object.fromEntries(keys.map((k) => [k, sum(rows, k)]));
  }

  function kpi(id, value, text) {
    $(id).dataset.value = value === null ? "" : String(value);
    $(id).textContent = text;
  }

  function topNames(rows, kind) {
    const counts = new Map();
    for (const r of rows.filter((r) => r.kind === kind)) counts.set(r.name, (counts.get(r.name) || 0) + r.mentions);
    return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10).reverse();
  }

  function renderCharts(s, inRange, mine) {
    const calls = D.calls.filter((r) => inRange(r) && mine(r));
    const days = [...new Set(D.calls.filter(inRange).map((r) => r.session_date))].sort();
    const perDay = days.map((day) => totals(calls.filter((r) => r.session_date === day)));
    const empty = days.length ? null : "No calls in this range";
    draw("sessions", [{type: "bar", x: days, y: perDay.map((t) => t.calls), name: "calls", marker: {color: "#4c78a8"}}],
         "Sessions per day", {y: "calls", empty});
    draw("tiers", ["hot", "warm", "cold"].map((tier) => ({type: "bar", x: days, y: perDay.map((t) => t[tier + "_tier"]),
         name: tier, marker: {color: COLORS[tier]}})), "Lead tier mix",
         {y: "calls", empty, layout: {barmode: "stack"}});
    draw("hot_leads", [{type: "scatter", mode: "lines+markers", x: days, y: perDay.map((t) => t.hot_calls),
         name: "hot leads", line: {color: COLORS.hot}}], "Hot leads per day", {y: "hot leads", empty});
    draw("meeting_rate", [{type: "scatter", mode: "lines+markers", x: days,
         y: perDay.map((t) => ratio(t.meetings_booked, t.calls)), name: "meeting booked", line: {color: "#54a24b"}}],
         "Meeting-booked rate", {y: "share of calls", percent: true, empty});
    const latency = D.latency.filter(inRange);
    draw("latency", ["p50", "p95"].map((p) => ({type: "scatter", mode: "lines+markers", name: p,
         x: latency.map((r) => r.session_date), y: latency.map((r) => r["e2e_latency_" + p])})),
         "End-to-end reply latency", {y: "seconds", empty: latency.length ? null : "No calls in this range"});
    draw("cost_per_call", [{type: "scatter", mode: "lines+markers", x: days, name: "cost per call",
         y: perDay.map((t) => ratio(t.total_cost_usd, t.calls)), line: {color: "#b279a2"}}], "Cost per call",
         {y: "USD", empty});
    const mentions = D.mentions.filter(inRange);
    for (const [kind, key, title] of [["integration", "integrations", "Top integrations mentioned"],
                                      ["competitor", "competitors", "Top competitors mentioned"]]) {
      const top = topNames(mentions, kind);
      draw(key, [{type: "bar", orientation: "h", x: top.map((t) => t[1]), y: top.map((t) => t[0]),
           marker: {color: "#4c78a8"}}], title, {byDay: false, empty: top.length ? null : "No mentions in this range"});
    }
    const versions = D.versions.filter((v) => !s.agent || v.agent_name === s.agent);
    draw("versions", [{type: "bar", x: versions.map((v) => v.agent_name + " " + v.agent_version),
         y: versions.map((v) => v.meeting_rate), textposition: "outside",
         marker: {color: versions.map((v) => (s.version && v.agent_version !== s.version ? "#b5d7ae" : "#54a24b"))},
         error_y: {type: "data", symmetric: false, array: versions.map((v) => v.meeting_rate_high - v.meeting_rate),
                   arrayminus: versions.map((v) => v.meeting_rate - v.meeting_rate_low)},
         text: versions.map((v) => v.meeting_rate_vs_baseline + " · " + v.calls + " calls")}],
         "Meeting rate by agent version (95 % CI)", {y: "share of calls", percent: true, byDay: false,
         empty: versions.length ? null : "No agent version compared yet"});
    const fields = new Map();
    for (const r of D.disagreement.filter(inRange)) {
      const f = fields.get(r.field) || {compared: 0, disagreements: 0};
      fields.set(r.field, {compared: f.compared + r.calls_compared, disagreements: f.disagreements + r.disagreements});
    }
    const names = [...fields.keys()].sort();
    const share = (n) => ratio(fields.get(n).disagreements, fields.get(n).compared);
    draw("disagreement", [{type: "bar", x: names, y: names.map(share),
         text: names.map((n) => fields.get(n).compared + " calls"), marker: {color: COLORS.hot}}],
         "Rules vs LLM disagreement per signal", {y: "share of calls", percent: true, byDay: false,
         empty: names.length ? null : "No LLM answers in this range"});
    const t = totals(calls);
    kpi("kpi-calls", t.calls, String(t.calls));
    kpi("kpi-hot", t.hot_calls, String(t.hot_calls));
    kpi("kpi-meeting-rate", ratio(t.meetings_booked, t.calls), pct(ratio(t.meetings_booked, t.calls)));
    kpi("kpi-cost-per-call", ratio(t.total_cost_usd, t.calls), usd(ratio(t.total_cost_usd, t.calls)));
  }

  function renderLeads(inRange, mine) {
    const leads = D.leads.filter((r) => inRange(r) && mine(r)).slice(0, D.shown);
    if (!leads.length) {
      $("leads").replaceChildren(el("p", {class: "muted"}, "No hot leads for this filter."));
      return;
    }
    const head = ["Day", "Agent", "Company", "Score", "Tier", "Reasons", "Summary", "Evidence", "Next step", "Meeting",
                  "Calls from lead"].map((h) => el("th", {}, h));
    const rows = leads.map((r) => el("tr", {},
      el("td", {}, r.session_date), el("td", {}, r.agent_name + " " + r.agent_version),
      el("td", {}, r.company || "—"),
      el("td", {}, r.lead_score), el("td", {}, r.lead_tier),
      el("td", {class: "reasons"}, el("ul", {}, ...r.reasons.map((reason) => el("li", {}, reason)))),
      r.summary ? el("td", {class: "summary"}, r.summary)
                : el("td", {class: "summary muted"}, "No LLM summary (scored by the rules)"),
      el("td", {class: "evidence"}, el("ul", {}, ...r.evidence.map((e) =>
        el("li", {}, e.field + ": " + e.value + " — ", el("q", {}, e.quote))))),
      el("td", {}, r.next_step || ""), el("td", {}, r.meeting_booked ? "yes" : "no"),
      el("td", {}, r.lead_calls || 1)));
    $("leads").replaceChildren(el("table", {id: "hot-leads"}, el("thead", {}, el("tr", {}, ...head)),
                                  el("tbody", {}, ...rows)));
  }

  function renderHealth(inRange) {
    const days = D.health.days.filter(inRange);
    const targets = D.health.targets;
    const stages = ["land", "processing", "alert", "sync"];
    const x = days.map((d) => d.session_date);
    const traces = stages.map((st) => ({type: "scatter", mode: "lines+markers", name: st + " p95", x,
                                        y: days.map((d) => d[st + "_p95_s"]), line: {color: COLORS[st]}}));
    for (const st of stages.filter((st) => (st + "_p95_s") in targets)) {
      traces.push({type: "scatter", mode: "lines", name: st + " target", x, y: x.map(() => targets[st + "_p95_s"]),
                   line: {color: COLORS[st], dash: "dash", width: 1}});
    }
    draw("health_latency", traces, "Call end to landed, scored, alerted, synced (p95)",
         {y: "seconds", empty: days.length ? null : "No health figures in this range"});
    const breaches = days.flatMap((d) => Object.values(d.breaches).map((b) => d.session_date + ": " + b));
    $("health-breaches").replaceChildren(breaches.length
      ? el("ul", {}, ...breaches.map((b) => el("li", {class: "breach"}, b)))
      : el("p", {class: days.length ? "ok" : "muted"}, days.length ? "No target breached in this range."
                                                                    : "No health figures in this range."));
    if (!days.length) { $("health").replaceChildren(); return; }
    const columns = [["session_date", "Day", String], ["sessions", "Calls", String],
      ["rejected_share", "Rejected", pct], ["error_rate", "Error rate", pct], ["llm_failures", "LLM failures", String],
      ["llm_retries", "LLM retries", String], ["destination_failures", "Destination failures", String],
      ...stages.map((st) => [st + "_p95_s", st + " p95", secs]), ["cost_per_session_usd", "Cost per call", usd]];
    const cell = (d, [key, , format]) => (key in d.breaches
      ? el("td", {class: "breach", title: d.breaches[key]}, format(d[key])) : el("td", {}, format(d[key])));
    $("health").replaceChildren(el("table", {id: "health-days"},
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", {}, c[1])))),
      el("tbody", {}, ...days.map((d) => el("tr", {}, ...columns.map((c) => cell(d, c)))))));
  }

  function render() {
    const s = state();
    const inRange = (r) => r.session_date >= s.from && r.session_date <= s.to;
    const mine = (r) => (!s.agent || r.agent_name === s.agent) && (!s.version || r.agent_version === s.version);
    $("filter-summary").textContent = s.from + " to " + s.to + " · " + (choices.find((c) =>
      c.agent === s.agent && c.version === s.version) || choices[0]).label;
    document.querySelectorAll("[data-not-per-agent]").forEach((e) => e.classList.toggle("warn", Boolean(s.agent)));
    renderCharts(s, inRange, mine);
    renderLeads(inRange, mine);
    renderHealth(inRange);
  }

  for (const id of ["filter-from", "filter-to", "filter-agent"]) $(id).addEventListener("change", onChange);
  $("filter-reset").addEventListener("click", () => { location.hash = ""; });
  window.addEventListener("hashchange", () => { readHash(); render(); });
  readHash();
  render();
})();
"""
