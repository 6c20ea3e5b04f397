// The dashboard's mastery (per topic and per cognitive level) and test-quality tables (reliability
// per form, flagged items): plain data tables from the JSON API, suppressed cells shown as such.
import { api, pageStrings } from "./api.js";
import { query } from "./dashboard-data.js";
import { fill, shown } from "./dashboard-charts.js";

const S = pageStrings();

export async function renderMastery(filters) {
  for (const dimension of ["topic", "level"]) {
    const table = document.getElementById(`table-mastery-${dimension}`);
    if (!table) continue;
    const answer = await api(`/api/v1/indicators/mastery?${query(filters, { dimension })}`);
    if (!answer.ok) continue;
    fill(table, [dimension === "topic" ? S.topic : S.level, S.mastery, S.candidates],
      answer.data.rows.map((r) => [r[dimension], shown(r), r.n === null ? "—" : r.n]));
  }
}

export async function renderQuality(filters) {
  const table = document.getElementById("table-quality");
  if (!table) return;
  const { unit: _unit, school_group: _group, ...rest } = filters;     // exam-level: no unit, no group
  const answer = await api(`/api/v1/indicators/quality?${query(rest)}`);
  if (!answer.ok) return;
  const rows = [];
  for (const exam of answer.data.exams) {
    if (exam.absent) { rows.push([exam.title, "—", S.no_analysis, "—", "—"]); continue; }
    for (const form of exam.forms) {
      rows.push([exam.title, form.form, form.suppressed ? shown(form) : shown({ value: form.alpha }), form.n === null ? "—" : form.n,
        exam.flagged_count]);
    }
  }
  fill(table, [S.exam, S.form, S.reliability, S.candidates, S.flagged], rows);
}
