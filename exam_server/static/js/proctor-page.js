// The proctor's room page (docs/protocol.md, namespace /proctor, cookie session). Everything shown
// comes from the join snapshot and the server's pushes, nothing is polled: `room_update` (the
// room's state and its changed rows, or every row: coalesced, about once a second), `progress`
// (answer counts), `incident` and `checkin` (at once). Remaining times count down between pushes
// for display only. The modules: proctor-room.js (rows, counters, filter, sort),
// proctor-actions.js (menus, dialogs, room buttons, admission codes), proctor-checkins.js.

import { fmt, h, pageStrings, refusalCode } from "./api.js";
import * as actions from "./proctor-actions.js";
import * as checkins from "./proctor-checkins.js";
import { dateOf, timeOf, timeWithSeconds } from "./proctor-format.js";
import * as room from "./proctor-room.js";

const S = pageStrings();
const app = document.getElementById("proctor-app");
const $ = (sel) => app.querySelector(sel);
const EXAM_ID = Number(app.dataset.examId);
const ROOM_ID = Number(app.dataset.roomId);
let socket = null;

function setConn(kind, text) {
  const el = $("[data-conn]");
  el.dataset.kind = kind;
  el.textContent = text;
}

// --- the room's clock and the exam window -------------------------------------------------------------
function showWindow() {
  const opens = app.dataset.opensAt;
  const closes = app.dataset.closesAt;
  const el = $("[data-window]");
  if (!opens || !closes) { el.textContent = S.no_window; return; }
  const sameDay = dateOf(opens) === dateOf(closes);
  el.textContent = sameDay ? fmt(S.window_same_day, { date: dateOf(opens), from: timeOf(opens), to: timeOf(closes) })
    : fmt(S.window, { from: `${timeOf(opens)} ${dateOf(opens)}`, to: `${timeOf(closes)} ${dateOf(closes)}` });
}
function tickClock() {
  const now = new Date();
  $("[data-clock]").textContent = timeWithSeconds(now);
  const closes = app.dataset.closesAt ? new Date(app.dataset.closesAt) : null;
  const opens = app.dataset.opensAt ? new Date(app.dataset.opensAt) : null;
  const phase = !opens || !closes ? "" : now < opens ? "before" : now >= closes ? "after" : "open";
  $("[data-window]").dataset.phase = phase;
}

// --- incidents ---------------------------------------------------------------------------------------
function describe(incident) {
  const kind = S[`incident_${incident.kind}`] || incident.kind;
  return `${timeOf(incident.at)} ${kind}${incident.detail ? `: ${incident.detail}` : ""}`;
}

function logIncident(incident, name) {
  const list = $("[data-incident-list]");   // not [data-incidents]: each row's count badge has that
  const empty = list.querySelector("[data-empty]");
  if (empty) empty.remove();
  if (incident.id !== undefined && list.querySelector(`[data-incident-id="${incident.id}"]`)) return;
  list.prepend(h("li", { "data-incident-id": incident.id ?? "", "data-kind": incident.kind },
    h("span", { class: "badge warn", text: S[`incident_${incident.kind}`] || incident.kind }), " ",
    h("strong", { text: name || "" }), " ", h("span", { class: "muted", text: describe(incident) })));
}

// --- the server's messages -------------------------------------------------------------------------------
function ours(data) { return data && data.exam_id === EXAM_ID && data.room_id === ROOM_ID; }

/** A room_update or the join snapshot: the room's state, then its rows. */
function roomUpdate(data, { full = false } = {}) {
  if (!ours(data)) return;
  actions.setRoom(data.started, data.paused);
  const rows = data.candidates || [];
  room.applyRows(rows, { full });
  for (const c of rows) for (const incident of c.incidents || []) logIncident(incident, c.full_name);
}

function connect() {
  if (typeof window.io !== "function") { setTimeout(connect, 100); return; }
  socket = window.io("/proctor", { reconnectionDelayMax: 4000, closeOnBeforeunload: true });
  socket.on("connect", async () => {
    setConn("connecting", S.connecting);
    const ack = await actions.emit("join", { exam_id: EXAM_ID, room_id: ROOM_ID });
    if (!ack.ok) { setConn("error", fmt(S.failed, { message: ack.message || ack.error })); return; }
    roomUpdate(ack.room, { full: true });
    setConn("live", S.live);
    app.dataset.joined = "true";
    checkins.load();
  });
  socket.on("disconnect", (reason) => {
    setConn("offline", S.disconnected);
    app.dataset.joined = "false";
    if (reason === "io server disconnect") setTimeout(() => socket.connect(), 3000);
  });
  socket.on("connect_error", (err) => {
    const code = refusalCode(err);
    setConn("error", fmt(S.failed, { message: code || (err && err.message) || "?" }));
    if (code) setTimeout(() => socket.connect(), 5000);
  });
  // A snapshot (every row of the room) replaces the rows; otherwise only the changed rows come.
  socket.on("room_update", (data) => roomUpdate(data, { full: false }));
  socket.on("progress", (data) => { if (ours(data)) room.applyProgress(data.candidates || []); });
  socket.on("checkin", checkins.add);
  socket.on("incident", (incident) => {
    const c = room.addIncidentToRow(incident);
    logIncident(incident, c ? c.full_name : "");
  });
}

const candidateOf = (id) => (room.rows.get(id) || {}).data || null;
room.init(app, { menu: actions.openMenu, checkin: checkins.show });
actions.init(app, { socketOf: () => socket, candidateOf, checkin: checkins.show });
checkins.init(app, { nameOf: (id) => { const c = candidateOf(id); return c ? `${c.full_name} (${c.candidate_number})` : ""; },
  failed: actions.failed });
actions.setRoom(false, false);
showWindow();
tickClock();
setInterval(tickClock, 1000);
connect();
