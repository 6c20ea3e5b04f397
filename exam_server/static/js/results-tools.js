// The results table's tools (templates/results/exam_results.html): release the results to the
// candidates (or hide them again) through PUT /api/v1/exams/<id>/results-release, then reload.
import { api, fmt, pageStrings } from "./api.js";

const S = pageStrings();
const tools = document.getElementById("results-tools");
const button = tools ? tools.querySelector("[data-release]") : null;

if (button) {
  button.addEventListener("click", async () => {
    const status = tools.querySelector("[data-status]");
    const visible = button.dataset.release === "true";
    button.disabled = true;
    const answer = await api(`/api/v1/exams/${tools.dataset.examId}/results-release`, { method: "PUT", json: { visible } });
    if (answer.ok) {
      status.textContent = visible ? S.released : S.withdrawn;
      window.location.reload();
    } else {
      button.disabled = false;
      status.textContent = fmt(S.failed || "{message}", { message: (answer.data && answer.data.message) || answer.status });
    }
  });
}
