// The check-in details of the proctor's room (why a chip check-in is not verified, the chip and
// live photos, the face comparison, every attempt), shown in a dialog from a row's check-in chip.
// They come from the room's check-ins endpoint (fetched on join and again when asked) and from
// the server's `checkin` pushes, merged by id.

import { api, fmt, h, pageStrings } from "./api.js";
import { timeOf } from "./proctor-format.js";

const S = pageStrings();
const checkins = new Map();   // candidate id -> {checkin (latest), history (newest first)}
let unmatched = [];           // check-ins that matched no candidate, newest first
let app = null;
let names = () => "";
let report = () => {};
let shownFor = null;          // the candidate whose details the dialog shows

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
    ? fmt(S.admitted_by, { name: k.actor ? (k.actor.full_name || k.actor.username) : "?", time: timeOf(k.at) })
    : fmt(S.chip_at_kiosk, { kiosk: k.kiosk || "?", time: timeOf(k.at) });
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

function renderDialog() {
  const dialog = app.querySelector("[data-checkin-dialog]");
  if (shownFor === null) return;
  const info = checkins.get(shownFor);
  app.querySelector("[data-checkin-title]").textContent = fmt(S.checkin_of, { name: names(shownFor) });
  const earlier = info ? info.history.slice(1) : [];
  app.querySelector("[data-checkin-body]").replaceChildren(!info || !info.checkin
    ? h("p", { class: "muted", text: S.no_checkin })
    : h("div", { class: "checkin-detail-box", "data-checkin-panel": shownFor }, checkinPanel(info.checkin, true),
      earlier.length ? h("details", { class: "checkin-history", "data-checkin-history": "" },
        h("summary", { text: fmt(S.earlier_attempts, { n: earlier.length }) }),
        earlier.map((k) => checkinPanel(k, false))) : null));
  if (!dialog.open) dialog.showModal();
}

/** Open the details of one candidate's check-ins. */
export function show(candidateId) {
  shownFor = candidateId;
  renderDialog();
}

function renderUnmatched() {
  const box = app.querySelector("[data-unmatched]");
  box.hidden = !unmatched.length;
  app.querySelector("[data-unmatched-list]").replaceChildren(...unmatched.map((k) => h("li", {},
    h("strong", { text: `${(k.card && k.card.full_name) || "?"} (${(k.card && k.card.id_number) || "?"})` }), " ",
    h("span", { class: "muted", text: `${timeOf(k.at)} · ${k.kiosk || ""} · ${(k.reasons || []).join("; ")}` }))));
}

/** The union of two lists of check-ins by id, newest (highest id) first. */
function mergeById(a, b) {
  const all = new Map([...a, ...b].map((k) => [k.id, k]));
  return [...all.values()].sort((x, y) => y.id - x.id);
}

/** Merge attempts into a candidate's history: a push and a fetch may arrive in either order. */
export function merge(candidateId, list) {
  const known = checkins.get(candidateId);
  const history = mergeById(known ? known.history : [], list);
  checkins.set(candidateId, { checkin: history[0] || null, history });
  if (shownFor === candidateId) renderDialog();
}

/** The server's push of one check-in attempt (kiosk or manual admission). */
export function add(k) {
  if (k.candidate_id === null || k.candidate_id === undefined) {
    unmatched = mergeById(unmatched, [k]).slice(0, 20);
    renderUnmatched();
    return;
  }
  merge(k.candidate_id, [k]);
}

let loading = null;
let again = false;
/** Fetch the room's check-ins (one request at a time; a call during a fetch asks for one more). */
export async function load() {
  if (loading) { again = true; return loading; }
  loading = (async () => {
    do {
      again = false;
      const answer = await api(`/api/v1/exams/${app.dataset.examId}/rooms/${app.dataset.roomId}/checkins`);
      if (!answer.ok) { report(answer.data); break; }
      for (const c of answer.data.candidates) merge(c.candidate_id, c.history || []);
      unmatched = mergeById(unmatched, answer.data.unmatched || []).slice(0, 20);
      renderUnmatched();
    } while (again);
  })();
  try { await loading; } finally { loading = null; }
  app.dataset.checkinsLoaded = "true";
  return undefined;
}

export function init(root, { nameOf, failed }) {
  app = root;
  names = nameOf;
  report = failed;
  app.querySelector("[data-checkin-dialog]").addEventListener("close", () => { shownFor = null; });
}
