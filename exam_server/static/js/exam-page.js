// The student's exam page (docs/protocol.md, namespace /student).
//
// The server is the only clock and the only judge: this page shows what the server says
// (attempt_state, time, paused, ...) and counts down between its ticks for display only.
// Answers: every change gets the next client_seq (kept in localStorage, per attempt) and waits in
// localStorage until the server acknowledges it; unacknowledged events are replayed in seq order
// on every (re)connection, one at a time, so a reload, a kiosk restart or a lost network loses
// nothing the student did.
import { exchange } from "./admission-entry.js";
import { emitWithAck, fmt, h, refusalCode } from "./api.js";
import * as adaptive from "./exam-adaptive.js";
import { renderItem, typesetMath, whenMathReady } from "./item-render.js";

const S = JSON.parse(document.getElementById("i18n").textContent);
const app = document.getElementById("exam-app");
const $ = (sel, root = app) => root.querySelector(sel);
const TOKEN_KEY = "exam.session_token";
const DEVICE_KEY = "exam.device_id";   // one per browser profile: the kiosk, not the attempt
const ACK_TIMEOUT_MS = 10000;
const ANSWER_DEBOUNCE_MS = 350;



// --- state --------------------------------------------------------------------------------------
const state = {
  socket: null,
  token: null,
  attemptId: null,
  status: null,          // the server's attempt status
  paused: false,
  finished: false,
  paper: null,
  attempt: null,         // the attempt_state the paper was rendered from
  questions: new Map(),  // number -> {view, answer, section, navButton, flagButton, flagged}
  order: [],
  current: 0,            // index into order (one-per-page mode)
  mode: "one_per_page",
  remaining: null,       // seconds, as last said by the server
  remainingAt: 0,        // performance.now() when it was said
  flushing: false,
  connected: false,
  submitting: false,
  lastError: null,
  debounce: new Map(),
};

// --- local storage: next seq and unacknowledged events, per attempt --------------------------------
const seqKey = () => `exam.${state.attemptId}.seq`;
const pendingKey = () => `exam.${state.attemptId}.pending`;

function loadPending() {
  try { return JSON.parse(localStorage.getItem(pendingKey()) || "[]"); } catch { return []; }
}
function savePending(list) { localStorage.setItem(pendingKey(), JSON.stringify(list)); }
function nextSeq() {
  const seq = (parseInt(localStorage.getItem(seqKey()) || "0", 10) || 0) + 1;
  localStorage.setItem(seqKey(), String(seq));
  return seq;
}
function queue(event) {
  const list = loadPending();
  list.push(event);
  list.sort((a, b) => a.client_seq - b.client_seq);
  savePending(list);
  updateSaveState();
  flush();
}
function dropPending(seq) {
  savePending(loadPending().filter((e) => e.client_seq !== seq));
}

// --- views --------------------------------------------------------------------------------------
function show(view) {
  for (const node of app.querySelectorAll("[data-view]")) node.hidden = node.dataset.view !== view;
  app.dataset.state = view;
}
function message(text, kind = "info") {
  const p = $("[data-message]");
  p.textContent = text;
  p.dataset.kind = kind;
  show("message");
}
function banner(text, kind = "info", sticky = false) {
  const box = $("[data-banners]");
  const node = h("p", { class: `flash ${kind}`, role: "alert" }, h("span", { text }),
    h("button", { type: "button", class: "link-button", text: S.dismiss, onclick: () => node.remove() }));
  box.append(node);
  if (!sticky) setTimeout(() => node.remove(), 15000);
  return node;
}

function updateSaveState() {
  const el = $("[data-save-state]");
  if (!el) return;
  const pending = (state.attemptId ? loadPending().length : 0) + state.debounce.size;
  let kind; let text;
  if (!state.connected) {
    kind = "offline";
    text = pending ? fmt(S.offline, { n: pending }) : S.offline_saved;
  } else if (state.lastError && pending) {
    kind = "error"; text = S.not_saved;
  } else if (pending) {
    kind = "saving"; text = S.saving;
  } else {
    kind = "saved"; text = S.saved;
  }
  el.dataset.kind = kind;
  el.dataset.pending = String(pending);
  el.textContent = text;
}

// --- the clock (display only) -------------------------------------------------------------------
function setRemaining(seconds) {
  if (typeof seconds !== "number") return;
  state.remaining = seconds;
  state.remainingAt = performance.now();
  tick();
}
function shownRemaining() {
  if (state.remaining === null) return null;
  // The server's clock runs on while this page is offline: keep counting, re-sync on reconnect.
  const running = state.status === "in_progress" && !state.paused && !state.finished;
  const elapsed = running ? (performance.now() - state.remainingAt) / 1000 : 0;
  return Math.max(0, state.remaining - elapsed);
}
/** Stop the displayed clock where it is (a pause): the reading the server gave may be older. */
function freezeClock() {
  const left = shownRemaining();
  if (left === null) return;
  state.remaining = left;
  state.remainingAt = performance.now();
}
function tick() {
  const el = $("[data-timer]");
  const left = shownRemaining();
  if (left === null) { el.textContent = "--:--"; return; }
  const s = Math.ceil(left);
  const hh = Math.floor(s / 3600); const mm = Math.floor((s % 3600) / 60); const ss = s % 60;
  const pad = (n) => String(n).padStart(2, "0");
  el.textContent = hh ? `${hh}:${pad(mm)}:${pad(ss)}` : `${pad(mm)}:${pad(ss)}`;
  el.dataset.seconds = String(s);
  $("[data-timer-box]").dataset.low = s <= 300 ? "true" : "false";
  if (s === 0 && state.status === "in_progress" && !state.finished) $("[data-timer-box]").title = S.time_up_wait;
}
setInterval(tick, 500);

// --- rendering the paper --------------------------------------------------------------------------
function renderPaper(attempt) {
  const paper = attempt.paper;
  state.paper = paper;
  state.mode = paper.exam.delivery_mode === "all_on_page" ? "all_on_page" : "one_per_page";
  app.dataset.mode = state.mode;
  $("[data-exam-title]").textContent = paper.exam.title;
  const who = attempt.candidate || {};
  $("[data-candidate-name]").textContent = who.full_name || "";
  $("[data-candidate]").textContent = paper.candidate_number;
  $("[data-form]").textContent = fmt(S.form, { code: paper.form_code });
  const box = $("[data-questions]");
  const nav = $("[data-qnav]");
  box.replaceChildren();
  nav.replaceChildren();
  state.questions.clear();
  state.order = paper.questions.map((q) => q.number);
  const total = paper.questions.length;
  paper.questions.forEach((q, index) => {
    const flagButton = h("button", { type: "button", class: "button small flag-button", "aria-pressed": "false",
      "data-flag": q.number, text: S.flag, onclick: () => toggleFlag(q.number) });
    const body = h("div", { class: "item-view" });
    const pager = h("div", { class: "pager" },
      h("button", { type: "button", class: "button", "data-prev": "", text: `← ${S.previous}`,
        disabled: index === 0, onclick: () => go(index - 1) }),
      h("button", { type: "button", class: "button", "data-next": "", text: `${S.next} →`,
        disabled: index === total - 1, onclick: () => go(index + 1) }));
    const section = h("section", { class: "card question", id: `q-${q.number}`, "data-question": q.number },
      h("header", { class: "question-head" },
        h("h2", { text: fmt(S.question, { n: q.number }) }),
        h("span", { class: "muted", text: fmt(S.points, { p: q.points }) }),
        flagButton),
      body, pager);
    box.append(section);
    const navButton = h("button", { type: "button", class: "qbtn", "data-nav": q.number, text: String(q.number),
      onclick: () => go(index) });
    nav.append(h("li", {}, navButton));
    const answer = renderItem(body, { type: q.type, stem: q.stem, body: q.body }, {
      interactive: true, strings: S, math: true,
      onChange: () => changed(q.number),
    });
    state.questions.set(q.number, { view: q, answer, section, navButton, flagButton, flagged: false });
  });
  whenMathReady(() => typesetMath(box));
  state.attempt = attempt;
  if (adaptive.isAdaptive(paper)) {     // at the open question (or the last one once done)
    if (!adaptive.fixedCount(paper)) state.current = paper.questions.length - 1;   // a section: from question 1
    const note = adaptive.doneNote(paper, S);
    if (note) box.prepend(h("p", { class: "flash success", "data-adaptive-done": "", text: note }));
  }
}

// Adaptive exams: the answer's ack brought the next question; render again, keeping what is shown.
function adaptiveAck(ack) {
  if (!adaptive.applyAck(state.paper, ack)) return;
  if (ack.next) state.current = state.paper.questions.length - 1;     // on to the new open question
  const shown = new Map([...state.questions].map(([n, q]) => [n, q.answer.getResponse()]));
  renderPaper({ ...state.attempt, paper: state.paper });
  for (const [n, q] of state.questions) if (shown.has(n) && shown.get(n) !== null) q.answer.setResponse(shown.get(n));
  refreshNav();
  setInteractive(!state.paused && !state.finished);
}

function adaptiveConfirm(number) {
  const q = state.questions.get(number);
  if (!q || !q.answer.isAnswered()) return;
  queue({ kind: "answer", question: number, response: q.answer.getResponse(), client_seq: nextSeq() });
  decorateAdaptive();
}

function decorateAdaptive() {
  if (!adaptive.isAdaptive(state.paper)) return;
  const waiting = new Set(loadPending().filter((e) => e.kind === "answer").map((e) => e.question));
  adaptive.decorate(state.paper, state.questions, S, adaptiveConfirm, (n) => waiting.has(n));
}

function restore(attempt) {
  // The server's answers, then this computer's unacknowledged ones on top (newer by seq).
  const shown = {};
  for (const [number, saved] of Object.entries(attempt.answers || {})) {
    shown[number] = { response: saved.response, seq: saved.seq };
  }
  const flags = new Set((attempt.flags || []).map(Number));
  for (const event of loadPending()) {
    const key = String(event.question);
    if (event.kind === "answer" && (!shown[key] || shown[key].seq < event.client_seq)) {
      shown[key] = { response: event.response, seq: event.client_seq };
    } else if (event.kind === "flag") {
      if (event.flagged) flags.add(event.question); else flags.delete(event.question);
    }
  }
  for (const [number, q] of state.questions) {
    const saved = shown[String(number)];
    if (saved) q.answer.setResponse(saved.response);
    setFlag(number, flags.has(number));
  }
  refreshNav();
}

function setFlag(number, flagged) {
  const q = state.questions.get(number);
  if (!q) return;
  q.flagged = flagged;
  q.flagButton.setAttribute("aria-pressed", String(flagged));
  q.flagButton.textContent = flagged ? S.unflag : S.flag;
  q.section.classList.toggle("flagged", flagged);
}

function refreshNav() {
  let answered = 0;
  state.order.forEach((number, index) => {
    const q = state.questions.get(number);
    const isAnswered = q.answer.isAnswered();
    if (isAnswered) answered += 1;
    q.navButton.classList.toggle("answered", isAnswered);
    q.navButton.classList.toggle("flagged", q.flagged);
    const current = state.mode === "one_per_page" && index === state.current;
    q.navButton.classList.toggle("current", current);
    if (current) q.navButton.setAttribute("aria-current", "step"); else q.navButton.removeAttribute("aria-current");
    const labels = [fmt(S.question, { n: number })];
    if (isAnswered) labels.push(S.answered);
    if (q.flagged) labels.push(S.flagged);
    q.navButton.setAttribute("aria-label", labels.join(", "));
    if (state.mode === "one_per_page") q.section.hidden = !current;
  });
  $("[data-progress]").textContent = fmt(S.answered_count, { n: answered, m: state.order.length });
}

function go(index) {
  if (index < 0 || index >= state.order.length) return;
  state.current = index;
  refreshNav();
  const q = state.questions.get(state.order[index]);
  if (state.mode === "all_on_page") q.section.scrollIntoView({ behavior: "smooth", block: "start" });
  else window.scrollTo({ top: 0 });
}

function setInteractive(on) {
  for (const q of state.questions.values()) {
    q.answer.setInteractive(on);
    q.flagButton.disabled = !on;
  }
  $("[data-submit]").disabled = !on;
  if (on) decorateAdaptive();
}

// --- answering ------------------------------------------------------------------------------------
function changed(number) {
  refreshNav();
  if (adaptive.inSection(state.paper, number)) { decorateAdaptive(); return; }   // sent when confirmed
  clearTimeout(state.debounce.get(number));
  state.debounce.set(number, setTimeout(() => {
    state.debounce.delete(number);
    const q = state.questions.get(number);
    queue({ kind: "answer", question: number, response: q.answer.getResponse(), client_seq: nextSeq() });
  }, ANSWER_DEBOUNCE_MS));
  updateSaveState();
}
function flushDebounced() {
  for (const [number, timer] of [...state.debounce]) {
    clearTimeout(timer);
    state.debounce.delete(number);
    const q = state.questions.get(number);
    queue({ kind: "answer", question: number, response: q.answer.getResponse(), client_seq: nextSeq() });
  }
}

function toggleFlag(number) {
  const q = state.questions.get(number);
  setFlag(number, !q.flagged);
  refreshNav();
  queue({ kind: "flag", question: number, flagged: q.flagged, client_seq: nextSeq() });
}

function emit(event, payload) {
  return emitWithAck(state.socket, event, payload, { timeoutMs: ACK_TIMEOUT_MS, connected: state.connected });
}

const PERMANENT = new Set(["bad_event", "unknown_question", "invalid_response", "question_closed"]);

/** Send the unacknowledged events one at a time, lowest seq first. */
async function flush() {
  if (state.flushing || !state.connected || state.attemptId === null) return;
  state.flushing = true;
  try {
    for (;;) {
      if (!state.connected || state.finished) break;
      const [event] = loadPending();
      if (!event) break;
      const payload = event.kind === "answer"
        ? { question: event.question, response: event.response, client_seq: event.client_seq }
        : { question: event.question, flagged: event.flagged, client_seq: event.client_seq };
      const ack = await emit(event.kind, payload);
      if (ack.ok) {
        state.lastError = null;
        dropPending(event.client_seq);
        if (event.kind === "answer") adaptiveAck(ack);
      } else if (PERMANENT.has(ack.error)) {
        dropPending(event.client_seq);
        banner(fmt(S.refused, { q: event.question, message: ack.message || ack.error }), "error", true);
      } else if (ack.error === "attempt_not_active") {
        // Paused or finished: kept, and the refusal carries the state, so the page shows the
        // pause even when the server's push has not arrived (docs/protocol.md).
        state.lastError = ack.error;
        if (ack.state && ack.state.paused && state.status !== "paused") {
          freezeClock();
          state.status = "paused";
          setPaused(true, null);
        }
        break;
      } else {
        state.lastError = ack.error;
        updateSaveState();
        await new Promise((r) => setTimeout(r, ack.error === "rate_limited" ? 2000 : 1000));
      }
      updateSaveState();
    }
  } finally {
    state.flushing = false;
    updateSaveState();
    decorateAdaptive();
  }
}

// --- submit ----------------------------------------------------------------------------------------
async function submit() {
  if (state.submitting || state.finished) return;
  if (!state.connected) { banner(S.submit_offline, "warning"); return; }
  flushDebounced();
  const unanswered = state.order.filter((n) => !state.questions.get(n).answer.isAnswered());
  const flagged = state.order.filter((n) => state.questions.get(n).flagged);
  const body = $("[data-confirm-body]");
  // replaceChildren() writes a null argument as the text "null": pass only the paragraphs shown.
  const paragraphs = [
    h("p", { "data-unanswered": unanswered.join(","),
      text: unanswered.length ? fmt(S.confirm_unanswered, { list: unanswered.map((n) => fmt(S.question, { n })).join(", ") })
        : S.confirm_all })];
  if (flagged.length) {
    paragraphs.push(h("p", { "data-flagged": flagged.join(","),
      text: fmt(S.confirm_flagged, { list: flagged.map((n) => fmt(S.question, { n })).join(", ") }) }));
  }
  paragraphs.push(h("p", { class: "muted", text: S.confirm_final }));
  body.replaceChildren(...paragraphs);
  const dialog = $("[data-confirm]");
  dialog.returnValue = "";
  dialog.showModal();
  const choice = await new Promise((r) => dialog.addEventListener("close", () => r(dialog.returnValue), { once: true }));
  if (choice !== "yes") return;
  state.submitting = true;
  const note = banner(S.submit_waiting, "info", true);
  try {
    const started = Date.now();
    while (loadPending().length && state.connected && Date.now() - started < 30000) {
      flush();
      await new Promise((r) => setTimeout(r, 200));
    }
    if (loadPending().length) { banner(S.submit_offline, "warning"); return; }
    const ack = await emit("submit", {});
    if (ack.ok) finish("submitted", S.submitted);
    else banner(fmt(S.submit_failed, { message: ack.message || ack.error }), "error", true);
  } finally {
    note.remove();
    state.submitting = false;
  }
}

function finish(status, text) {
  state.finished = true;
  state.status = status;
  setInteractive(false);
  if (state.socket) state.socket.disconnect();
  sessionStorage.removeItem(TOKEN_KEY);
  message(text, status === "submitted" ? "success" : "warning");
  app.dataset.finished = status;
}

// --- the server's events --------------------------------------------------------------------------
function onAttemptState(attempt) {
  // Buffered events reach us before the library's "connect" event: this one proves the link.
  state.connected = Boolean(state.socket && state.socket.connected);
  const first = state.attemptId !== attempt.attempt_id || !state.paper;
  state.attemptId = attempt.attempt_id;
  // The seq continues after the highest the server or this computer has seen.
  const stored = parseInt(localStorage.getItem(seqKey()) || "0", 10) || 0;
  if ((attempt.last_seq || 0) > stored) localStorage.setItem(seqKey(), String(attempt.last_seq));
  state.status = attempt.status;
  if (["submitted", "closed", "terminated"].includes(attempt.status)) {
    finish(attempt.status, attempt.status === "submitted" ? S.submitted : attempt.status === "closed" ? S.closed : S.finished);
    return;
  }
  if (!attempt.paper) {   // not started: the questions stay on the server until the room starts
    showInstructions(attempt);
    app.dataset.waiting = "true";
    return;
  }
  delete app.dataset.waiting;
  if (first || !state.paper || adaptive.grew(state.paper, attempt.paper)) renderPaper(attempt);
  restore(attempt);
  show("exam");
  setPaused(Boolean(attempt.paused) || attempt.status === "paused", attempt.pause_reason);
  setRemaining(attempt.remaining_seconds);
  updateSaveState();
  flush();
}

// Before the room starts: who the page is for and the rules (the template's text), not an empty exam.
function showInstructions(attempt) {
  const who = attempt.candidate || {};
  $("[data-waiting-name]").textContent = who.full_name || "";
  $("[data-waiting-number]").textContent = who.candidate_number || "";
  $("[data-duration]").textContent = String(Math.ceil((attempt.remaining_seconds || 0) / 60));
  show("waiting");
  showPortrait();
}

// The chip portrait of this candidate's own check-in (when checked in by chip), asked with the
// session token; nothing is shown when there is none.
async function showPortrait() {
  const img = $("[data-waiting-portrait]");
  if (img.dataset.loaded || !state.token) return;
  img.dataset.loaded = "asked";
  try {
    const response = await fetch("/api/v1/checkin/own-portrait", { method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: state.token }) });
    if (!response.ok) return;
    img.src = URL.createObjectURL(await response.blob());
    img.hidden = false;
  } catch { /* no portrait: the name and number are enough */ }
}

function setPaused(paused, reason) {
  state.paused = paused;
  const veil = $("[data-pause]");
  veil.hidden = !paused;
  $("[data-pause-text]").textContent = reason ? fmt(S.paused, { reason }) : S.paused_plain;
  setInteractive(!paused && !state.finished);
  tick();
}

function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

function connect() {
  if (typeof window.io !== "function") { setTimeout(connect, 100); return; }
  show(state.paper ? "exam" : "message");
  if (!state.paper) message(S.connecting);
  // The device id lets this browser take its own slot back at once after a reload or a dropped
  // network (docs/protocol.md, "Connection slots"); websocket first: no long-polling round trips.
  const socket = window.io("/student", { auth: { token: state.token, device: deviceId() },
    reconnectionDelayMax: 4000, transports: ["websocket", "polling"], closeOnBeforeunload: true });
  state.socket = socket;
  socket.on("connect", () => { state.connected = true; updateSaveState(); flush(); });
  socket.on("disconnect", (reason) => {
    state.connected = false;
    updateSaveState();
    tick();
    // A disconnect by the server (moved, finished) is not retried by the client library.
    if (reason === "io server disconnect" && !state.finished) setTimeout(() => socket.connect(), 3000);
  });
  socket.on("connect_error", (err) => {
    state.connected = false;
    const code = refusalCode(err);
    if (code === "bad_token") {
      sessionStorage.removeItem(TOKEN_KEY);
      socket.disconnect();
      askToken(S.bad_token);
      return;
    }
    if (code === "attempt_finished") { socket.disconnect(); finish("finished", S.attempt_finished); return; }
    const text = ["already_connected", "exam_not_open", "server_busy"].includes(code) ? S[code]
      : fmt(S.connect_failed, { error: code || (err && err.message) || "?" });
    if (state.paper) { updateSaveState(); $("[data-save-state]").title = text; } else message(text, "warning");
    // A refusal by the server is not retried by the client library: retry here. A busy server
    // says when; the wait is spread (0.5x-1.5x) so a room's screens do not come back together.
    const busyMs = 1000 * ((err && err.data && err.data.retry_after_seconds) || 5) * (0.5 + Math.random());
    if (code) setTimeout(() => { if (!state.finished && !socket.connected) socket.connect(); },
      code === "exam_not_open" ? 15000 : code === "server_busy" ? busyMs : 3000);
  });
  socket.on("attempt_state", onAttemptState);
  socket.onAny((event) => { (window.examLog ||= []).push(event); });
  socket.on("time", (data) => {
    if (data.status) state.status = data.status;
    setRemaining(data.remaining_seconds);
  });
  socket.on("paused", (data) => {
    freezeClock();   // the paused event carries no time: keep what was shown, not the last server reading
    state.status = "paused";
    setPaused(true, data && data.reason);
  });
  socket.on("resumed", (data) => {
    state.status = "in_progress";
    setPaused(false);
    setRemaining(data && data.remaining_seconds);
    banner(S.resumed, "success");
    flush();
  });
  socket.on("time_extended", (data) => {
    setRemaining(data.remaining_seconds);
    banner(fmt(S.extended, { n: Math.round((data.added_seconds || 0) / 60) }), "success", true);
  });
  socket.on("terminated", (data) => finish("terminated", fmt(S.terminated, { reason: (data && data.reason) || "" })));
  socket.on("closed", () => finish("closed", S.closed));
  // A new check-in (another kiosk, or a code from the proctor) replaced this screen's session.
  socket.on("session_replaced", () => finish("replaced", S.session_replaced));
  socket.on("moved", (data) => {
    setInteractive(false);
    banner(fmt(S.moved, { kiosk: (data && data.kiosk) || "" }), "warning", true);
  });
  socket.on("notice", (data) => banner(`${S.notice}: ${(data && data.text) || ""}`, "info", true));
}

// Browsers and kiosks say when the network goes: show it at once, reconnect when it is back.
window.addEventListener("offline", () => {
  if (state.socket && state.socket.connected) state.socket.disconnect();
  state.connected = false;
  updateSaveState();
});
window.addEventListener("online", () => {
  if (state.socket && !state.socket.connected && !state.finished) state.socket.connect();
});

// Focus loss: reported with its duration when the student comes back.
let lostAt = null;
function lost() { if (lostAt === null && state.status === "in_progress" && !state.finished) lostAt = performance.now(); }
function back() {
  if (lostAt === null) return;
  const seconds = Math.round((performance.now() - lostAt) / 100) / 10;
  lostAt = null;
  emit("focus_lost", { seconds });
}
document.addEventListener("visibilitychange", () => (document.hidden ? lost() : back()));
window.addEventListener("blur", lost);
window.addEventListener("focus", back);

// --- the session token ----------------------------------------------------------------------------
function askToken(error) {
  show("token");
  const err = $("[data-token-error]");
  err.hidden = !error;
  err.textContent = error || "";
  $("#session-token").focus();
}
$("[data-token-form]").addEventListener("submit", async (event) => {
  event.preventDefault();
  const typed = $("#session-token").value.trim();
  if (!typed) return;
  const { token, error } = await exchange($("#candidate-number").value.trim(), typed);   // admission-entry.js
  if (!token) { askToken(error); return; }
  sessionStorage.setItem(TOKEN_KEY, token);
  start(token);
});
$("[data-submit]").addEventListener("click", submit);

function start(token) {
  state.token = token;
  if (state.socket) { state.socket.removeAllListeners(); state.socket.disconnect(); }
  connect();
}

const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get("token")) {
  sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
  history.replaceState(null, "", location.pathname + location.search);   // not left on screen
}
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved); else askToken();

// For tests and support: what is waiting to be sent.
window.examPage = {
  state,
  pending: () => [...(state.attemptId === null ? [] : loadPending()), ...[...state.debounce.keys()].map((q) => ({ question: q }))],
};
