// The admin's exam pages (templates/exams/): every action goes to the exams and check-in JSON APIs
// with api.js (session cookie + CSRF token). After a success the affected parts of the page
// (<section data-section>) are fetched again from the server and swapped in; a refusal leaves the
// form as it is and shows the API's message (and, for a roster, its per-row report).
import { api, fmt, pageStrings } from "./api.js";
import { describeJob, followJob, isJob } from "./jobs.js";

const S = pageStrings();
const page = document.getElementById("exam-page");
const examId = page ? Number(page.dataset.examId) : null;

function message(answer) {
  const data = answer.data || {};
  return fmt(S.failed || "{message}", { message: data.message || data.error || answer.status });
}

function statusOf(node) {
  return node ? node.querySelector("[data-status]") : null;
}

function say(node, text, isError = false) {
  if (!node) return;
  node.textContent = text;
  node.classList.toggle("error", isError);
}

// --- times: datetime-local inputs are in the site's zone (TIME_ZONE, named next to each input's
// label, data-zone on the input), whatever the browser's zone; the API wants ISO 8601 with a zone ---

function pad(n) { return String(n).padStart(2, "0"); }

function wallParts(ms, zone) {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit",
    day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(ms));
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return { year: +p.year, month: +p.month, day: +p.day, hour: +p.hour % 24, minute: +p.minute, second: +p.second };
}

// The zone's offset from UTC at that instant, in milliseconds.
function zoneOffsetMs(ms, zone) {
  const p = wallParts(ms, zone);
  const seconds = Math.floor(ms / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - seconds;
}

function toLocalInput(iso, zone) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  if (!zone) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  const p = wallParts(d.getTime(), zone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

function fromLocalInput(value, zone) {
  if (!value) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
  if (!zone || !m) {
    const d = new Date(value);           // a datetime-local value without a zone is the browser's time
    return Number.isNaN(d.getTime()) ? value : d.toISOString();
  }
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  // Twice: the offset at the first guess may differ across a daylight-saving change.
  const guess = wall - zoneOffsetMs(wall, zone);
  return new Date(wall - zoneOffsetMs(guess, zone)).toISOString();
}

function fillTimes(root) {
  for (const input of root.querySelectorAll("input[data-utc]")) {
    if (!input.value) input.value = toLocalInput(input.dataset.utc, input.dataset.zone);
  }
}

function examBody(form) {
  const value = (name) => form.elements[name] ? form.elements[name].value : "";
  const when = (name) => fromLocalInput(value(name), form.elements[name] && form.elements[name].dataset.zone);
  const whole = (name) => (value(name).trim() === "" ? null : Number(value(name)));
  return {
    title: value("title"), subject: value("subject"), grade: whole("grade"),
    opens_at: when("opens_at"), closes_at: when("closes_at"),
    duration_minutes: whole("duration_minutes"), delivery_mode: value("delivery_mode"),
    ...(form.elements.score_rounding ? { score_rounding: value("score_rounding") } : {}),
    ...(form.elements.adaptive ? { adaptive: adaptiveRules(form, whole) } : {}),
  };
}

// An adaptive exam's rules (docs/protocol.md, "Adaptive exams"), or null for a fixed-form exam.
function adaptiveRules(form, whole) {
  const value = (name) => (form.elements[name] ? form.elements[name].value : "");
  if (!form.elements.adaptive.checked) return null;
  const rules = { max_items: whole("adaptive_max_items"), min_items: whole("adaptive_min_items") };
  const se = form.elements.adaptive_se_target.value.trim();
  rules.se_target = se === "" ? null : Number(se);
  if (form.elements.adaptive_exposure && value("adaptive_exposure") === "sympson_hetter") {
    rules.exposure = "sympson_hetter";
    rules.exposure_rate = Number(value("adaptive_exposure_rate"));
  }
  // Rows as the blueprint form numbers them (from 1); the API's are 0-based. A word that is not a
  // number goes as it is: the server's 422 names the field.
  const rows = value("adaptive_section").split(/[\s,;]+/).filter(Boolean);
  if (rows.length) rules.section = rows.map((r) => (/^\d+$/.test(r) ? Number(r) - 1 : r));
  return rules;
}

// --- proctors by username --------------------------------------------------------------------

function proctorIds(text) {
  const known = new Map([...document.querySelectorAll("#proctor-usernames option")]
    .map((o) => [o.value.toLowerCase(), Number(o.dataset.id)]));
  const ids = [];
  for (const name of text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean)) {
    const id = known.get(name.toLowerCase());
    if (id === undefined) return { error: fmt(S.unknown_proctor || "{name}", { name }) };
    ids.push(id);
  }
  return { ids };
}

// --- reloading parts of the page ---------------------------------------------------------------
// "head" holds the lifecycle and the draft's checklist ("before it can be published"): every form
// that changes a step of it (rooms, proctors, roster, blueprint) refreshes it too.

async function refresh(sections) {
  const response = await fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) { window.location.reload(); return; }
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const names = sections === "all" ? [...document.querySelectorAll("[data-section]")].map((s) => s.dataset.section) : sections;
  for (const name of names) {
    const old = document.querySelector(`[data-section="${name}"]`);
    const replacement = fresh.querySelector(`[data-section="${name}"]`);
    if (old && replacement) old.replaceWith(document.importNode(replacement, true));
  }
  fillTimes(document);
}

/** An answer that started a background job (202) becomes the job's outcome, its progress shown in
 * `status` meanwhile: {ok, data: result} when it succeeded, {ok: false, data: error} when not. */
async function finished(answer, status) {
  if (!isJob(answer)) return answer;
  const job = await followJob(answer.data, { onUpdate: (j) => say(status, describeJob(j, S)) });
  if (job.status === "succeeded") return { ok: true, status: 200, data: job.result || {} };
  return { ok: false, status: (job.error && job.error.status) || 500, data: job.error || { message: job.message } };
}

/** Run an API call for a form or button; on success refresh `sections` and say `done` where the
 * control now is (found again by `locate` after the swap). */
async function act(control, call, { sections = "all", done, locate } = {}) {
  const status = statusOf(control.closest("[data-form]")) || document.querySelector("[data-revoke-status]");
  const buttons = control.querySelectorAll ? [...control.querySelectorAll("button"), control] : [control];
  for (const b of buttons) if (b.tagName === "BUTTON") b.disabled = true;
  say(status, S.working || "…");
  const answer = await finished(await call(), status);
  if (!answer.ok) {
    for (const b of buttons) if (b.tagName === "BUTTON") b.disabled = false;
    say(status, message(answer), true);
    return answer;
  }
  await refresh(sections);
  const where = locate ? locate() : null;
  say(statusOf(where) || (where && where.matches && where.matches("[data-status]") ? where : null),
      typeof done === "function" ? done(answer) : (done || S.done || ""));
  return answer;
}

// --- the list page: a new exam ------------------------------------------------------------------

const createForm = document.querySelector('[data-form="create"]');
if (createForm) {
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = statusOf(createForm);
    const button = createForm.querySelector('button[type="submit"]');
    button.disabled = true;
    say(status, S.working || "…");
    const answer = await api("/api/v1/exams", { method: "POST", json: examBody(createForm) });
    if (answer.ok) {
      window.location.assign(`/admin/exams/${answer.data.id}`);
    } else {
      button.disabled = false;
      say(status, message(answer), true);
    }
  });
}

// --- the exam page: one delegated handler per kind of action -------------------------------------

function rowErrors(form, errors) {
  const list = form.querySelector("[data-errors]");
  if (!list) return;
  list.replaceChildren();
  for (const e of errors || []) {
    const li = document.createElement("li");
    li.dataset.rowError = String(e.row ?? "");
    li.textContent = fmt(S.row_error || "{row} {field}: {reason}", { row: e.row ?? "–", field: e.field ?? "–", reason: e.reason });
    list.appendChild(li);
  }
  list.hidden = !list.children.length;
}

const base = `/api/v1/exams/${examId}`;
const byForm = `[data-form]`;

const handlers = {
  settings: (form) => act(form, () => api(base, { method: "PUT", json: examBody(form) }),
    { sections: "all", locate: () => document.querySelector('[data-form="settings"]') }),

  room: (form) => {
    const proctors = proctorIds(form.elements.proctors.value);
    if (proctors.error) { say(statusOf(form), proctors.error, true); return null; }
    const kiosks = form.elements.kiosk_count.value.trim();
    return act(form, () => api(`${base}/rooms`, {
      method: "POST",
      json: { name: form.elements.name.value, kiosk_count: kiosks === "" ? 0 : Number(kiosks), proctor_ids: proctors.ids },
    }), { sections: ["rooms", "kiosks", "head"], locate: () => document.querySelector('[data-form="room"]') });
  },

  proctors: (form) => {
    const proctors = proctorIds(form.elements.proctors.value);
    if (proctors.error) { say(statusOf(form), proctors.error, true); return null; }
    const room = form.dataset.room;
    return act(form, () => api(`${base}/rooms/${room}/proctors`, { method: "PUT", json: { proctor_ids: proctors.ids } }),
      { sections: ["rooms", "head"], locate: () => document.querySelector(`[data-form="proctors"][data-room="${room}"]`) });
  },

  roster: async (form) => {
    const file = form.elements.file.files[0];
    rowErrors(form, []);
    if (!file) { say(statusOf(form), S.no_file || "", true); return; }
    const body = new FormData();
    body.append("file", file, file.name);
    const answer = await act(form, () => api(`${base}/roster`, { method: "POST", form: body }), {
      sections: ["roster", "head"], locate: () => document.querySelector('[data-form="roster"]'),
      done: (a) => fmt(S.imported || "{n}", { n: a.data.imported }),
    });
    if (!answer.ok) rowErrors(form, answer.data.errors);
  },

  blueprint: (form) => {
    let blueprint;
    try { blueprint = JSON.parse(form.elements.blueprint.value); } catch {
      say(statusOf(form), S.bad_json || "", true);
      return null;
    }
    return act(form, () => api(`${base}/blueprint`, { method: "PUT", json: blueprint }),
      { sections: ["forms", "head"], locate: () => document.querySelector('[data-form="blueprint"]') });
  },

  assemble: (form) => {
    const overlap = form.elements.max_overlap.value.trim();
    const json = { forms: Number(form.elements.forms.value || 1) };
    if (overlap !== "") json.max_overlap = Number(overlap);
    return act(form, () => api(`${base}/assemble`, { method: "POST", json }),
      { sections: "all", locate: () => document.querySelector('[data-form="lifecycle"]') });
  },

  kiosk: (form) => {
    const room = Number(form.dataset.room);
    return act(form, () => api("/api/v1/checkin/kiosks", {
      method: "POST",
      json: { exam_id: examId, room_id: room, name: form.elements.name.value, public_key: form.elements.public_key.value },
    }), { sections: ["kiosks"], locate: () => document.querySelector(`[data-form="kiosk"][data-room="${room}"]`) });
  },
};

if (page) {
  fillTimes(document);

  page.addEventListener("submit", (event) => {
    const form = event.target.closest(byForm);
    if (!form || !handlers[form.dataset.form]) return;
    event.preventDefault();
    handlers[form.dataset.form](form);
  });

  page.addEventListener("click", (event) => {
    const transition = event.target.closest("[data-transition]");
    if (transition) {
      const action = transition.dataset.transition;
      if (action === "reopen" && !window.confirm(S.confirm_reopen || "?")) return;
      if (action === "close" && !window.confirm(S.confirm_close || "?")) return;
      act(transition, () => api(`${base}/${action}`, { method: "POST" }),
        { sections: "all", locate: () => document.querySelector('[data-form="lifecycle"]') });
      return;
    }
    const revoke = event.target.closest("[data-revoke]");
    if (revoke) {
      if (!window.confirm(S.confirm_revoke || "?")) return;
      act(revoke, () => api("/api/v1/checkin/kiosks/revoke", { method: "POST", json: { kiosk: Number(revoke.dataset.revoke) } }),
        { sections: ["kiosks"], locate: () => document.querySelector("[data-revoke-status]") });
    }
  });

  // A .pem file chosen for a kiosk fills the key field (the key is sent as text).
  page.addEventListener("change", async (event) => {
    const input = event.target.closest("[data-key-file]");
    if (!input || !input.files[0]) return;
    const form = input.closest('[data-form="kiosk"]');
    form.elements.public_key.value = (await input.files[0].text()).trim();
  });
}
