// The dashboard page (templates/indicators/dashboard.html): filters, drill-down along the tree,
// cards, charts with their tables, the per-unit table and its exports, live updates.
import { api } from "./api.js";
import { definitions, live, loadDefinitions, nameOf, query, renderSummary, renderTrend, renderUnits } from "./dashboard-data.js";
import { renderMastery, renderQuality } from "./dashboard-quality.js";

const form = document.getElementById("dash-filters");
const picker = document.getElementById("f-indicator");
let path = [];      // the units drilled into, from the top

function filters() {
  const data = Object.fromEntries(new FormData(form).entries());
  data.unit = path.length ? path[path.length - 1].id : "";
  return data;
}

function options(select, values) {
  for (const [value, label] of values) {
    const option = document.createElement("option");
    option.value = value;
    option.textContent = label;
    select.appendChild(option);
  }
}

function crumbs() {
  const nav = document.getElementById("dash-crumbs");
  const items = [{ id: "", name: nav.dataset.top || "⌂" }, ...path];
  nav.replaceChildren(...items.map((u, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "link-button";
    b.textContent = u.name;
    if (i === items.length - 1) b.setAttribute("aria-current", "page");
    b.addEventListener("click", () => { path = path.slice(0, i); refresh(); });
    return b;
  }));
}

function exportLinks(f) {
  for (const fmt of ["csv", "xlsx"]) {
    document.getElementById(`export-${fmt}`).href = `/api/v1/indicators?${query(f, { code: picker.value, format: fmt })}`;
  }
}

let running = null;
async function refresh() {
  const f = filters();
  crumbs();
  exportLinks(f);
  running = Promise.all([renderSummary(f), renderUnits(f, picker.value, (unit) => { path.push(unit); refresh(); }),
    renderTrend(f, picker.value === "score_distribution" ? "score_mean" : picker.value),
    renderMastery(f), renderQuality(f)]);
  await running;
  document.body.dataset.dashboardReady = String(Date.now());
}

async function start() {
  await loadDefinitions();
  options(picker, Object.keys(definitions).map((c) => [c, nameOf(c)]));
  picker.value = "participation_rate";
  const exams = (await api("/api/v1/indicators/exams")).data.exams || [];
  options(document.getElementById("f-exam"), exams.map((e) => [e.exam_id, e.title]));
  const distinct = (key) => [...new Set(exams.map((e) => e[key]))].sort().map((v) => [v, v]);
  options(document.getElementById("f-subject"), distinct("subject"));
  options(document.getElementById("f-grade"), distinct("grade"));
  options(document.getElementById("f-year"), distinct("school_year"));
  options(document.getElementById("f-term"), distinct("term"));
  options(document.getElementById("f-month"), distinct("month"));
  form.addEventListener("change", refresh);
  picker.addEventListener("change", refresh);
  live(() => refresh());
  await refresh();
}

start();
