// The proctor's room: the candidates' rows (one compact line each, in two columns when the room is
// large, so 40 fit a 1366x768 screen), the room's counters, filter and sort. What is shown comes
// from the join snapshot and the server's pushes (docs/protocol.md, /proctor): `room_update`
// rows (kept only when their version is not older than the one held) and `progress` answer
// counts (kept only when their last_seq is not older).

import { fmt, h, pageStrings } from "./api.js";
import { clock, timeOf } from "./proctor-format.js";

const S = pageStrings();
const FINISHED = ["submitted", "closed", "terminated"];
const RUNNING = ["in_progress", "paused"];
// The order of "sort by state": who needs the proctor first.
const STATE_ORDER = ["paused", "in_progress", "checked_in", "not_arrived", "submitted", "closed", "terminated"];
const TWO_COLUMNS_FROM = 15;
const PREFS = "proctor.room.view";

export const rows = new Map();   // candidate id -> {data: CANDIDATE, at: performance.now() of remaining_seconds}
let root = null;
let onMenu = () => {};
let onCheckin = () => {};
const view = { filter: "all", sort: "number" };
let loaded = false;   // the server-rendered placeholder rows stay until the first snapshot

export const isFinished = (c) => FINISHED.includes(c.state);
/** Offline = lost the connection while the exam runs; a finished candidate is never "offline". */
export const isOffline = (c) => RUNNING.includes(c.state) && !c.online;
const openIncidents = (c) => (c.incidents || []).filter((i) => !i.resolved_at).length;

export function remainingOf(entry) {
  const c = entry.data;
  if (typeof c.remaining_seconds !== "number") return null;
  return c.remaining_seconds - (c.state === "in_progress" ? (performance.now() - entry.at) / 1000 : 0);
}

/** The room's counters: registered, checked in, in progress, paused, submitted, offline, open incidents. */
export function counts() {
  const n = { registered: 0, checked_in: 0, in_progress: 0, paused: 0, submitted: 0, offline: 0, incidents: 0 };
  for (const { data: c } of rows.values()) {
    n.registered += 1;
    if (c.state !== "not_arrived") n.checked_in += 1;
    if (c.state === "in_progress") n.in_progress += 1;
    if (c.state === "paused") n.paused += 1;
    if (c.state === "submitted" || c.state === "closed") n.submitted += 1;
    if (isOffline(c)) n.offline += 1;
    n.incidents += openIncidents(c);
  }
  return n;
}

const FILTERS = {
  all: () => true,
  not_arrived: (c) => c.state === "not_arrived",
  checked_in: (c) => c.state !== "not_arrived",
  waiting: (c) => c.state === "checked_in",
  in_progress: (c) => c.state === "in_progress",
  paused: (c) => c.state === "paused",
  submitted: (c) => c.state === "submitted" || c.state === "closed",
  terminated: (c) => c.state === "terminated",
  offline: isOffline,
  incidents: (c) => openIncidents(c) > 0,
};
const byNumber = (a, b) => String(a.candidate_number).localeCompare(String(b.candidate_number), "vi", { numeric: true });
const SORTS = {
  number: byNumber,
  name: (a, b) => lastName(a).localeCompare(lastName(b), "vi") || a.full_name.localeCompare(b.full_name, "vi") || byNumber(a, b),
  state: (a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || byNumber(a, b),
  remaining: (a, b) => (a.remaining_seconds ?? Infinity) - (b.remaining_seconds ?? Infinity) || byNumber(a, b),
  answered: (a, b) => (a.answered ?? 0) - (b.answered ?? 0) || byNumber(a, b),
};
// Vietnamese names are sorted by the given name, the last word (as class lists are).
function lastName(c) { const parts = String(c.full_name).trim().split(/\s+/); return parts[parts.length - 1] || ""; }

// --- one row ------------------------------------------------------------------------------------
function connCell(c) {
  if (isFinished(c)) return h("span", { class: "conn done muted", "data-conn-state": "finished", text: "—" });
  if (c.online) return h("span", { class: "conn online", "data-conn-state": "online", text: S.online });
  if (RUNNING.includes(c.state)) {
    return h("span", { class: "conn offline", "data-conn-state": "offline",
      title: c.offline_since ? fmt(S.offline_since, { time: timeOf(c.offline_since) }) : "",
      text: c.offline_since ? fmt(S.offline_short, { time: timeOf(c.offline_since) }) : S.offline });
  }
  return h("span", { class: "conn idle muted", "data-conn-state": "not_connected", text: S.never_connected });
}

function checkinCell(c) {
  const k = c.checkin;
  if (!k || !k.method) return h("span", { class: "muted", text: "—", title: S.no_checkin });
  return h("button", { type: "button", class: `chip ${k.verified ? "verified" : "unverified"}`, "data-checkin": k.method,
    "data-checkin-toggle": c.candidate_id, "aria-haspopup": "dialog", title: S.checkin_details,
    text: k.method === "chip" ? S.chip_short : S.manual_short, onclick: () => onCheckin(c.candidate_id) });
}

function render(entry) {
  const c = entry.data;
  let row = root.querySelector(`tr[data-candidate-id="${c.candidate_id}"]`);
  if (!row) row = h("tr", { "data-candidate-id": c.candidate_id });
  const incidents = openIncidents(c);
  const all = (c.incidents || []).length;
  row.dataset.state = c.state;
  row.dataset.online = String(Boolean(c.online));
  row.dataset.offline = String(isOffline(c));
  row.replaceChildren(
    h("td", { class: "num cand-number", text: c.candidate_number }),
    h("td", { class: "cand-name", title: c.full_name }, h("span", { text: c.full_name }),
      c.kiosk ? h("small", { class: "kiosk muted", "data-kiosk": c.kiosk, title: `${S.kiosk}: ${c.kiosk}`, text: ` · ${c.kiosk}` }) : null),
    h("td", {}, h("span", { class: `state state-${c.state}`, "data-state": c.state, text: S[`state_${c.state}`] || c.state })),
    h("td", {}, connCell(c)),
    h("td", {}, checkinCell(c)),
    h("td", { class: "num", "data-answered": c.answered ?? "", title: S.answered }, `${c.answered ?? 0}/${c.questions || "?"}`),
    h("td", { class: "num timer-cell", "data-remaining": "" }, isFinished(c) ? "—" : clock(remainingOf(entry))),
    h("td", { class: "num" }, all ? h("span", { class: `badge ${incidents ? "warn" : ""}`, "data-incidents": all,
      "data-open-incidents": incidents, title: fmt(S.incidents_title, { n: all, open: incidents }), text: String(all) })
      : h("span", { class: "muted", text: "" })),
    h("td", { class: "menu-cell" }, h("button", { type: "button", class: "icon menu-toggle", "data-menu-toggle": c.candidate_id,
      "aria-haspopup": "menu", "aria-expanded": "false", "aria-label": fmt(S.actions_for, { name: c.full_name }),
      title: S.actions, text: "⋯", onclick: (event) => onMenu(c.candidate_id, event.currentTarget) })));
  return row;
}

// --- the whole view ------------------------------------------------------------------------------
export function renderCounters() {
  const n = counts();
  for (const [name, value] of Object.entries(n)) {
    const el = document.querySelector(`[data-count="${name}"]`);
    if (!el) continue;
    el.textContent = String(value);
    el.closest("[data-counter]").dataset.nonzero = String(value > 0);
  }
}

/** Lay the rows out: filtered, sorted, in one or two columns (the first half on the left). */
export function layout() {
  if (!loaded) return;
  const filter = FILTERS[view.filter] || FILTERS.all;
  const sort = SORTS[view.sort] || SORTS.number;
  const shown = [...rows.values()].map((e) => e.data).filter(filter).sort(sort);
  const [left, right] = root.querySelectorAll("[data-rows]");
  const two = shown.length >= TWO_COLUMNS_FROM;
  const half = two ? Math.ceil(shown.length / 2) : shown.length;
  const place = (tbody, list) => tbody.replaceChildren(...list.map((c) => render(rows.get(c.candidate_id))));
  place(left, shown.slice(0, half));
  place(right, shown.slice(half));
  root.querySelector("[data-column='2']").hidden = !two;
  root.dataset.columns = two ? "2" : "1";
  root.querySelector("[data-none-shown]").hidden = shown.length > 0 || rows.size === 0;
  root.querySelector("[data-shown]").textContent = fmt(S.shown, { n: shown.length, m: rows.size });
  renderCounters();
}

/** One changed row: re-rendered in place, or the whole layout when its place may change. */
function refresh(id, previous) {
  const entry = rows.get(id);
  const row = root.querySelector(`tr[data-candidate-id="${id}"]`);
  const moved = !previous || view.filter !== "all" || !["number", "name"].includes(view.sort);
  if (!row || moved) return layout();
  render(entry);
  renderCounters();
  return undefined;
}

/** Merge one CANDIDATE row; `replace` (a full snapshot) also drops rows no longer in the room. */
export function mergeRow(c) {
  const previous = rows.get(c.candidate_id);
  // Incidents only accumulate: a row built before an incident committed can arrive after it.
  const known = new Map(((previous && previous.data.incidents) || []).map((i) => [i.id, i]));
  for (const incident of c.incidents || []) known.set(incident.id, incident);
  const incidents = [...known.values()].sort((a, b) => a.id - b.id);
  if (previous && (c.version ?? 0) < (previous.data.version ?? 0)) {
    previous.data.incidents = incidents;     // an older row arrived late: keep its incidents only
    return false;
  }
  c.incidents = incidents;
  if (previous && (previous.data.last_seq ?? 0) > (c.last_seq ?? 0)) {
    // A `progress` newer than this row's answer count was already shown.
    c.answered = previous.data.answered;
    c.last_seq = previous.data.last_seq;
  }
  rows.set(c.candidate_id, { data: c, at: performance.now() });
  return true;
}

export function applyRows(list, { full = false } = {}) {
  loaded = true;
  if (full) {
    const ids = new Set(list.map((c) => c.candidate_id));
    for (const id of [...rows.keys()]) if (!ids.has(id)) rows.delete(id);
  }
  let changed = 0;
  for (const c of list) changed += mergeRow(c) ? 1 : 0;
  if (full || list.length > 1) layout();
  else if (list.length === 1 && changed) refresh(list[0].candidate_id, true);
  else renderCounters();
}

/** `progress`: answer counts, kept when not older (by last_seq) than what is shown. */
export function applyProgress(list) {
  for (const p of list) {
    const entry = rows.get(p.candidate_id);
    if (!entry || (p.last_seq ?? 0) < (entry.data.last_seq ?? 0)) continue;
    entry.data.answered = p.answered;
    entry.data.last_seq = p.last_seq;
    const cell = root.querySelector(`tr[data-candidate-id="${p.candidate_id}"] [data-answered]`);
    if (cell) {
      cell.dataset.answered = p.answered;
      cell.textContent = `${p.answered}/${entry.data.questions || "?"}`;
    }
  }
  if (view.sort === "answered") layout();
}

export function addIncidentToRow(incident) {
  const entry = rows.get(incident.candidate_id);
  if (!entry) return null;
  const list = entry.data.incidents || (entry.data.incidents = []);
  if (!list.some((i) => i.id === incident.id)) list.push(incident);
  refresh(incident.candidate_id, true);
  return entry.data;
}

/** Count the running clocks down between pushes (display only: the server is the clock). */
function tick() {
  for (const entry of rows.values()) {
    if (entry.data.state !== "in_progress") continue;
    const cell = root.querySelector(`tr[data-candidate-id="${entry.data.candidate_id}"] [data-remaining]`);
    if (cell) cell.textContent = clock(remainingOf(entry));
  }
}

function loadPrefs() {
  try { Object.assign(view, JSON.parse(sessionStorage.getItem(PREFS)) || {}); } catch { /* defaults */ }
  if (!FILTERS[view.filter]) view.filter = "all";
  if (!SORTS[view.sort]) view.sort = "number";
}

export function setFilter(name) {
  view.filter = FILTERS[name] ? name : "all";
  root.querySelector("[data-filter]").value = view.filter;
  for (const el of root.querySelectorAll("[data-counter]")) el.setAttribute("aria-pressed", String(el.dataset.counter === view.filter));
  sessionStorage.setItem(PREFS, JSON.stringify(view));
  layout();
}

export function init(app, handlers) {
  root = app;
  onMenu = handlers.menu;
  onCheckin = handlers.checkin;
  loadPrefs();
  const filter = root.querySelector("[data-filter]");
  const sort = root.querySelector("[data-sort]");
  sort.value = view.sort;
  filter.addEventListener("change", () => setFilter(filter.value));
  sort.addEventListener("change", () => {
    view.sort = SORTS[sort.value] ? sort.value : "number";
    sessionStorage.setItem(PREFS, JSON.stringify(view));
    layout();
  });
  for (const el of root.querySelectorAll("[data-counter]")) {
    el.addEventListener("click", () => setFilter(view.filter === el.dataset.counter ? "all" : el.dataset.counter));
  }
  setFilter(view.filter);
  setInterval(tick, 1000);
}
