// The blueprint form (templates/exams/exam_detail.html, _blueprint.html): topics x cognitive levels
// x item types with counts and points. Totals follow every edit; the bank's approved items per cell
// come from POST /api/v1/exams/<id>/blueprint/availability (debounced); a 2025 template fills the
// table; "Save" sends PUT /api/v1/exams/<id>/blueprint and keeps the JSON box (import/export) in step.
// Listeners are delegated from #exam-page: admin-exams.js swaps the section's HTML after a JSON save.
import { api, fmt, pageStrings } from "./api.js";

const S = pageStrings();
const page = document.getElementById("exam-page");
const examId = page ? Number(page.dataset.examId) : null;
const templates = JSON.parse(document.getElementById("blueprint-templates")?.textContent || "[]");
const number = new Intl.NumberFormat(document.documentElement.lang || "vi", { maximumFractionDigits: 2 });
let timer = null;
let asked = 0;

const form = () => document.querySelector("[data-blueprint-form]");

function rowsOf(root) {
  return [...root.querySelectorAll("[data-bp-row]")].map((tr) => ({
    topic: tr.querySelector('[name="topic"]').value.trim(),
    cognitive_level: tr.querySelector('[name="cognitive_level"]').value,
    item_type: tr.querySelector('[name="item_type"]').value,
    count: Number(tr.querySelector('[name="count"]').value),
    points_each: Number(tr.querySelector('[name="points_each"]').value),
  }));
}

function blueprintOf(root) {
  return { total_points: 10, rows: rowsOf(root) };
}

function totals(root) {
  let count = 0;
  let points = 0;
  for (const tr of root.querySelectorAll("[data-bp-row]")) {
    const n = Number(tr.querySelector('[name="count"]').value) || 0;
    const each = Number(tr.querySelector('[name="points_each"]').value) || 0;
    const sub = Math.round(n * each * 100) / 100;       // hundredths: 0.25 x 3 is 0.75, not 0.7500000001
    tr.querySelector("[data-bp-subtotal]").textContent = number.format(sub);
    count += n;
    points += sub;
  }
  points = Math.round(points * 100) / 100;
  root.querySelector("[data-bp-count-total]").textContent = String(count);
  const total = root.querySelector("[data-bp-total]");
  total.textContent = number.format(points);
  total.classList.toggle("error", points !== 10);
  total.title = points === 10 ? "" : fmt(S.bp_not_ten || "", { total: number.format(points) });
  const json = document.getElementById("blueprint-json");
  if (json) json.value = JSON.stringify(blueprintOf(root), null, 2);   // export: the JSON box follows
}

function showAvailability(root, found) {
  const rows = [...root.querySelectorAll("[data-bp-row]")];
  let missing = 0;
  rows.forEach((tr, i) => {
    const cell = tr.querySelector("[data-bp-available]");
    const f = found[i];
    if (!f) return;
    cell.dataset.available = f.available;
    cell.dataset.missing = f.missing;
    cell.replaceChildren(String(f.available), " ");
    const badge = document.createElement("span");
    badge.className = f.missing ? "badge warn" : "badge ok";
    badge.textContent = f.missing ? fmt(S.bp_missing || "{n}", { n: f.missing }) : "✓";
    cell.append(badge);
  });
  // A cell shared by several rows reports its shortfall on each: count it once.
  const seen = new Set();
  rows.forEach((tr, i) => {
    const r = rowsOf(root)[i];
    const key = `${r.topic}|${r.cognitive_level}|${r.item_type}`;
    if (!seen.has(key)) { seen.add(key); missing += found[i] ? found[i].missing : 0; }
  });
  const cell = root.querySelector("[data-bp-missing-total]");
  cell.textContent = missing ? fmt(S.bp_missing || "{n}", { n: missing }) : "✓";
  cell.classList.toggle("error", missing > 0);
  root.dataset.missing = String(missing);
}

function askAvailability(root) {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const mine = ++asked;
    const answer = await api(`/api/v1/exams/${examId}/blueprint/availability`, { method: "POST", json: { rows: rowsOf(root) } });
    if (mine === asked && answer.ok) showAvailability(root, answer.data.rows);
  }, 250);
}

function changed(root) {
  const status = root.querySelector("[data-status]");
  if (status.classList.contains("error")) say(root, "");     // the complaint was about what changed
  totals(root);
  askAvailability(root);
}

function addRow(root, values = {}) {
  const template = root.querySelector("[data-bp-row-template]");
  const tr = template.content.firstElementChild.cloneNode(true);
  for (const [name, value] of Object.entries(values)) {
    const input = tr.querySelector(`[name="${name}"]`);
    if (input) input.value = value;
  }
  root.querySelector("[data-bp-rows]").append(tr);
  return tr;
}

function say(root, text, isError = false) {
  const status = root.querySelector("[data-status]");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

if (page) {
  page.addEventListener("input", (event) => {
    const root = event.target.closest("[data-blueprint-form]");
    if (root) changed(root);
  });
  page.addEventListener("change", (event) => {
    const root = event.target.closest("[data-blueprint-form]");
    if (root && event.target.matches("select")) changed(root);
  });
  page.addEventListener("click", (event) => {
    const root = event.target.closest("[data-blueprint-form]");
    if (!root) return;
    if (event.target.closest("[data-bp-add]")) {
      addRow(root).querySelector('[name="topic"]').focus();
      changed(root);
    } else if (event.target.closest("[data-bp-remove]")) {
      event.target.closest("[data-bp-row]").remove();
      changed(root);
    } else if (event.target.closest("[data-bp-apply-template]")) {
      const chosen = templates.find((t) => t.key === root.querySelector("[data-bp-template-choice]").value);
      if (!chosen) return;
      if (root.querySelector("[data-bp-row]") && !window.confirm(S.bp_replace || "?")) return;
      root.querySelector("[data-bp-rows]").replaceChildren();
      for (const row of chosen.rows) addRow(root, row);
      changed(root);
      say(root, S.bp_template_applied || "");
    }
  });
  page.addEventListener("submit", async (event) => {
    const root = event.target.closest("[data-blueprint-form]");
    if (!root) return;
    event.preventDefault();
    const blueprint = blueprintOf(root);
    const blank = blueprint.rows.findIndex((r) => !r.topic);
    if (!blueprint.rows.length) { say(root, S.bp_no_rows || "", true); return; }
    if (blank >= 0) {
      say(root, S.bp_no_topic || "", true);
      root.querySelectorAll("[data-bp-row]")[blank].querySelector('[name="topic"]').focus();
      return;
    }
    say(root, S.working || "");
    const answer = await api(`/api/v1/exams/${examId}/blueprint`, { method: "PUT", json: blueprint });
    if (answer.ok) {
      say(root, S.done || "");
    } else {
      const data = answer.data || {};
      const row = Number.isInteger(data.row) ? fmt(S.bp_row || "", { n: data.row + 1 }) : "";
      say(root, `${row}${fmt(S.failed || "{message}", { message: data.message || answer.status })}`, true);
    }
  });
  const fill = () => {
    const root = form();
    if (root && !root.querySelector("[data-bp-total]").textContent) totals(root);
  };
  fill();
  // admin-exams.js swaps the section in after a save of the JSON box: total the new table.
  new MutationObserver(fill).observe(page, { childList: true, subtree: true });
}
