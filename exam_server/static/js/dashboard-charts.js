// Charts of the dashboard (Chart.js, vendored in static/vendor/chartjs) and the data table that
// goes with each chart: a screen reader reads the table, the chart only draws it.
import { pageStrings } from "./api.js";

const S = pageStrings();
const charts = new Map();

export function fill(table, header, rows) {
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const text of header) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    row.forEach((cell, i) => {
      const td = i === 0 ? document.createElement("th") : document.createElement("td");
      if (i === 0) td.scope = "row";
      if (cell instanceof Node) td.appendChild(cell); else td.textContent = cell;
      tr.appendChild(td);
    });
  }
}

export function shown(entry) {
  if (!entry || entry.suppressed) return S.suppressed ? S.suppressed.replace("{n}", "5") : "—";
  if (entry.value === null || entry.value === undefined) return "—";
  if (typeof entry.value !== "number") return String(entry.value);
  // Numbers as the page's language writes them (vi: 68,75).
  return entry.value.toLocaleString(document.documentElement.lang === "en" ? "en" : "vi", { maximumFractionDigits: 2 });
}

/** Draw (or update in place) a chart on a canvas, and its table. */
export function draw(canvasId, tableId, { type, labels, series, header, rows, max }) {
  const table = document.getElementById(tableId);
  if (table) fill(table, header, rows);
  const canvas = document.getElementById(canvasId);
  if (!canvas || !window.Chart) return;
  const datasets = series.map((s, i) => ({ label: s.label, data: s.data, borderWidth: 2,
    backgroundColor: ["#1658b8", "#1b7a43", "#a35d00", "#b42318"][i % 4] }));
  const existing = charts.get(canvasId);
  if (existing) {
    existing.data.labels = labels;
    existing.data.datasets = datasets;
    existing.update("none");
    return;
  }
  charts.set(canvasId, new window.Chart(canvas, {
    type, data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, suggestedMax: max } },
      plugins: { legend: { display: series.length > 1 } } },
  }));
}
