// The proctor's room page (docs/protocol.md, namespace /proctor, cookie session).
// Everything shown comes from the join snapshot and the server's pushes (candidate_update,
// incident); nothing is polled. Remaining times count down between pushes for display only.
// The check-in details (why a chip check-in is not verified, the chip and live photos, the face
// comparison, every attempt) come from the room's check-ins endpoint, fetched on join and again
// when a push says a candidate changed; manual admission posts to /api/v1/checkin/admit.

import { api, emitWithAck, fmt, h, refusalCode } from "./api.js";

const S = JSON.parse(document.getElementById("i18n").textContent);
const app = document.getElementById("proctor-app");
const $ = (sel, root = app) => root.querySelector(sel);
const EXAM_ID = Number(app.dataset.examId);
const ROOM_ID = Number(app.dataset.roomId);
const ACK_TIMEOUT_MS = 10000;



const candidates = new Map();   // id -> {data, at (performance.now() when remaining was said)}
let socket = null;
let started = false;
let roomPaused = false;

function clock(seconds) {
  if (typeof seconds !== "number") return "—";
  const s = Math.max(0, Math.ceil(seconds));
  const pad = (n) => String(n).padStart(2, "0");
  const hh = Math.floor(s / 3600);
  return hh ? `${hh}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}
function localTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString();
}
function remainingOf(entry) {
  const c = entry.data;
  if (typeof c.remaining_seconds !== "number") return null;
  const running = c.state === "in_progress";
  return c.remaining_seconds - (running ? (performance.now() - entry.at) / 1000 : 0);
}

function setConn(kind, text) {
  const el = $("[data-conn]");
  el.dataset.kind = kind;
  el.textContent = text;
}
function result(text, kind) {
  const el = $("[data-result]");
  el.textContent = text;
  el.className = `flash ${kind}`;
  el.hidden = false;
  clearTimeout(result.timer);
  result.timer = setTimeout(() => { el.hidden = true; }, 8000);
}
/** The room's state badge: not started, started, or paused (from the join snapshot and this
 * page's own room actions). */
function setStarted(value, isPaused = roomPaused) {
  started = Boolean(value);
  roomPaused = started && Boolean(isPaused);
  const badge = $("[data-room-state]");
  badge.textContent = !started ? S.room_not_started : roomPaused ? S.room_paused : S.room_started;
  badge.className = `badge ${roomPaused ? "warn" : started ? "ok" : ""}`;
  badge.dataset.paused = String(roomPaused);
  $('[data-room-action="start_room"]').disabled = started;
}

// --- the table ------------------------------------------------------------------------------------
function actionButtons(c) {
  const id = c.candidate_id;
  const live = ["in_progress", "paused", "checked_in", "not_arrived"].includes(c.state);
  const b = (action, label, cls = "") => h("button", { type: "button", class: `button small ${cls}`,
    "data-action": action, "data-candidate": id, text: label, onclick: () => candidateAction(action, c) });
  return h("div", { class: "row-actions" },
    c.state === "paused" ? b("resume", S.resume) : null,
    c.state === "in_progress" ? b("pause", S.pause, "warn") : null,
    ["in_progress", "paused"].includes(c.state) ? b("extend", S.extend) : null,
    live ? b("issue_token", S.issue_token) : null,
    live ? b("admit", S.admit) : null,
    live ? b("move", S.move, "subtle") : null,
    live ? b("message", S.message, "subtle") : null,
    b("note", S.note, "subtle"),
    ["in_progress", "paused", "checked_in"].includes(c.state) ? b("terminate", S.terminate, "danger") : null);
}

function checkinChip(checkin) {
  if (!checkin || !checkin.method) return h("span", { class: "muted", text: S.no_checkin });
  return h("span", { class: `chip ${checkin.verified ? "verified" : "unverified"}`, "data-checkin": checkin.method,
    text: `${checkin.method === "chip" ? S.chip : S.manual} · ${checkin.verified ? S.verified : S.unverified}` });
}

function renderRow(entry) {
  const c = entry.data;
  let row = $(`tr[data-candidate-id="${c.candidate_id}"]`);
  if (!row) {
    row = h("tr", { "data-candidate-id": c.candidate_id });
    $("[data-rows]").append(row);
  }
  const finished = ["submitted", "closed", "terminated"].includes(c.state);
  const left = finished ? null : remainingOf(entry);
  const incidents = c.incidents || [];
  row.dataset.state = c.state;
  row.dataset.online = String(Boolean(c.online));
  row.replaceChildren(
    h("td", {}, h("strong", { text: c.full_name }), h("br"), h("small", { class: "muted", text: c.candidate_number })),
    h("td", {}, h("span", { class: `state state-${c.state}`, "data-state": c.state, text: S[`state_${c.state}`] || c.state }),
      c.kiosk ? [h("br"), h("small", { class: "muted", "data-kiosk": c.kiosk, text: `${S.kiosk}: ${c.kiosk}` })] : null),
    h("td", {}, c.online ? h("span", { class: "conn online", text: S.online })
      : h("span", { class: `conn offline${finished ? " muted" : ""}`, text: c.offline_since ? fmt(S.offline_since, { time: localTime(c.offline_since) })
        : S.never_connected })),
    h("td", {}, checkinChip(c.checkin)),
    h("td", { class: "num", "data-answered": c.answered ?? "" }, `${c.answered ?? 0} / ${c.questions ?? "?"}`),
    h("td", { class: "num timer-cell", "data-remaining": "" }, clock(left)),
    h("td", { class: "incidents-cell" }, incidents.length
      ? h("span", { class: "badge warn", "data-incidents": incidents.length, title: incidents.map(describe).join("\n"),
        text: String(incidents.length) }) : h("span", { class: "muted", text: "0" })),
    h("td", {}, actionButtons(c)));
  renderCheckinRow(c.candidate_id);
}

// --- check-in details -------------------------------------------------------------------------------
const checkins = new Map();   // candidate id -> {checkin (latest), history (newest first)}

function faceLabel(face) {
  if (face && face.status === "compared" && face.match === true) return { kind: "match", text: S.face_match };
  if (face && face.status === "compared" && face.match === false) return { kind: "no_match", text: S.face_no_match };
  return { kind: "not_compared", text: S.face_not_compared };
}

function photoFigure(k, kind) {
  const photo = (k.photos || []).find((p) => p.kind === kind);
  const caption = kind === "chip" ? S.photo_chip : S.photo_live;
  let body;
  if (!photo) body = h("span", { class: "photo-missing muted", text: S.photo_none });
  else if (photo.purged || !photo.url) body = h("span", { class: "photo-missing muted", text: S.photo_purged });
  else body = h("img", { src: photo.url, alt: caption, loading: "lazy", "data-photo": kind });
  return h("figure", { class: "checkin-photo", "data-photo-kind": kind }, body, h("figcaption", { text: caption }));
}

function checkinPanel(k, latest) {
  const manual = k.method === "manual";
  const title = manual
    ? fmt(S.admitted_by, { name: k.actor ? (k.actor.full_name || k.actor.username) : "?", time: localTime(k.at) })
    : fmt(S.chip_at_kiosk, { kiosk: k.kiosk || "?", time: localTime(k.at) });
  const status = k.verified
    ? h("span", { class: "chip verified", "data-checkin-status": "verified", text: S.chip_verified })
    : h("span", { class: "chip unverified", "data-checkin-status": "unverified",
      text: manual ? S.admitted_unverified : fmt(S.not_verified_because, { outcome: S[`outcome_${k.outcome}`] || k.outcome }) });
  const parts = [h("div", { class: "checkin-head" }, status, " ", h("span", { class: "muted", text: title }))];
  if (manual) {
    parts.push(h("p", { class: "checkin-note", "data-admit-reason": "" }, h("strong", { text: `${S.reason}: ` }), k.note || ""));
  } else {
    const auth = (ok) => (ok === true ? S.auth_ok : ok === false ? S.auth_failed : "—");
    parts.push(h("p", { class: "checkin-auth muted" },
      `${S.passive_auth}: ${auth(k.passive_auth_ok)} · ${S.active_auth}: ${auth(k.active_auth_ok)}`,
      k.card && k.card.full_name ? ` · ${fmt(S.card_read, { name: k.card.full_name, id: k.card.id_number || "?",
        dob: k.card.date_of_birth || "?" })}` : ""));
  }
  if (!k.verified && (k.differences || []).length && !manual) {
    parts.push(h("ul", { class: "checkin-differences", "data-differences": "" }, k.differences.map((d) =>
      h("li", { "data-field": d.field, text: fmt(S.differs, { field: S[`field_${d.field}`] || d.field,
        chip: d.chip ?? "—", roster: d.roster ?? "—" }) }))));
  }
  if (!k.verified && (k.reasons || []).length && !manual) {
    // The server's own words (English, as recorded in the audit trail): the technical detail.
    parts.push(h("ul", { class: "checkin-reasons muted", "data-reasons": "" }, k.reasons.map((r) => h("li", { text: r }))));
  }
  if (!manual) {
    const label = faceLabel(k.face);
    const face = k.face || {};
    const numbers = typeof face.score === "number"
      ? fmt(S.face_numbers, { score: face.score.toFixed(2), distance: (face.distance ?? 0).toFixed(2),
        threshold: face.threshold ?? "?" }) : "";
    parts.push(h("div", { class: "checkin-photos" }, photoFigure(k, "chip"), photoFigure(k, "live"),
      h("div", { class: "face-result" },
        h("span", { class: `badge face-${label.kind}`, "data-face": label.kind, text: label.text }),
        numbers ? h("div", { "data-face-score": face.score, text: numbers }) : null,
        face.status && face.status !== "compared"
          ? h("div", { class: "muted", "data-face-detail": face.status, title: face.detail || "",
            text: S[`face_why_${face.status}`] || face.detail || face.status }) : null)));
  }
  return h("div", { class: `checkin-panel${latest ? " latest" : " earlier"}`, "data-checkin-id": k.id }, parts);
}

function renderCheckinRow(candidateId) {
  const row = $(`tr[data-candidate-id="${candidateId}"]`);
  if (!row) return;
  const info = checkins.get(candidateId);
  let detail = $(`tr[data-checkin-detail="${candidateId}"]`);
  if (!info || !info.checkin) { if (detail) detail.remove(); return; }
  if (!detail) detail = h("tr", { class: "checkin-detail", "data-checkin-detail": candidateId });
  if (row.nextElementSibling !== detail) row.after(detail);
  const earlier = info.history.slice(1);
  detail.replaceChildren(h("td", { colspan: 8 },
    h("div", { class: "checkin-detail-box", "data-checkin-panel": candidateId }, checkinPanel(info.checkin, true),
      earlier.length ? h("details", { class: "checkin-history", "data-checkin-history": "" },
        h("summary", { text: fmt(S.earlier_attempts, { n: earlier.length }) }),
        earlier.map((k) => checkinPanel(k, false))) : null)));
}

function renderUnmatched(list) {
  const box = $("[data-unmatched]");
  box.hidden = !list.length;
  $("[data-unmatched-list]").replaceChildren(...list.map((k) => h("li", {},
    h("strong", { text: `${(k.card && k.card.full_name) || "?"} (${(k.card && k.card.id_number) || "?"})` }), " ",
    h("span", { class: "muted", text: `${localTime(k.at)} · ${k.kiosk || ""} · ${(k.reasons || []).join("; ")}` }))));
}

let unmatched = [];   // check-ins that matched no candidate, newest first

/** The union of two lists of check-ins by id, newest (highest id) first. */
function mergeById(a, b) {
  const all = new Map([...a, ...b].map((k) => [k.id, k]));
  return [...all.values()].sort((x, y) => y.id - x.id);
}
/** Merge attempts into a candidate's history: a push and a fetch may arrive in either order. */
function mergeCheckins(candidateId, list) {
  const known = checkins.get(candidateId);
  const history = mergeById(known ? known.history : [], list);
  checkins.set(candidateId, { checkin: history[0] || null, history });
  renderCheckinRow(candidateId);
}
/** The server's push of one check-in attempt (kiosk or manual admission). */
function addCheckin(k) {
  if (k.candidate_id === null || k.candidate_id === undefined) {
    unmatched = mergeById(unmatched, [k]).slice(0, 20);
    renderUnmatched(unmatched);
    return;
  }
  mergeCheckins(k.candidate_id, [k]);
}

let checkinsLoading = null;
let checkinsAgain = false;
/** Fetch the room's check-ins (one request at a time; a call during a fetch asks for one more). */
async function loadCheckins() {
  if (checkinsLoading) { checkinsAgain = true; return checkinsLoading; }
  checkinsLoading = (async () => {
    do {
      checkinsAgain = false;
      const answer = await api(`/api/v1/exams/${EXAM_ID}/rooms/${ROOM_ID}/checkins`);
      if (!answer.ok) { result(fmt(S.failed, { message: answer.data.message || answer.data.error }), "error"); break; }
      for (const c of answer.data.candidates) mergeCheckins(c.candidate_id, c.history || []);
      unmatched = mergeById(unmatched, answer.data.unmatched || []).slice(0, 20);
      renderUnmatched(unmatched);
    } while (checkinsAgain);
  })();
  try { await checkinsLoading; } finally { checkinsLoading = null; }
  app.dataset.checkinsLoaded = "true";
  return undefined;
}

function describe(incident) {
  const kind = S[`incident_${incident.kind}`] || incident.kind;
  return `${localTime(incident.at)} ${kind}${incident.detail ? `: ${incident.detail}` : ""}`;
}

function addIncident(incident, name) {
  const list = $("[data-incident-list]");   // not [data-incidents]: each row's count badge has that
  const empty = list.querySelector("[data-empty]");
  if (empty) empty.remove();
  if (incident.id !== undefined && list.querySelector(`[data-incident-id="${incident.id}"]`)) return;
  list.prepend(h("li", { "data-incident-id": incident.id ?? "", "data-kind": incident.kind },
    h("span", { class: "badge warn", text: S[`incident_${incident.kind}`] || incident.kind }), " ",
    h("strong", { text: name || "" }), " ", h("span", { class: "muted", text: describe(incident) })));
}

function update(c) {
  // Incidents only accumulate. An update the server built just before an incident was committed
  // can arrive after that incident's own push: merge by id so it never drops one.
  const previous = candidates.get(c.candidate_id);
  const known = new Map(((previous && previous.data.incidents) || []).map((i) => [i.id, i]));
  for (const incident of c.incidents || []) known.set(incident.id, incident);
  const incidents = [...known.values()].sort((a, b) => a.id - b.id);
  // Versions follow the commits: an update older than the one shown arrived late; keep its incidents only.
  if (previous && (c.version ?? 0) < (previous.data.version ?? 0)) {
    previous.data.incidents = incidents;
    renderRow(previous);
    return;
  }
  c.incidents = incidents;
  candidates.set(c.candidate_id, { data: c, at: performance.now() });
  renderRow(candidates.get(c.candidate_id));
}

setInterval(() => {
  for (const entry of candidates.values()) {
    if (entry.data.state !== "in_progress") continue;
    const cell = $(`tr[data-candidate-id="${entry.data.candidate_id}"] [data-remaining]`);
    if (cell) cell.textContent = clock(remainingOf(entry));
  }
}, 1000);

// --- actions ----------------------------------------------------------------------------------------
function emit(event, payload) {
  return emitWithAck(socket, event, payload, { timeoutMs: ACK_TIMEOUT_MS, offlineMessage: S.disconnected });
}

const NEEDS = {
  pause: { reason: true, required: true }, resume: { reason: true }, extend: { minutes: true, reason: true, required: true },
  move: { kiosk: true, reason: true, required: true }, terminate: { reason: true, required: true }, note: { reason: true, required: true, text: true },
  message: { reason: true, required: true, text: true },
  issue_token: { reason: true, required: true }, admit: { reason: true, required: true },
};

/** Ask for the action's fields in the dialog; resolves with them, or null when cancelled. */
function ask(action, who) {
  const dialog = $("[data-dialog]");
  const needs = NEEDS[action] || {};
  const label = { pause: S.pause, resume: S.resume, extend: S.extend, move: S.move, terminate: S.terminate,
    note: S.note, message: S.message, issue_token: S.issue_token, admit: S.admit }[action] || action;
  $("[data-dialog-title]").textContent = fmt(S.for_candidate, { action: label, name: who });
  for (const field of ["minutes", "kiosk", "reason"]) {
    $(`[data-f="${field}"]`, dialog).hidden = !needs[field];
  }
  $("[data-reason-label]").textContent = needs.text ? S.text : S.reason;
  $("#d-reason").value = "";
  $("#d-kiosk").value = "";
  $("#d-minutes").value = "5";
  const error = $("[data-dialog-error]");
  error.hidden = true;
  dialog.dataset.action = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    const ok = $("[data-dialog-ok]");
    const check = (event) => {
      if (needs.required && !$("#d-reason").value.trim()) {
        event.preventDefault();
        error.textContent = S.reason_required;
        error.hidden = false;
      }
    };
    ok.addEventListener("click", check);
    dialog.addEventListener("close", () => {
      ok.removeEventListener("click", check);
      if (dialog.returnValue !== "ok") { resolve(null); return; }
      resolve({ reason: $("#d-reason").value.trim(), kiosk: $("#d-kiosk").value.trim(),
        minutes: parseInt($("#d-minutes").value, 10) });
    }, { once: true });
    dialog.showModal();
    (needs.minutes ? $("#d-minutes") : needs.kiosk ? $("#d-kiosk") : $("#d-reason")).focus();
  });
}

/** Manual admission: an unverified check-in with the proctor's reason; the code is shown once. */
async function admit(c, reason) {
  const answer = await api("/api/v1/checkin/admit", { method: "POST", json: { candidate_id: c.candidate_id, reason } });
  if (!answer.ok) { result(fmt(S.failed, { message: answer.data.message || answer.data.error }), "error"); return; }
  result(S.done, "success");
  if (answer.data.checkin) mergeCheckins(c.candidate_id, [answer.data.checkin]);
  showToken(c, answer.data.token);
}

async function candidateAction(action, c) {
  const fields = await ask(action, c.full_name);
  if (!fields) return;
  if (action === "admit") { await admit(c, fields.reason); return; }
  const base = { candidate_id: c.candidate_id };
  const payload = {
    pause: { exam_id: EXAM_ID, room_id: ROOM_ID, ...base, reason: fields.reason },
    resume: { exam_id: EXAM_ID, room_id: ROOM_ID, ...base, reason: fields.reason },
    extend: { ...base, minutes: fields.minutes, reason: fields.reason },
    move: { ...base, kiosk: fields.kiosk, reason: fields.reason },
    terminate: { ...base, reason: fields.reason },
    note: { exam_id: EXAM_ID, room_id: ROOM_ID, ...base, text: fields.reason },
    message: { exam_id: EXAM_ID, room_id: ROOM_ID, ...base, text: fields.reason },
    issue_token: { ...base, reason: fields.reason },
  }[action];
  const ack = await emit(action, payload);
  if (!ack.ok) { result(fmt(S.failed, { message: ack.message || ack.error }), "error"); return; }
  result(S.done, "success");
  if (action === "issue_token") showToken(c, ack.token);
}

async function roomAction(action) {
  let payload = { exam_id: EXAM_ID, room_id: ROOM_ID };
  if (action !== "start_room") {
    const fields = await ask(action, S.all_candidates);
    if (!fields) return;
    payload = ["note", "message"].includes(action) ? { ...payload, text: fields.reason }
      : { ...payload, reason: fields.reason };
  }
  const ack = await emit(action, payload);
  if (!ack.ok) { result(fmt(S.failed, { message: ack.message || ack.error }), "error"); return; }
  if (action === "start_room") setStarted(true);
  else if (action === "pause" || action === "resume") setStarted(true, action === "pause");
  result(S.done, "success");
}

function showToken(c, token) {
  const dialog = $("[data-token-dialog]");
  const url = `${app.dataset.examUrl}#token=${encodeURIComponent(token)}`;
  $("[data-token-title]").textContent = fmt(S.token_title, { name: `${c.full_name} (${c.candidate_number})` });
  $("[data-token-code]").textContent = token;
  const link = $("[data-token-url]");
  link.href = url;
  link.textContent = url;
  dialog.dataset.candidate = c.candidate_id;
  dialog.showModal();
}
$("[data-copy]").addEventListener("click", async (event) => {
  try {
    await navigator.clipboard.writeText($("[data-token-url]").href);
    event.target.textContent = S.copied;
  } catch { /* clipboard refused: the address is on screen */ }
});
for (const button of app.querySelectorAll("[data-room-action]")) {
  button.addEventListener("click", () => roomAction(button.dataset.roomAction));
}

// --- connection ---------------------------------------------------------------------------------------
function connect() {
  if (typeof window.io !== "function") { setTimeout(connect, 100); return; }
  socket = window.io("/proctor", { reconnectionDelayMax: 4000, closeOnBeforeunload: true });
  socket.on("connect", async () => {
    setConn("connecting", S.connecting);
    const ack = await emit("join", { exam_id: EXAM_ID, room_id: ROOM_ID });
    if (!ack.ok) { setConn("error", fmt(S.failed, { message: ack.message || ack.error })); return; }
    const room = ack.room;
    setStarted(room.started, room.paused);
    $("[data-rows]").replaceChildren();
    for (const c of room.candidates) {
      update(c);
      for (const incident of c.incidents || []) addIncident(incident, c.full_name);
    }
    setConn("live", S.live);
    app.dataset.joined = "true";
    loadCheckins();
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
  socket.on("candidate_update", update);
  socket.on("checkin", addCheckin);
  socket.on("incident", (incident) => {
    const entry = candidates.get(incident.candidate_id);
    if (entry) {
      const list = entry.data.incidents || (entry.data.incidents = []);
      if (!list.some((i) => i.id === incident.id)) list.push(incident);
      renderRow(entry);
    }
    addIncident(incident, entry ? entry.data.full_name : "");
  });
  socket.on("room_started", () => setStarted(true));
}
connect();
