// Following a background job (GET /api/v1/jobs/<id>) until it ends, showing its progress.
// An endpoint that starts a job answers 202 with the job; followJob polls its URL, calls
// onUpdate(job) on every answer and resolves with the finished job (status succeeded or failed).
import { api, fmt, h } from "./api.js";

const FINISHED = new Set(["succeeded", "failed"]);

export function isJob(answer) {
  return answer && answer.status === 202 && answer.data && typeof answer.data.url === "string";
}

export async function followJob(job, { onUpdate = () => {}, intervalMs = 700, maxIntervalMs = 3000 } = {}) {
  let current = job;
  let wait = intervalMs;
  onUpdate(current);
  while (!FINISHED.has(current.status)) {
    await new Promise((resolve) => { setTimeout(resolve, wait); });
    const answer = await api(current.url);
    if (answer.ok) {
      current = answer.data;
      wait = intervalMs;
      onUpdate(current);
    } else if (answer.status === 0 || answer.status >= 500) {
      wait = Math.min(maxIntervalMs, wait * 2);   // the server is busy or unreachable: keep asking
    } else {
      return { ...current, status: "failed", error: answer.data, message: answer.data.message || "" };
    }
  }
  return current;
}

/** The job's state in words: "Queued…", "Running: 120 / 10,000 (rows)", etc. */
export function describeJob(job, S) {
  const stage = job.message && S[`stage_${job.message}`] ? S[`stage_${job.message}`] : "";
  if (job.status === "queued") return S.job_queued || "…";
  if (job.status === "running") {
    const { done, total } = job.progress || {};
    const count = total ? fmt(S.job_progress || "{done}/{total}", { done, total }) : "";
    return [S.job_running || "…", stage, count].filter(Boolean).join(" ");
  }
  if (job.status === "succeeded") return S.job_succeeded || "";
  return fmt(S.job_failed || "{message}", { message: job.message || (job.error && job.error.message) || "" });
}

/** A <progress> bar and a line of text in `box`, kept up to date by the returned onUpdate. */
export function progressView(box, S) {
  const bar = h("progress", { max: "1", "data-job-progress": true });
  const line = h("span", { class: "job-status", "data-job-status": true });
  box.replaceChildren(bar, " ", line);
  box.hidden = false;
  return (job) => {
    const { done, total } = job.progress || {};
    if (job.status === "running" && total) {
      bar.max = total;
      bar.value = done;
    } else if (job.status === "succeeded") {
      bar.max = 1;
      bar.value = 1;
    } else if (job.status !== "running") {
      bar.removeAttribute("value");
    }
    bar.hidden = job.status === "failed";
    box.dataset.jobState = job.status;
    line.textContent = describeJob(job, S);
  };
}
