// The item bank's read pages: items rendered as students see them (the shared renderer),
// the review workflow buttons, and the import forms. Every write is a call to the JSON API.
import { renderItem, typesetMath } from "./item-render.js";
import { api, h, pageStrings } from "./api.js";
import { followJob, isJob, progressView } from "./jobs.js";

const S = pageStrings();


function describe(error) {
  const hint = S[`err_${error.error}`];
  return hint ? `${hint}: ${error.message}` : error.message || error.error || "";
}

// --- items as students see them -----------------------------------------------------------------

function renderStudentViews() {
  for (const container of document.querySelectorAll("[data-student-view]")) {
    const data = container.querySelector('script[type="application/json"]');
    if (!data) continue;
    renderItem(container, JSON.parse(data.textContent), { interactive: true, strings: S });
  }
  for (const key of document.querySelectorAll(".answer-key")) typesetMath(key);
}

// --- review workflow ----------------------------------------------------------------------------

function wireWorkflow() {
  for (const box of document.querySelectorAll(".workflow[data-item-url]")) {
    const result = box.querySelector("[data-result]");
    const comment = box.querySelector("[data-comment]");
    const buttons = [...box.querySelectorAll("button[data-action]")];
    const say = (text, kind) => {
      result.textContent = text;
      result.className = `action-result ${kind}`;
      result.hidden = false;
    };
    for (const button of buttons) {
      button.addEventListener("click", async () => {
        const action = button.dataset.action;
        const text = comment ? comment.value.trim() : "";
        if (action === "request_changes" && !text) {
          say(S.comment_required, "error");
          comment.focus();
          return;
        }
        buttons.forEach((b) => { b.disabled = true; });
        const answer = await api(`${box.dataset.itemUrl}/${action}`, { method: "POST", json: { comment: text } });
        if (answer.ok) {
          say(S.done, "success");
          if (box.classList.contains("review-card")) {
            box.classList.add("done");
            box.dataset.doneAction = action;
          } else {
            window.location.reload();
          }
          return;
        }
        buttons.forEach((b) => { b.disabled = false; });
        say(`${S.action_failed} ${describe(answer.data)}`, "error");
      });
    }
  }
}

// --- import -------------------------------------------------------------------------------------

function showReport(data, ok) {
  const section = document.getElementById("import-report");
  const target = section.querySelector("[data-report]");
  const itemUrl = section.dataset.itemUrl;
  const parts = [];
  if (data.imported === undefined) {
    parts.push(h("p", { class: "flash error", role: "alert", text: `${S.import_failed} ${describe(data)}` }));
  } else {
    parts.push(h("ul", { class: "report-counts" },
      h("li", { class: "success", "data-count": "imported" }, h("strong", { text: String(data.imported) }), ` ${S.imported}`),
      h("li", { "data-count": "skipped" }, h("strong", { text: String(data.skipped) }), ` ${S.skipped}`),
      h("li", { class: data.errors.length ? "error" : "", "data-count": "errors" },
        h("strong", { text: String(data.errors.length) }), ` ${S.errors}`)));
    if (data.errors.length) {
      parts.push(h("div", { class: "table-wrap" }, h("table", { class: "compact report-errors" },
        h("thead", {}, h("tr", {}, [S.file, S.row, S.field, S.reason].map((t) => h("th", { text: t })))),
        h("tbody", {}, data.errors.map((e) => h("tr", {},
          h("td", { text: e.file ?? "" }), h("td", { class: "num", text: e.row ?? "" }),
          h("td", { text: e.field ?? "" }), h("td", { text: e.reason ?? e.message ?? "" })))))));
    } else {
      parts.push(h("p", { class: "muted", text: S.no_errors }));
    }
    if (data.identifiers && data.identifiers.length) {
      parts.push(h("ul", { class: "plain imported-list" }, data.identifiers.map((id) =>
        h("li", {}, h("a", { href: itemUrl.replace("__ID__", encodeURIComponent(id)), text: id })))));
    }
  }
  target.replaceChildren(...parts);
  section.hidden = false;
  section.classList.toggle("failed", !ok);
  section.scrollIntoView({ behavior: "smooth", block: "start" });
}

function wireImport() {
  for (const form of document.querySelectorAll("form.import-form")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const file = form.querySelector('input[type="file"]');
      if (!file.files.length) {
        showReport({ error: "missing_file", message: S.choose_file }, false);
        return;
      }
      const submit = form.querySelector('button[type="submit"]');
      submit.disabled = true;
      const answer = await api(form.dataset.importUrl, { method: "POST", form: new FormData(form) });
      if (!isJob(answer)) {
        submit.disabled = false;
        showReport(answer.data, answer.ok);
        return;
      }
      // The import runs as a background job: show its progress until it ends, then its report.
      const box = document.getElementById("import-job");
      const job = await followJob(answer.data, { onUpdate: progressView(box, S) });
      submit.disabled = false;
      showReport(job.status === "succeeded" ? job.result : { imported: undefined, ...job.error }, job.status === "succeeded");
    });
  }
}

renderStudentViews();
wireWorkflow();
wireImport();
document.body.dataset.ready = "true";
