// Adaptive exams on the student's page (docs/protocol.md, "Adaptive exams").
//
// The paper holds the questions given so far; the last one is open until answered. An answer is
// final: the candidate confirms it (no autosave while choosing), it goes through the page's usual
// queue (localStorage, replayed after a reload), and its acknowledgement carries the next
// question, which this module appends to the paper. Answered questions stay visible, locked.
// An exam with an adaptive SECTION opens with `paper.adaptive.fixed` fixed questions, answered as
// in any exam (autosaved, changeable); only the questions after them are adaptive.
import { h } from "./api.js";

export function isAdaptive(paper) {
  return Boolean(paper && paper.adaptive);
}

/** How many fixed questions open the paper (0: the whole exam is adaptive). */
export function fixedCount(paper) {
  return isAdaptive(paper) ? Number(paper.adaptive.fixed || 0) : 0;
}

/** Whether question `number` is an adaptive one (confirmed, then final). */
export function inSection(paper, number) {
  return isAdaptive(paper) && number > fixedCount(paper);
}

/** The number of the open question, or null once the test is over. */
export function openNumber(paper) {
  if (!isAdaptive(paper) || paper.adaptive.done || !paper.questions.length) return null;
  return paper.questions[paper.questions.length - 1].number;
}

/** Whether the server's paper has moved on from the one shown (a reload, an ack lost). */
export function grew(shown, fresh) {
  return isAdaptive(fresh) && (!shown || shown.questions.length !== fresh.questions.length
    || Boolean(shown.adaptive && shown.adaptive.done) !== Boolean(fresh.adaptive.done));
}

/** Apply an answer's ack to the paper; true when the paper changed (the page renders again). */
export function applyAck(paper, ack) {
  if (!isAdaptive(paper) || !ack || !ack.adaptive) return false;
  const before = paper.questions.length;
  const wasDone = Boolean(paper.adaptive.done);
  paper.adaptive = { done: Boolean(ack.adaptive.done), fixed: fixedCount(paper) };
  if (ack.next && !paper.questions.some((q) => q.number === ack.next.number)) paper.questions.push(ack.next);
  return paper.questions.length !== before || paper.adaptive.done !== wasDone;
}

/**
 * Lock the answered questions and give the open one a confirm button. `questions`: the page's
 * number -> {answer, section, ...}; `pending(number)`: an answer to it waits for its ack.
 */
export function decorate(paper, questions, S, onConfirm, pending) {
  const open = openNumber(paper);
  for (const [number, q] of questions) {
    if (!inSection(paper, number)) continue;       // a fixed question: as in any exam
    if (number !== open) q.answer.setInteractive(false);
    q.section.querySelectorAll("[data-next]").forEach((b) => { b.hidden = number === open; });
    let bar = q.section.querySelector("[data-adaptive]");
    if (number !== open) { if (bar) bar.remove(); continue; }
    if (!bar) {
      bar = h("div", { class: "pager", "data-adaptive": "" },
        h("span", { class: "muted", text: S.adaptive_note }),
        h("button", { type: "button", class: "button primary", "data-confirm-answer": "",
          text: S.adaptive_confirm, onclick: () => onConfirm(number) }));
      q.section.append(bar);
    }
    bar.querySelector("[data-confirm-answer]").disabled = !q.answer.isAnswered() || pending(number);
  }
}

/** The line shown above the questions once the test is over. */
export function doneNote(paper, S) {
  if (!isAdaptive(paper) || !paper.adaptive.done) return "";
  return fixedCount(paper) ? S.adaptive_section_done : S.adaptive_done;
}
