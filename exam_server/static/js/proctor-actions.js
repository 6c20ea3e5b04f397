// The proctor's actions: a candidate's menu (only what the candidate's state allows; terminating
// apart, at the end, and confirmed), the room's buttons (enabled only when legal: start once,
// pause only when running, resume only when paused), the dialog that asks for the action's
// fields, and the admission code (short, shown once, typed by the candidate on the exam page).

import { api, emitWithAck, fmt, h, pageStrings } from "./api.js";
import { timeOf } from "./proctor-format.js";

const S = pageStrings();
const ACK_TIMEOUT_MS = 10000;
// What each state allows (the server's transitions, docs/protocol.md); the last group is destructive.
const MENU = {
  not_arrived: [["admit", "note"], []],
  checked_in: [["admit", "move", "message", "note"], ["terminate"]],
  in_progress: [["pause", "extend", "move", "message", "admit", "note"], ["terminate"]],
  paused: [["resume", "extend", "move", "message", "admit", "note"], ["terminate"]],
  submitted: [["note"], []], closed: [["note"], []], terminated: [["note"], []],
};
const NEEDS = {
  pause: { reason: true, required: true }, resume: { reason: true }, extend: { minutes: true, reason: true, required: true },
  move: { kiosk: true, reason: true, required: true }, terminate: { reason: true, required: true, danger: true },
  note: { reason: true, required: true, text: true }, message: { reason: true, required: true, text: true },
  admit: { reason: true, required: true },
};

let app = null;
let socket = () => null;
let rowOf = () => null;
let showCheckin = () => {};
const room = { started: false, paused: false };
const $ = (sel, root = app) => root.querySelector(sel);

export function emit(event, payload) {
  return emitWithAck(socket(), event, payload, { timeoutMs: ACK_TIMEOUT_MS, offlineMessage: S.disconnected });
}

export function result(text, kind) {
  const el = $("[data-result]");
  el.textContent = text;
  el.className = `flash ${kind}`;
  el.hidden = false;
  clearTimeout(result.timer);
  result.timer = setTimeout(() => { el.hidden = true; }, 8000);
}
export const failed = (data) => result(fmt(S.failed, { message: (data && (data.message || data.error)) || "?" }), "error");

// --- the room ---------------------------------------------------------------------------------------
/** The room's state badge and which room buttons are legal now. */
export function setRoom(started, paused = room.paused) {
  room.started = Boolean(started);
  room.paused = room.started && Boolean(paused);
  const badge = $("[data-room-state]");
  badge.textContent = !room.started ? S.room_not_started : room.paused ? S.room_paused : S.room_started;
  badge.className = `badge ${room.paused ? "warn" : room.started ? "ok" : ""}`;
  badge.dataset.paused = String(room.paused);
  const legal = { start_room: !room.started, pause: room.started && !room.paused, resume: room.paused };
  for (const [action, ok] of Object.entries(legal)) {
    const button = $(`[data-room-action="${action}"]`);
    button.disabled = !ok;
    button.hidden = action === "resume" ? !room.paused : action === "pause" ? room.paused : false;
  }
}

async function roomAction(action) {
  let payload = { exam_id: Number(app.dataset.examId), room_id: Number(app.dataset.roomId) };
  if (action !== "start_room") {
    const fields = await ask(action, S.all_candidates);
    if (!fields) return;
    payload = ["note", "message"].includes(action) ? { ...payload, text: fields.reason } : { ...payload, reason: fields.reason };
  }
  const ack = await emit(action, payload);
  if (!ack.ok) { failed(ack); return; }
  if (action === "start_room") setRoom(true, false);
  else if (action === "pause" || action === "resume") setRoom(true, action === "pause");
  result(S.done, "success");
}

// --- the dialog ---------------------------------------------------------------------------------------
/** Ask for the action's fields; resolves with them, or null when cancelled. */
function ask(action, who) {
  const dialog = $("[data-dialog]");
  const needs = NEEDS[action] || {};
  $("[data-dialog-title]").textContent = fmt(S.for_candidate, { action: S[action] || action, name: who });
  for (const field of ["minutes", "kiosk", "reason"]) $(`[data-f="${field}"]`, dialog).hidden = !needs[field];
  $("[data-dialog-warning]").hidden = !needs.danger;
  $("[data-reason-label]").textContent = needs.text ? S.text : S.reason;
  $("#d-reason").value = "";
  $("#d-kiosk").value = "";
  $("#d-minutes").value = "5";
  const ok = $("[data-dialog-ok]");
  ok.textContent = needs.danger ? S.terminate_confirm : S.confirm;
  ok.className = `button ${needs.danger ? "danger" : "primary"}`;
  const error = $("[data-dialog-error]");
  error.hidden = true;
  dialog.dataset.action = action;
  dialog.returnValue = "";
  return new Promise((resolve) => {
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

// --- a candidate --------------------------------------------------------------------------------------
/** Manual admission: a short code, bound to the candidate, shown once (the server keeps a hash). */
async function admit(c, reason) {
  const answer = await api("/api/v1/admission/codes", { method: "POST", json: { candidate_id: c.candidate_id, reason } });
  if (!answer.ok) { failed(answer.data); return; }
  const dialog = $("[data-code-dialog]");
  $("[data-code-for]").textContent = fmt(S.code_title, { name: c.full_name, number: c.candidate_number });
  $("[data-code]").textContent = answer.data.code;
  $("[data-code-expiry]").textContent = fmt(S.code_valid_until, { time: timeOf(answer.data.expires_at),
    minutes: Math.round(answer.data.ttl_seconds / 60) });
  dialog.dataset.candidate = c.candidate_id;
  dialog.showModal();
}

async function candidateAction(action, c) {
  if (action === "checkin") { showCheckin(c.candidate_id); return; }
  const fields = await ask(action, `${c.full_name} (${c.candidate_number})`);
  if (!fields) return;
  if (action === "admit") { await admit(c, fields.reason); return; }
  const ids = { exam_id: Number(app.dataset.examId), room_id: Number(app.dataset.roomId), candidate_id: c.candidate_id };
  const payload = {
    pause: { ...ids, reason: fields.reason },
    resume: { ...ids, reason: fields.reason },
    extend: { ...ids, minutes: fields.minutes, reason: fields.reason },
    move: { ...ids, kiosk: fields.kiosk, reason: fields.reason },
    terminate: { ...ids, reason: fields.reason },
    note: { ...ids, text: fields.reason },
    message: { ...ids, text: fields.reason },
  }[action];
  const ack = await emit(action, payload);
  if (!ack.ok) { failed(ack); return; }
  result(S.done, "success");
}

// --- the menu -------------------------------------------------------------------------------------------
let menuFor = null;
let menuButton = null;
let openedAt = 0;

export function closeMenu(focusBack = false) {
  const menu = $("[data-menu]");
  menu.hidden = true;
  if (menuButton) {
    menuButton.setAttribute("aria-expanded", "false");
    if (focusBack) menuButton.focus();
  }
  menuFor = null;
  menuButton = null;
}

/** Open a candidate's menu under (or above) its button: only the actions the state allows. */
export function openMenu(candidateId, button) {
  if (menuFor === candidateId) { closeMenu(); return; }
  closeMenu();
  const c = rowOf(candidateId);
  if (!c) return;
  const menu = $("[data-menu]");
  const [normal, danger] = MENU[c.state] || [["note"], []];
  const item = (action, cls = "") => h("button", { type: "button", role: "menuitem", class: `menu-item ${cls}`,
    "data-action": action, "data-candidate": candidateId, text: S[action] || action,
    onclick: () => { closeMenu(); candidateAction(action, rowOf(candidateId) || c); } });
  const items = normal.map((a) => item(a));
  if (c.checkin && c.checkin.method) items.push(item("checkin"));
  menu.replaceChildren(h("div", { class: "menu-head", text: `${c.candidate_number} · ${c.full_name}` }), ...items,
    danger.length ? h("div", { class: "menu-danger", role: "group", "aria-label": S.danger_zone },
      danger.map((a) => item(a, "danger"))) : null);
  menu.dataset.candidate = candidateId;
  menu.dataset.state = c.state;
  menu.hidden = false;
  const box = button.getBoundingClientRect();
  const height = menu.offsetHeight;
  const below = box.bottom + height + 8 < window.innerHeight;
  menu.style.top = `${Math.max(4, below ? box.bottom + 2 : box.top - height - 2)}px`;
  menu.style.left = `${Math.max(4, Math.min(window.innerWidth - menu.offsetWidth - 8, box.right - menu.offsetWidth))}px`;
  button.setAttribute("aria-expanded", "true");
  menuFor = candidateId;
  menuButton = button;
  openedAt = performance.now();
  menu.querySelector("[role=menuitem]").focus();
}

function menuKeys(event) {
  const items = [...$("[data-menu]").querySelectorAll("[role=menuitem]")];
  const at = items.indexOf(document.activeElement);
  if (event.key === "Escape") { event.preventDefault(); closeMenu(true); }
  else if (event.key === "ArrowDown") { event.preventDefault(); items[(at + 1) % items.length].focus(); }
  else if (event.key === "ArrowUp") { event.preventDefault(); items[(at - 1 + items.length) % items.length].focus(); }
  else if (event.key === "Tab") closeMenu();
}

export function init(root, { socketOf, candidateOf, checkin }) {
  app = root;
  socket = socketOf;
  rowOf = candidateOf;
  showCheckin = checkin;
  for (const button of app.querySelectorAll("[data-room-action]")) {
    button.addEventListener("click", () => roomAction(button.dataset.roomAction));
  }
  const menu = $("[data-menu]");
  menu.addEventListener("keydown", menuKeys);
  document.addEventListener("click", (event) => {
    if (menuFor !== null && !menu.contains(event.target) && !event.target.closest("[data-menu-toggle]")) closeMenu();
  });
  window.addEventListener("resize", () => closeMenu());
  // The menu is fixed: a scroll would leave it behind (not the scroll that brought its button into view).
  window.addEventListener("scroll", () => { if (performance.now() - openedAt > 300) closeMenu(); }, { passive: true });
}
