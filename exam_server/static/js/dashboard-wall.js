// Wall mode for the operations center's screens: the same data as the dashboard in large,
// high-contrast panels that rotate every data-rotate-seconds; live updates without reload.
import { live, loadDefinitions, renderSummary, renderUnits } from "./dashboard-data.js";

const wall = document.getElementById("wall");
const panels = [...wall.querySelectorAll(".wall-panel")];
const params = new URLSearchParams(window.location.search);
const filters = Object.fromEntries(["exam_id", "subject", "grade", "school_year", "term", "month", "school_group", "unit"]
  .filter((k) => params.get(k)).map((k) => [k, params.get(k)]));
let current = 0;

async function refresh() {
  await Promise.all([renderSummary(filters), renderUnits(filters, "participation_rate", null)]);
}

function rotate() {
  panels[current].hidden = true;
  current = (current + 1) % panels.length;
  panels[current].hidden = false;
}

async function start() {
  await loadDefinitions();
  await refresh();
  live(() => refresh());
  const seconds = Number(params.get("rotate") || wall.dataset.rotateSeconds);
  if (seconds > 0) setInterval(rotate, seconds * 1000);
}

start();
