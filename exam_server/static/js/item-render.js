// One renderer for an item as a student sees it: the editor's live preview, the item and
// review pages, and the student's exam page all call renderItem, so what a teacher previews is
// what a student gets.
//
//   import { renderItem } from "/static/js/item-render.js";
//   const answer = renderItem(container, studentView, {
//     interactive: true,          // inputs enabled (false: shown, disabled)
//     response: savedResponse,    // optional: restore an earlier answer
//     onChange: (response) => {}, // optional: called on every change by the student
//     strings: {...},             // optional: translated labels (see DEFAULT_STRINGS)
//     math: true,                 // typeset \( \) and \[ \] with KaTeX auto-render if loaded
//   });
//   answer.getResponse()  -> the response in the item type's shape (RESPONSE_SHAPES), null if
//                            unanswered; exactly what the server's check_response accepts
//   answer.setResponse(r) -> show an earlier response
//   answer.isAnswered()   -> getResponse() is not null
//   answer.setInteractive(false) -> lock the answer (time is up), true to unlock
//   answer.element        -> the rendered root element
//
// studentView is what item_bank.types.student_view returns: {type, stem, body}. Its HTML was
// sanitised by the server when the item was saved, so it is inserted as HTML. The view carries
// no key, and the renderer shows items in the order given (shuffling is the server's job).

import { fmt } from "./api.js";

export const RESPONSE_SHAPES = Object.freeze({
  single_choice: 'an option id, "A"',
  multiple_response: 'a list of option ids, ["A", "C"] ([] when nothing is ticked)',
  true_false_cluster: 'an object statement id -> boolean, {"a": true, "b": false}; unanswered left out',
  numeric: 'the text typed, "0,5"',
  text_entry: "the text typed",
  extended_text: "the text written",
  matching: 'an object source id -> target id, {"1": "b"}; unanswered left out',
  ordering: 'every choice id in the chosen order, ["c", "a", "b"]; null until the student moves one',
});

export const DEFAULT_STRINGS = Object.freeze({
  true: "True", false: "False", statement: "Statement", choose: "Choose…",
  move_up: "Move up", move_down: "Move down", words: "{n} words",
  expected_words: "about {n} words expected", your_answer: "Your answer",
  column_a: "Column A", column_b: "Column B",
  order_hint: "Use the arrows to put the items in order.",
  unknown_type: "This item type cannot be shown.", max_chars: "at most {n} characters",
});

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
let instances = 0;

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "html") node.innerHTML = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}


/** Typeset the formulas of an element (KaTeX auto-render, \( \) and \[ \] only). */
export function typesetMath(element) {
  if (typeof window.renderMathInElement !== "function") return false;
  window.renderMathInElement(element, {
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
    ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option", "select"],
  });
  return true;
}

/** Run fn once KaTeX's scripts (loaded with defer) are there; at once if they already are. */
export function whenMathReady(fn) {
  if (typeof window.renderMathInElement === "function" || document.readyState === "complete") {
    fn();
  } else {
    window.addEventListener("load", fn, { once: true });
  }
}

// --- one renderer per item type: (body, ctx) -> {node, get, set} -------------------------------

function choiceList(body, ctx, multiple) {
  const kind = multiple ? "checkbox" : "radio";
  const inputs = [];
  // A div, not an <ol>: a list given the role radiogroup loses its list semantics and its <li>
  // children become invalid (axe "listitem"); the letters say the order.
  const list = h("div", { class: "choices", role: multiple ? "group" : "radiogroup" });
  (body.options || []).forEach((option, i) => {
    const input = h("input", {
      type: kind, name: `${ctx.name}-choice`, value: option.id, disabled: !ctx.interactive,
      onchange: () => ctx.changed(),
    });
    inputs.push(input);
    list.append(h("div", { class: "choice-row" }, h("label", { class: "choice" }, input,
      h("span", { class: "choice-letter", text: `${LETTERS[i] || i + 1}.` }),
      h("span", { class: "choice-html", html: option.html }))));
  });
  return {
    node: list,
    get() {
      const ticked = inputs.filter((x) => x.checked).map((x) => x.value);
      if (multiple) return ctx.touched || ticked.length ? ticked : null;
      return ticked.length ? ticked[0] : null;
    },
    set(response) {
      const chosen = multiple ? new Set(response || []) : new Set(response ? [response] : []);
      inputs.forEach((x) => { x.checked = chosen.has(x.value); });
    },
  };
}

function trueFalse(body, ctx) {
  const s = ctx.strings;
  const rows = [];
  const table = h("table", { class: "tf-table" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col", text: s.statement }),
      h("th", { scope: "col", class: "tf-col", text: s.true }),
      h("th", { scope: "col", class: "tf-col", text: s.false }))));
  const tbody = h("tbody");
  (body.statements || []).forEach((statement, i) => {
    const group = `${ctx.name}-tf-${i}`;
    const yes = h("input", { type: "radio", name: group, value: "true", disabled: !ctx.interactive,
      "aria-label": `${"abcdefgh"[i]}) ${s.true}`, onchange: () => ctx.changed() });
    const no = h("input", { type: "radio", name: group, value: "false", disabled: !ctx.interactive,
      "aria-label": `${"abcdefgh"[i]}) ${s.false}`, onchange: () => ctx.changed() });
    rows.push({ id: statement.id, yes, no });
    tbody.append(h("tr", {},
      h("td", {}, h("div", { class: "tf-statement" }, h("span", { class: "choice-letter", text: `${"abcdefgh"[i]})` }),
        h("span", { class: "choice-html", html: statement.html }))),
      h("td", { class: "tf-col" }, yes), h("td", { class: "tf-col" }, no)));
  });
  table.append(tbody);
  return {
    node: table,
    get() {
      const out = {};
      for (const row of rows) {
        if (row.yes.checked) out[row.id] = true;
        else if (row.no.checked) out[row.id] = false;
      }
      return Object.keys(out).length ? out : null;
    },
    set(response) {
      for (const row of rows) {
        const value = response ? response[row.id] : undefined;
        row.yes.checked = value === true;
        row.no.checked = value === false;
      }
    },
  };
}

function textBox(ctx, attrs, suffix) {
  const input = h("input", { type: "text", class: "answer-input", autocomplete: "off", spellcheck: "false",
    disabled: !ctx.interactive, "aria-label": ctx.strings.your_answer, oninput: () => ctx.changed(), ...attrs });
  const wrap = h("div", { class: "answer-line" }, h("span", { class: "answer-label", text: `${ctx.strings.your_answer}:` }),
    input, suffix);
  return {
    node: wrap,
    get: () => (input.value.trim() === "" ? null : input.value),
    set: (response) => { input.value = response == null ? "" : String(response); },
  };
}

function numeric(body, ctx) {
  const max = Number.isInteger(body.max_chars) ? body.max_chars : null;
  const box = textBox(ctx, { inputmode: "decimal", maxlength: max || 32, size: Math.max(6, (max || 8) + 2),
    class: "answer-input numeric" }, body.unit ? h("span", { class: "unit", text: body.unit }) : null);
  if (max) box.node.append(h("small", { class: "muted", text: fmt(ctx.strings.max_chars, { n: max }) }));
  return box;
}

function textEntry(body, ctx) {
  const length = Number.isInteger(body.expected_length) ? body.expected_length : 20;
  return textBox(ctx, { maxlength: 1000, size: Math.min(60, Math.max(12, length + 2)) });
}

function extendedText(body, ctx) {
  const s = ctx.strings;
  const area = h("textarea", { class: "answer-essay", rows: 10, disabled: !ctx.interactive, "aria-label": s.your_answer,
    maxlength: 50000, oninput: () => { count(); ctx.changed(); } });
  const counter = h("small", { class: "muted word-count" });
  const expected = Number.isInteger(body.expected_words) ? fmt(s.expected_words, { n: body.expected_words }) : "";
  function count() {
    const n = area.value.trim() ? area.value.trim().split(/\s+/u).length : 0;
    counter.textContent = fmt(s.words, { n }) + (expected ? ` (${expected})` : "");
  }
  count();
  return {
    node: h("div", { class: "essay" }, area, counter),
    get: () => (area.value.trim() === "" ? null : area.value),
    set: (response) => { area.value = response == null ? "" : String(response); count(); },
  };
}

function matching(body, ctx) {
  const s = ctx.strings;
  const targets = body.targets || [];
  const selects = [];
  const left = h("ol", { class: "match-sources" });
  (body.sources || []).forEach((source, i) => {
    // The list's number and the source's own text name the select (a screen reader said only "1").
    const label = `${ctx.name}-source-${i}`;
    const select = h("select", { disabled: !ctx.interactive, onchange: () => ctx.changed(),
      "aria-labelledby": `${label}-n ${label}` },
      h("option", { value: "", text: s.choose }),
      targets.map((t, j) => h("option", { value: t.id, text: (LETTERS[j] || j + 1).toLowerCase() })));
    selects.push({ id: source.id, select });
    left.append(h("li", {}, h("span", { class: "choice-letter", id: `${label}-n`, text: `${i + 1}.` }),
      h("span", { class: "choice-html", id: label, html: source.html }), h("span", { class: "match-arrow", text: "→" }), select));
  });
  const right = h("ol", { class: "match-targets" },
    targets.map((t, j) => h("li", {}, h("span", { class: "choice-letter", text: `${(LETTERS[j] || j + 1).toString().toLowerCase()}.` }),
      h("span", { class: "choice-html", html: t.html }))));
  return {
    node: h("div", { class: "matching" },
      h("div", {}, h("h4", { text: s.column_a }), left), h("div", {}, h("h4", { text: s.column_b }), right)),
    get() {
      const out = {};
      for (const { id, select } of selects) if (select.value) out[id] = select.value;
      return Object.keys(out).length ? out : null;
    },
    set(response) {
      for (const { id, select } of selects) select.value = (response && response[id]) || "";
    },
  };
}

function ordering(body, ctx) {
  const s = ctx.strings;
  const list = h("ol", { class: "order-list" });
  let moved = false;
  const byId = new Map();
  function move(li, delta) {
    const items = [...list.children];
    const i = items.indexOf(li);
    const j = i + delta;
    if (j < 0 || j >= items.length) return;
    if (delta < 0) list.insertBefore(li, items[j]); else list.insertBefore(items[j], li);
    moved = true;
    refresh();
    ctx.changed();
    li.querySelector(delta < 0 ? "[data-up]" : "[data-down]")?.focus();
  }
  function refresh() {
    const items = [...list.children];
    items.forEach((li, i) => {
      li.querySelector("[data-up]").disabled = !ctx.interactive || i === 0;
      li.querySelector("[data-down]").disabled = !ctx.interactive || i === items.length - 1;
    });
  }
  for (const choice of body.choices || []) {
    const li = h("li", { "data-id": choice.id });
    li.append(h("span", { class: "choice-html", html: choice.html }),
      h("span", { class: "order-buttons" },
        h("button", { type: "button", class: "icon", "data-up": true, title: s.move_up, "aria-label": s.move_up,
          onclick: () => move(li, -1) }, "↑"),
        h("button", { type: "button", class: "icon", "data-down": true, title: s.move_down, "aria-label": s.move_down,
          onclick: () => move(li, +1) }, "↓")));
    byId.set(choice.id, li);
    list.append(li);
  }
  refresh();
  return {
    refresh,
    node: h("div", { class: "ordering" }, h("p", { class: "muted hint", text: s.order_hint }), list),
    get: () => (moved ? [...list.children].map((li) => li.dataset.id) : null),
    set(response) {
      if (!Array.isArray(response)) { moved = false; return; }
      for (const id of response) if (byId.has(id)) list.append(byId.get(id));
      moved = true;
      refresh();
    },
  };
}

const RENDERERS = {
  single_choice: (body, ctx) => choiceList(body, ctx, false),
  multiple_response: (body, ctx) => choiceList(body, ctx, true),
  true_false_cluster: trueFalse,
  numeric,
  text_entry: textEntry,
  extended_text: extendedText,
  matching,
  ordering,
};

export const SUPPORTED_TYPES = Object.freeze(Object.keys(RENDERERS));

/** Render studentView into container (its content is replaced); return the answer controller. */
export function renderItem(container, studentView, options = {}) {
  const opts = { interactive: true, math: true, ...options };
  const strings = { ...DEFAULT_STRINGS, ...(opts.strings || {}) };
  const view = studentView || {};
  instances += 1;
  const ctx = {
    strings,
    interactive: !!opts.interactive,
    name: opts.name || `item${instances}`,
    touched: false,
    changed: () => {},
  };
  const root = h("div", { class: `item-view item-type-${view.type || "unknown"}`, "data-type": view.type || "" });
  root.append(h("div", { class: "item-stem", html: view.stem || "" }));
  const make = RENDERERS[view.type];
  let part;
  if (make) {
    part = make(view.body || {}, ctx);
  } else {
    part = { node: h("p", { class: "muted", text: strings.unknown_type }), get: () => null, set: () => {} };
  }
  root.append(h("div", { class: "item-answer" }, part.node));
  container.replaceChildren(root);

  const controller = {
    type: view.type,
    element: root,
    getResponse: () => part.get(),
    setResponse: (response) => part.set(response),
    isAnswered: () => part.get() !== null,
    setInteractive(flag) {
      ctx.interactive = !!flag;
      for (const control of root.querySelectorAll(".item-answer input, .item-answer select, .item-answer textarea")) {
        control.disabled = !ctx.interactive;
      }
      if (part.refresh) part.refresh();
    },
  };
  if (opts.response !== undefined && opts.response !== null) part.set(opts.response);
  ctx.changed = () => {
    ctx.touched = true;
    if (typeof opts.onChange === "function") opts.onChange(part.get(), controller);
  };
  if (opts.math) typesetMath(root);
  return controller;
}
