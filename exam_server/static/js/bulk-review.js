// The review queue's bulk actions: tick items, write one comment, approve them all or send them all
// back. One call to POST /api/v1/review/bulk; the items done are marked like one-by-one reviews,
// the refused ones listed with the server's reason.
import { api, fmt, h, pageStrings } from "./api.js";

const S = pageStrings();
const form = document.getElementById("bulk-review");

function boxes() {
  return [...document.querySelectorAll("input[data-select]")];
}

if (form) {
  const result = form.querySelector("[data-bulk-result]");
  const comment = form.elements.comment;
  const buttons = [...form.querySelectorAll("button[data-bulk]")];
  const say = (kind, ...children) => {
    result.replaceChildren(...children);
    result.className = `action-result ${kind}`;
    result.hidden = false;
  };

  form.querySelector("[data-select-all]").addEventListener("change", (event) => {
    for (const box of boxes()) if (!box.disabled) box.checked = event.target.checked;
  });
  form.addEventListener("submit", (event) => event.preventDefault());

  for (const button of buttons) {
    button.addEventListener("click", async () => {
      const action = button.dataset.bulk;
      const identifiers = boxes().filter((b) => b.checked && !b.disabled).map((b) => b.value);
      const text = comment.value.trim();
      if (!identifiers.length) { say("error", S.select_some); return; }
      if (action === "request_changes" && !text) { say("error", S.comment_required); comment.focus(); return; }
      buttons.forEach((b) => { b.disabled = true; });
      const answer = await api(form.dataset.url, { method: "POST", json: { action, identifiers, comment: text } });
      buttons.forEach((b) => { b.disabled = false; });
      if (!answer.ok) {
        say("error", `${S.action_failed} ${answer.data.message || answer.data.error || answer.status}`);
        return;
      }
      for (const done of answer.data.done) {
        const card = document.querySelector(`.review-card[data-identifier="${CSS.escape(done.identifier)}"]`);
        if (!card) continue;
        card.classList.add("done");
        card.dataset.doneAction = action;
        const box = card.querySelector("input[data-select]");
        box.checked = false;
        box.disabled = true;
        card.querySelectorAll("button[data-action]").forEach((b) => { b.disabled = true; });
      }
      const parts = [h("p", { "data-bulk-done": String(answer.data.done.length),
        text: fmt(S.bulk_done, { n: answer.data.done.length }) })];
      if (answer.data.refused.length) {
        parts.push(h("p", { text: fmt(S.bulk_refused, { n: answer.data.refused.length }) }),
          h("ul", { class: "plain" }, answer.data.refused.map((r) =>
            h("li", { "data-refused": r.identifier }, h("strong", { text: r.identifier }), ` — ${r.message}`))));
      }
      say(answer.data.refused.length ? "error" : "success", ...parts);
    });
  }
}
