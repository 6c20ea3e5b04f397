// What the dashboard and the wall share: asking the API (summary, unit table, trend) for the
// current filters, drawing the cards, the charts with their tables, and the live channel.
import { api, pageStrings } from "./api.js";
import { draw, fill, shown } from "./dashboard-charts.js";

const S = pageStrings();
const LIVE = ["registered", "participation_rate", "in_progress", "completion_submitted", "incidents_per_100"];
const RESULTS = ["score_mean", "score_median", "score_sd", "pass_rate", "share_ge8", "share_le1",
  "chip_verified_rate", "time_on_test_mean"];
const BANDS = ["band_tot", "band_kha", "band_dat", "band_chua_dat"];
const GROUPS = ["urban", "suburban", "remote"];
export let definitions = {};

export async function loadDefinitions() {
  const answer = await api("/api/v1/indicators/definitions");
  if (answer.ok) for (const d of answer.data.indicators) definitions[d.code] = d;
  return definitions;
}

function lang() { return document.documentElement.lang === "en" ? "en" : "vi"; }
export function nameOf(code) { return definitions[code] ? definitions[code].name[lang()] : code; }

function card(code, entry) {
  const box = document.createElement("div");
  box.className = "dash-card card";
  box.dataset.indicator = code;
  const title = document.createElement("h3");
  title.textContent = nameOf(code);
  const value = document.createElement("p");
  value.className = "dash-value";
  value.dataset.value = "";
  const unit = definitions[code] ? definitions[code].unit : "";
  value.textContent = shown(entry) + (entry && !entry.suppressed && entry.value !== null && unit === "percent" ? " %" : "");
  box.append(title, value);
  const extra = [];
  if (entry && entry.n !== null && entry.n !== undefined) extra.push(`n = ${entry.n}`);
  if (entry && entry.change !== undefined && entry.change !== null) extra.push(`${S.change}: ${entry.change > 0 ? "+" : ""}${entry.change}`);
  if (entry && entry.group_gap !== undefined && entry.group_gap !== null) extra.push(`${S.gap}: ${entry.group_gap}`);
  if (extra.length) {
    const small = document.createElement("p");
    small.className = "muted";
    small.textContent = extra.join(" · ");
    box.appendChild(small);
  }
  return box;
}

export function query(filters, extra = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v !== "" && v !== null && v !== undefined) params.set(k, v);
  return params.toString();
}

export async function renderSummary(filters) {
  const answer = await api(`/api/v1/indicators/summary?${query(filters)}`);
  if (!answer.ok) return answer;
  const ind = answer.data.indicators;
  for (const [id, codes] of [["live-cards", LIVE], ["result-cards", RESULTS]]) {
    const box = document.getElementById(id);
    if (box) box.replaceChildren(...codes.map((c) => card(c, ind[c])));
  }
  const dist = ind.score_distribution;
  const steps = dist && !dist.suppressed && dist.value ? dist.value : [];
  draw("chart-distribution", "table-distribution", { type: "bar", labels: steps.map((s) => s.from.toFixed(2)),
    series: [{ label: S.count, data: steps.map((s) => s.count) }], header: [S.score, S.count],
    rows: steps.filter((s) => s.count).map((s) => [`${s.from.toFixed(2)}–${s.to.toFixed(2)}`, s.count]) });
  draw("chart-bands", "table-bands", { type: "bar", labels: BANDS.map(nameOf), max: 100,
    series: [{ label: "%", data: BANDS.map((c) => (ind[c] && !ind[c].suppressed ? ind[c].value : null)) }],
    header: [S.band, "%", "n"], rows: BANDS.map((c) => [nameOf(c), shown(ind[c]), ind[c] && ind[c].n !== null ? ind[c].n : "—"]) });
  const mean = ind.score_mean ? ind.score_mean.groups : [];
  const pass = ind.pass_rate ? ind.pass_rate.groups : [];
  draw("chart-groups", "table-groups", { type: "bar", labels: GROUPS.map((g) => S[g]),
    series: [{ label: nameOf("score_mean"), data: mean.map((g) => (g.suppressed ? null : g.value)) }],
    header: [S.group, nameOf("score_mean"), nameOf("pass_rate")],
    rows: GROUPS.map((g, i) => [S[g], shown(mean[i]), shown(pass[i])]) });
  return answer;
}

export async function renderTrend(filters, code) {
  const { exam_id: _exam, ...rest } = filters;   // a trend runs across the exams of the other filters
  const answer = await api(`/api/v1/indicators/trend?${query(rest, { code })}`);
  if (!answer.ok) return;
  const points = answer.data.points;
  draw("chart-trend", "table-trend", { type: "line", labels: points.map((p) => p.title),
    series: [{ label: nameOf(code), data: points.map((p) => (p.suppressed ? null : p.value)) }],
    header: [S.exam, nameOf(code), "n"], rows: points.map((p) => [p.title, shown(p), p.n === null ? "—" : p.n]) });
}

export async function renderUnits(filters, code, onDrill) {
  const answer = await api(`/api/v1/indicators?${query(filters, { code, by: "children" })}`);
  const table = document.getElementById("table-units");
  if (!answer.ok || !table) return answer;
  const rows = answer.data.rows.map((r) => {
    let label = r.unit.name;
    if (onDrill) {
      label = document.createElement("button");
      label.type = "button";
      label.className = "link-button";
      label.textContent = r.unit.name;
      label.dataset.unit = r.unit.id;
      label.addEventListener("click", () => onDrill(r.unit));
    }
    const value = Array.isArray(r.value) ? r.value.reduce((a, s) => a + s.count, 0) : shown(r);
    return [label, r.unit.kind, value, r.n === null ? "—" : r.n];
  });
  fill(table, [S.unit, "", nameOf(code), S.candidates], rows);
  return answer;
}

/** The live channel: calls onChange(examIds) after any commit that changed indicator cells. */
export function live(onChange) {
  const dot = document.getElementById("dash-live");
  if (!window.io) return null;
  const socket = window.io("/dashboard", { reconnectionDelayMax: 4000 });
  socket.on("connect", () => {
    socket.emit("watch", {}, () => {});
    if (dot) { dot.dataset.state = "on"; dot.textContent = S.live; }
  });
  socket.on("disconnect", () => { if (dot) { dot.dataset.state = "off"; dot.textContent = S.offline; } });
  let timer = null;
  socket.on("changed", (message) => {
    clearTimeout(timer);   // many commits in a burst: one refresh
    timer = setTimeout(() => onChange(message.exam_ids || []), 300);
  });
  return socket;
}
