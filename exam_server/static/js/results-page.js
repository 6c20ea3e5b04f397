// The blind essay queue (templates/results/essays.html): each form posts its criteria points and
// comment to /api/v1/essay-scores; a saved essay stays on screen, locked, with "saved" and the mark
// given (after a reload it is listed under "Marked by you"); a refusal shows the server's message.
import { api, fmt, pageStrings } from "./api.js";

const S = pageStrings();

function checkEmpty() {
  const queue = document.getElementById("essay-queue");
  if (queue && !queue.querySelector("[data-essay]:not([data-saved])") && !queue.querySelector(".empty")) {
    const empty = document.createElement("div");
    empty.className = "empty card";
    const p = document.createElement("p");
    p.textContent = S.empty || "";
    empty.appendChild(p);
    queue.appendChild(empty);
  }
}

function setup(form) {
  const status = form.querySelector("[data-status]");
  const button = form.querySelector('button[type="submit"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const criteria = [];
    for (const input of form.querySelectorAll("[data-criterion]")) {
      if (input.value.trim() === "") {
        status.textContent = S.bad_points || "";
        input.focus();
        return;
      }
      criteria.push(input.value.trim());
    }
    const comment = form.querySelector("[data-comment]").value;
    button.disabled = true;
    status.textContent = S.saving || "";
    const answer = await api("/api/v1/essay-scores", {
      method: "POST",
      json: { result_item_id: Number(form.dataset.resultItem), criteria, comment },
    });
    if (answer.ok) {
      // Keep the essay on screen (removing the form took the "saved" message with it), locked.
      form.dataset.saved = "true";
      for (const control of form.querySelectorAll("input, textarea, button")) control.disabled = true;
      const max = [...form.querySelectorAll("[data-criterion]")].reduce((sum, i) => sum + Number(i.dataset.max || 0), 0);
      status.textContent = `${S.saved || ""} ${fmt(S.your_mark || "{total} / {max}", { total: Number(answer.data.total), max })}`;
      checkEmpty();
    } else {
      button.disabled = false;
      status.textContent = fmt(S.failed || "{message}", { message: answer.data.message || answer.data.error || answer.status });
    }
  });
}

document.querySelectorAll("[data-essay]").forEach(setup);
