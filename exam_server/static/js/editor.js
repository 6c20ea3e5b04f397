// The item editor: metadata, the stem, the fields of the item's type, a live preview rendered by
// the shared item renderer, and saving through the JSON API. The server validates everything:
// this page shows its answers next to the field they name, and never throws away what was typed
// (a failed save leaves the form as it is; unsaved work is also kept in localStorage).
import { renderItem } from "./item-render.js";
import { api, fmt, h, pageStrings } from "./api.js";

const config = JSON.parse(document.getElementById("editor-config").textContent);
const S = pageStrings();
const form = document.getElementById("item-editor");
const typePanel = document.getElementById("type-fields");
const previewEl = document.getElementById("preview");
const previewStatus = document.getElementById("preview-status");
const banner = document.getElementById("editor-banner");
const saveButton = document.getElementById("e-save");
const saveStatus = document.getElementById("e-save-status");
const stemInput = document.getElementById("e-stem");
const commentInput = document.getElementById("e-comment");
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PREVIEW_DELAY_MS = 350;

// --- small DOM helpers --------------------------------------------------------------------------

let uid = 0;

function labelled(labelText, control, attrs = {}) {
  control.id = control.id || `tf-${++uid}`;
  return h("div", { class: "field", ...attrs }, h("label", { for: control.id, text: labelText }), control);
}

function selectOf(values, current, attrs = {}) {
  return h("select", attrs, values.map(([value, text]) => h("option", { value, text, selected: value === current })));
}

function changed() {
  form.dispatchEvent(new Event("input", { bubbles: true }));
}

function nextId(used, alphabet) {
  for (const ch of alphabet) if (!used.includes(ch)) return ch;
  let n = 1;
  while (used.includes(`x${n}`)) n += 1;
  return `x${n}`;
}

// --- text as teachers type it <-> item HTML -----------------------------------------------------
// Plain text is what most teachers type: an empty line starts a paragraph, a line break stays a
// line break. Inline tags (<b>, <img>, <sub>...) may be mixed in. Text with block tags (a pasted
// table...) is sent as it is. The server sanitises all of it.

const BLOCK_RE = /<\s*(p|div|table|thead|tbody|tr|td|th|ul|ol|li|blockquote|pre|figure|figcaption|hr|h[1-6])\b/i;
const BLOCK_SELECTOR = "p,div,table,thead,tbody,tr,td,th,ul,ol,li,blockquote,pre,figure,figcaption,hr,h1,h2,h3,h4,h5,h6";

export function textToStemHtml(text) {
  const clean = text.replace(/\r\n?/g, "\n").trim();
  if (!clean || BLOCK_RE.test(clean)) return clean;
  return clean.split(/\n[ \t]*\n+/).map((p) => p.trim()).filter(Boolean)
    .map((p) => `<p>${p.replace(/[ \t]*\n[ \t]*/g, "<br>")}</p>`).join("");
}

function nodesToText(nodes) {
  let out = "";
  for (const node of nodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      // Decoded text, re-escaped only where it would otherwise read as a tag or an entity.
      out += node.textContent.replace(/&(?=#?\w+;)/g, "&amp;").replace(/<(?=[A-Za-z/!?])/g, "&lt;");
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      out += node.tagName === "BR" ? "\n" : node.outerHTML;
    }
  }
  return out.replace(/\u00a0/g, " ");
}

function parseHtml(html) {
  // DOMParser documents are inert: no script runs, no image loads.
  return new DOMParser().parseFromString(`<!doctype html><body>${html}</body>`, "text/html").body;
}

export function stemHtmlToText(html) {
  if (!html) return "";
  const body = parseHtml(html);
  const kids = [...body.childNodes].filter((n) => !(n.nodeType === Node.TEXT_NODE && !n.textContent.trim()));
  const simple = kids.every((n) => n.nodeType === Node.ELEMENT_NODE && n.tagName === "P" && !n.querySelector(BLOCK_SELECTOR));
  return simple ? kids.map((p) => nodesToText(p.childNodes).trim()).join("\n\n") : html;
}

function inlineHtmlToText(html) {
  if (!html) return "";
  const body = parseHtml(html);
  return body.querySelector(BLOCK_SELECTOR) ? html : nodesToText(body.childNodes);
}

function parseNumber(raw) {
  const text = String(raw ?? "").trim().replace(/\u2212/g, "-");
  if (text === "") return undefined;
  const dotted = text.replace(",", ".");
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(dotted) ? Number(dotted) : text; // the server names a bad one
}

function parseCount(raw) {
  const text = String(raw ?? "").trim();
  if (text === "") return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

// --- row lists (options, statements, answers, rubric...) ----------------------------------------

function rowList({ legend, fields, addLabel, min, max, onRows }) {
  const fieldset = h("fieldset", { class: "field rows", "data-field": fields },
    h("legend", { text: legend }));
  const list = h("div", { class: "row-list" });
  const rows = [];
  const add = h("button", { type: "button", class: "button subtle small", text: `+ ${addLabel}` });
  fieldset.append(list, h("div", { class: "row-add" }, add));
  const self = {
    fieldset, list, rows, add,
    push(row) {
      const remove = h("button", { type: "button", class: "icon remove", title: S.remove, "aria-label": S.remove, text: "✕" });
      remove.addEventListener("click", () => {
        if (rows.length <= min) return;
        rows.splice(rows.indexOf(row), 1);
        row.node.remove();
        self.refresh();
        changed();
      });
      row.remove = remove;
      row.node.append(remove);
      rows.push(row);
      list.append(row.node);
      self.refresh();
      return row;
    },
    move(row, delta) {
      const i = rows.indexOf(row);
      const j = i + delta;
      if (j < 0 || j >= rows.length) return;
      rows.splice(i, 1);
      rows.splice(j, 0, row);
      list.replaceChildren(...rows.map((r) => r.node));
      self.refresh();
      changed();
    },
    refresh() {
      rows.forEach((row, i) => {
        row.remove.disabled = rows.length <= min;
        row.index = i;
        if (row.renumber) row.renumber(i);
      });
      add.disabled = rows.length >= max;
      if (onRows) onRows(rows);
    },
  };
  return self;
}

function checkbox(labelText, checked, attrs = {}) {
  const input = h("input", { type: "checkbox", checked, ...attrs });
  return { input, node: h("label", { class: "check" }, input, ` ${labelText}`) };
}

function scoringSelect(key, fallback) {
  const select = selectOf([["all_or_nothing", S.all_or_nothing], ["partial", S.partial]], key.scoring || fallback,
    { name: "scoring" });
  return { select, node: labelled(S.scoring, select, { "data-field": "key.scoring" }) };
}

// --- one builder per item type: (panel, content|null) -> {collect() -> {body, key}} -------------

function choiceBuilder(multiple) {
  return (panel, content) => {
    const body = content?.body || {};
    const key = content?.key || {};
    const correct = new Set(multiple ? key.correct || [] : key.correct ? [key.correct] : []);
    const list = rowList({
      legend: multiple ? S.options_multiple : S.options_single, fields: "body.options key.correct",
      addLabel: S.add_option, min: 2, max: 10,
    });
    function addRow(entry) {
      const id = entry.id || nextId(list.rows.map((r) => r.id), LETTERS);
      const mark = h("input", { type: multiple ? "checkbox" : "radio", name: "correct", value: id,
        checked: correct.has(id), title: S.correct });
      const letter = h("span", { class: "row-letter" });
      const text = h("input", { type: "text", class: "grow", value: inlineHtmlToText(entry.html || ""),
        placeholder: S.option_text });
      const fixed = checkbox(S.fixed, entry.fixed, { class: "fixed" });
      const node = h("div", { class: "row option-row" }, h("label", { class: "mark" }, mark,
        h("span", { class: "visually-hidden", text: S.correct })), letter, text, fixed.node);
      list.push({
        id, node, mark, text, fixed: fixed.input,
        renumber(i) {
          letter.textContent = `${LETTERS[i] || i + 1}.`;
          text.name = `option-${i}`;
          text.setAttribute("aria-label", `${S.option_text} ${LETTERS[i] || i + 1}`);
          mark.setAttribute("aria-label", `${S.correct}: ${LETTERS[i] || i + 1}`);
          node.dataset.field = `body.options.${i} body.options.${i}.html body.options.${i}.id key.correct.${i}`;
        },
      });
    }
    (body.options?.length ? body.options : ["A", "B", "C", "D"].map((id) => ({ id, html: "" }))).forEach(addRow);
    list.add.addEventListener("click", () => { addRow({}); changed(); list.rows.at(-1).text.focus(); });
    const shuffle = checkbox(S.shuffle, body.shuffle !== false, { name: "shuffle" });
    const scoring = multiple ? scoringSelect(key, "all_or_nothing") : null;
    panel.append(list.fieldset, h("div", { class: "field inline-fields", "data-field": "body.shuffle" }, shuffle.node));
    if (scoring) panel.append(scoring.node);
    return {
      collect() {
        const options = list.rows.map((r) => ({ id: r.id, html: r.text.value.trim(), fixed: r.fixed.checked }));
        const ticked = list.rows.filter((r) => r.mark.checked).map((r) => r.id);
        const outKey = {};
        if (multiple) {
          outKey.correct = ticked;
          outKey.scoring = scoring.select.value;
        } else if (ticked.length) {
          outKey.correct = ticked[0];
        }
        return { body: { options, shuffle: shuffle.input.checked }, key: outKey };
      },
    };
  };
}

function trueFalseBuilder(panel, content) {
  const body = content?.body || {};
  const values = content?.key?.values || {};
  const statements = body.statements?.length === 4 ? body.statements
    : ["a", "b", "c", "d"].map((id) => ({ id, html: "" }));
  const fieldset = h("fieldset", { class: "field rows", "data-field": "body.statements key.values" },
    h("legend", { text: S.statements }));
  const rows = statements.map((statement, i) => {
    const text = h("input", { type: "text", class: "grow", name: `statement-${i}`, value: inlineHtmlToText(statement.html),
      placeholder: S.statement_text, "aria-label": `${S.statement_text} ${"abcd"[i]}` });
    const yes = h("input", { type: "radio", name: `tf-${i}`, value: "true", checked: values[statement.id] === true });
    const no = h("input", { type: "radio", name: `tf-${i}`, value: "false", checked: values[statement.id] === false });
    const node = h("div", {
      class: "row statement-row",
      "data-field": `body.statements.${i} body.statements.${i}.html body.statements.${i}.id key.values.${statement.id}`,
    }, h("span", { class: "row-letter", text: `${"abcd"[i]})` }), text,
    h("label", { class: "check tf" }, yes, ` ${S.true}`), h("label", { class: "check tf" }, no, ` ${S.false}`));
    fieldset.append(node);
    return { id: statement.id, text, yes, no };
  });
  panel.append(fieldset);
  return {
    collect() {
      const keyValues = {};
      for (const r of rows) {
        if (r.yes.checked) keyValues[r.id] = true;
        else if (r.no.checked) keyValues[r.id] = false;
      }
      return { body: { statements: rows.map((r) => ({ id: r.id, html: r.text.value.trim() })) }, key: { values: keyValues } };
    },
  };
}

function numericBuilder(panel, content) {
  const body = content?.body || {};
  const key = content?.key || {};
  const value = h("input", { type: "text", inputmode: "decimal", name: "value", value: key.value ?? "" });
  const tolerance = h("input", { type: "text", inputmode: "decimal", name: "tolerance", value: key.tolerance ?? 0 });
  const mode = selectOf([["absolute", S.absolute], ["relative", S.relative]], key.tolerance_mode || "absolute",
    { name: "tolerance_mode" });
  const unit = h("input", { type: "text", name: "unit", maxlength: 50, value: body.unit || "" });
  const maxChars = h("input", { type: "number", name: "max_chars", min: 1, max: 32, value: body.max_chars ?? "" });
  panel.append(h("div", { class: "meta-grid" },
    labelled(S.value, value, { "data-field": "key.value key" }),
    labelled(S.tolerance, tolerance, { "data-field": "key.tolerance" }),
    labelled(S.tolerance_mode, mode, { "data-field": "key.tolerance_mode" }),
    labelled(S.unit, unit, { "data-field": "body.unit" }),
    labelled(S.max_chars_label, maxChars, { "data-field": "body.max_chars body" })));
  return {
    collect() {
      const outKey = { tolerance: parseNumber(tolerance.value) ?? 0, tolerance_mode: mode.value };
      const v = parseNumber(value.value);
      if (v !== undefined) outKey.value = v;
      const outBody = { unit: unit.value.trim() };
      const m = parseCount(maxChars.value);
      if (m !== undefined) outBody.max_chars = m;
      return { body: outBody, key: outKey };
    },
  };
}

function textEntryBuilder(panel, content) {
  const body = content?.body || {};
  const key = content?.key || {};
  const list = rowList({ legend: S.accepted, fields: "key.accepted", addLabel: S.add_answer, min: 1, max: 100 });
  function addRow(text) {
    const input = h("input", { type: "text", class: "grow", value: text, placeholder: S.accepted_answer });
    const node = h("div", { class: "row" }, input);
    list.push({
      node, input,
      renumber(i) {
        input.name = `accepted-${i}`;
        input.setAttribute("aria-label", `${S.accepted_answer} ${i + 1}`);
        node.dataset.field = `key.accepted.${i}`;
      },
    });
  }
  (key.accepted?.length ? key.accepted : [""]).forEach(addRow);
  list.add.addEventListener("click", () => { addRow(""); changed(); list.rows.at(-1).input.focus(); });
  const match = selectOf([["normalised", S.match_normalised], ["fold", S.match_fold], ["exact", S.match_exact]],
    key.match || "normalised", { name: "match" });
  const length = h("input", { type: "number", name: "expected_length", min: 1, max: 1000, value: body.expected_length ?? "" });
  panel.append(list.fieldset, h("div", { class: "meta-grid" },
    labelled(S.match, match, { "data-field": "key.match" }),
    labelled(S.expected_length, length, { "data-field": "body.expected_length body" })));
  return {
    collect() {
      const outBody = {};
      const n = parseCount(length.value);
      if (n !== undefined) outBody.expected_length = n;
      return { body: outBody, key: { accepted: list.rows.map((r) => r.input.value.trim()), match: match.value } };
    },
  };
}

function extendedTextBuilder(panel, content) {
  const body = content?.body || {};
  const key = content?.key || {};
  const list = rowList({ legend: S.rubric, fields: "key.rubric key", addLabel: S.add_criterion, min: 1, max: 50 });
  function addRow(entry) {
    const criterion = h("input", { type: "text", class: "grow", value: entry.criterion || "", placeholder: S.criterion });
    const points = h("input", { type: "text", inputmode: "decimal", class: "points", value: entry.max_points ?? 1,
      placeholder: S.max_points, title: S.max_points });
    const description = h("input", { type: "text", class: "grow", value: entry.description || "", placeholder: S.description });
    const node = h("div", { class: "row rubric-row" }, criterion, points, description);
    list.push({
      node, criterion, points, description,
      renumber(i) {
        criterion.name = `criterion-${i}`;
        points.name = `points-${i}`;
        description.name = `description-${i}`;
        criterion.setAttribute("aria-label", `${S.criterion} ${i + 1}`);
        points.setAttribute("aria-label", `${S.max_points} ${i + 1}`);
        description.setAttribute("aria-label", `${S.description} ${i + 1}`);
        node.dataset.field = [`key.rubric.${i}`, ...["criterion", "max_points", "description"].map((f) => `key.rubric.${i}.${f}`)].join(" ");
      },
    });
  }
  (key.rubric?.length ? key.rubric : [{}]).forEach(addRow);
  list.add.addEventListener("click", () => { addRow({}); changed(); list.rows.at(-1).criterion.focus(); });
  const words = h("input", { type: "number", name: "expected_words", min: 1, value: body.expected_words ?? "" });
  panel.append(list.fieldset, h("div", { class: "meta-grid" },
    labelled(S.expected_words_label, words, { "data-field": "body.expected_words body" })));
  return {
    collect() {
      const outBody = {};
      const n = parseCount(words.value);
      if (n !== undefined) outBody.expected_words = n;
      return {
        body: outBody,
        key: {
          rubric: list.rows.map((r) => ({ criterion: r.criterion.value.trim(), max_points: parseNumber(r.points.value) ?? 0,
            description: r.description.value.trim() })),
        },
      };
    },
  };
}

function matchingBuilder(panel, content) {
  const body = content?.body || {};
  const key = content?.key || {};
  const pairs = { ...(key.pairs || {}) };
  const targets = rowList({ legend: S.targets, fields: "body.targets", addLabel: S.add_target, min: 2, max: 20,
    onRows: () => refreshSelects() });
  const sources = rowList({ legend: S.sources, fields: "body.sources key.pairs", addLabel: S.add_source, min: 2, max: 20 });
  const usedIds = () => [...sources.rows, ...targets.rows].map((r) => r.id);

  function refreshSelects() {
    for (const row of sources.rows) {
      const current = row.select.value || pairs[row.id] || "";
      row.select.replaceChildren(h("option", { value: "", text: S.choose }),
        ...targets.rows.map((t, j) => {
          const snippet = t.text.value.replace(/<[^>]*>/g, "").trim().slice(0, 40);
          return h("option", { value: t.id, text: `${"abcdefghijklmnopqrst"[j]}. ${snippet}` });
        }));
      row.select.value = targets.rows.some((t) => t.id === current) ? current : "";
    }
  }
  function addTarget(entry) {
    const id = entry.id || nextId(usedIds(), "abcdefghijklmnopqrstuvwxyz");
    const letter = h("span", { class: "row-letter" });
    const text = h("input", { type: "text", class: "grow", value: inlineHtmlToText(entry.html || "") });
    text.addEventListener("input", refreshSelects);
    const node = h("div", { class: "row" }, letter, text);
    targets.push({
      id, node, text,
      renumber(i) {
        letter.textContent = `${"abcdefghijklmnopqrst"[i]}.`;
        text.name = `target-${i}`;
        text.setAttribute("aria-label", `${S.column_b} ${"abcdefghijklmnopqrst"[i]}`);
        node.dataset.field = `body.targets.${i} body.targets.${i}.html body.targets.${i}.id`;
      },
    });
  }
  function addSource(entry) {
    const id = entry.id || nextId(usedIds(), "123456789");
    const letter = h("span", { class: "row-letter" });
    const text = h("input", { type: "text", class: "grow", value: inlineHtmlToText(entry.html || "") });
    const select = h("select", { title: S.pairs_with });
    select.addEventListener("change", () => { pairs[id] = select.value; });
    const node = h("div", { class: "row" }, letter, text, h("span", { class: "match-arrow", text: "→" }), select);
    sources.push({
      id, node, text, select,
      renumber(i) {
        letter.textContent = `${i + 1}.`;
        text.name = `source-${i}`;
        select.name = `pair-${i}`;
        text.setAttribute("aria-label", `${S.column_a} ${i + 1}`);
        select.setAttribute("aria-label", `${S.pairs_with} ${i + 1}`);
        node.dataset.field = `body.sources.${i} body.sources.${i}.html body.sources.${i}.id key.pairs.${id}`;
      },
    });
    refreshSelects();
  }
  (body.sources?.length ? body.sources : [{ id: "1" }, { id: "2" }, { id: "3" }]).forEach(addSource);
  (body.targets?.length ? body.targets : [{ id: "a" }, { id: "b" }, { id: "c" }]).forEach(addTarget);
  refreshSelects();
  sources.add.addEventListener("click", () => { addSource({}); changed(); sources.rows.at(-1).text.focus(); });
  targets.add.addEventListener("click", () => { addTarget({}); changed(); targets.rows.at(-1).text.focus(); });
  const shuffle = checkbox(S.shuffle, body.shuffle !== false, { name: "shuffle" });
  const scoring = scoringSelect(key, "partial");
  panel.append(sources.fieldset, targets.fieldset,
    h("div", { class: "field inline-fields", "data-field": "body.shuffle" }, shuffle.node), scoring.node);
  return {
    collect() {
      const outPairs = {};
      for (const row of sources.rows) if (row.select.value) outPairs[row.id] = row.select.value;
      return {
        body: {
          sources: sources.rows.map((r) => ({ id: r.id, html: r.text.value.trim() })),
          targets: targets.rows.map((r) => ({ id: r.id, html: r.text.value.trim() })),
          shuffle: shuffle.input.checked,
        },
        key: { pairs: outPairs, scoring: scoring.select.value },
      };
    },
  };
}

function orderingBuilder(panel, content) {
  const body = content?.body || {};
  const key = content?.key || {};
  const byId = Object.fromEntries((body.choices || []).map((c) => [c.id, c]));
  const inOrder = (key.order || []).filter((id) => byId[id]).map((id) => byId[id]);
  const list = rowList({ legend: S.order_steps, fields: "body.choices key.order key", addLabel: S.add_step, min: 2, max: 20 });
  function addRow(entry) {
    const id = entry.id || nextId(list.rows.map((r) => r.id), "abcdefghijklmnopqrstuvwxyz");
    const number = h("span", { class: "row-letter" });
    const text = h("input", { type: "text", class: "grow", value: inlineHtmlToText(entry.html || "") });
    const up = h("button", { type: "button", class: "icon", text: "↑", title: S.move_up, "aria-label": S.move_up });
    const down = h("button", { type: "button", class: "icon", text: "↓", title: S.move_down, "aria-label": S.move_down });
    const node = h("div", { class: "row" }, number, text, up, down);
    const row = {
      id, node, text,
      renumber(i) {
        number.textContent = `${i + 1}.`;
        text.name = `step-${i}`;
        text.setAttribute("aria-label", `${S.step_text} ${i + 1}`);
        up.disabled = i === 0;
        down.disabled = i === list.rows.length - 1;
        node.dataset.field = `body.choices.${i} body.choices.${i}.html body.choices.${i}.id key.order.${i}`;
      },
    };
    up.addEventListener("click", () => list.move(row, -1));
    down.addEventListener("click", () => list.move(row, +1));
    list.push(row);
  }
  (inOrder.length === (body.choices || []).length && inOrder.length ? inOrder
    : body.choices?.length ? body.choices : [{ id: "a" }, { id: "b" }, { id: "c" }]).forEach(addRow);
  list.add.addEventListener("click", () => { addRow({}); changed(); list.rows.at(-1).text.focus(); });
  const shuffle = checkbox(S.shuffle, body.shuffle !== false, { name: "shuffle" });
  const scoring = scoringSelect(key, "all_or_nothing");
  panel.append(list.fieldset, h("div", { class: "field inline-fields", "data-field": "body.shuffle" }, shuffle.node),
    scoring.node);
  return {
    collect() {
      // Stored rotated by one place, so that no choice sits at its right position: neither the
      // preview nor an exam that does not shuffle shows the answer. The key keeps the typed order.
      const choices = list.rows.map((r) => ({ id: r.id, html: r.text.value.trim() }));
      return {
        body: { choices: [...choices.slice(1), ...choices.slice(0, 1)], shuffle: shuffle.input.checked },
        key: { order: list.rows.map((r) => r.id), scoring: scoring.select.value },
      };
    },
  };
}

const BUILDERS = {
  single_choice: choiceBuilder(false),
  multiple_response: choiceBuilder(true),
  true_false_cluster: trueFalseBuilder,
  numeric: numericBuilder,
  text_entry: textEntryBuilder,
  extended_text: extendedTextBuilder,
  matching: matchingBuilder,
  ordering: orderingBuilder,
};

// --- the whole item -----------------------------------------------------------------------------

const meta = (name) => form.elements.namedItem(name);
let typeFields = null;

function load(item) {
  const m = item?.metadata || {};
  if (item) {
    meta("title").value = item.title || "";
    for (const name of ["subject", "cognitive_level", "topic", "learning_outcome", "author", "source", "language"]) {
      if (m[name] !== undefined && m[name] !== null) meta(name).value = m[name];
    }
    if (m.grade !== undefined) meta("grade").value = String(m.grade);
    meta("difficulty").value = m.difficulty ?? "";
    meta("tags").value = (m.tags || []).join(", ");
    if (!config.identifier && item.identifier) meta("identifier").value = item.identifier;
    stemInput.value = stemHtmlToText(item.content?.stem || "");
  }
  typePanel.replaceChildren();
  const build = BUILDERS[config.type];
  typeFields = build ? build(typePanel, item?.content || null) : null;
}

function collect() {
  const difficulty = parseNumber(meta("difficulty").value);
  const grade = parseCount(meta("grade").value);
  const item = {
    title: meta("title").value.trim(),
    metadata: {
      subject: meta("subject").value,
      grade: grade === undefined ? "" : grade,
      topic: meta("topic").value.trim(),
      learning_outcome: meta("learning_outcome").value.trim(),
      cognitive_level: meta("cognitive_level").value,
      difficulty: difficulty === undefined ? null : difficulty,
      tags: meta("tags").value.split(/[,;]/).map((t) => t.trim()).filter(Boolean),
      author: meta("author").value.trim(),
      source: meta("source").value.trim(),
      language: meta("language").value,
    },
    content: { type: config.type, stem: textToStemHtml(stemInput.value), ...(typeFields ? typeFields.collect() : {}) },
  };
  const identifier = config.identifier || meta("identifier").value.trim();
  if (identifier) item.identifier = identifier;
  return item;
}

// --- errors next to fields ----------------------------------------------------------------------

function clearFieldErrors() {
  for (const node of form.querySelectorAll(".field-error")) node.remove();
  for (const node of form.querySelectorAll(".invalid")) node.classList.remove("invalid");
}

function findField(name) {
  if (!name) return null;
  let parts = String(name).replace(/^content\./, "").split(".");
  while (parts.length) {
    const wanted = parts.join(".");
    const found = [...form.querySelectorAll("[data-field]")].find((n) => n.dataset.field.split(/\s+/).includes(wanted));
    if (found) return found;
    parts = parts.slice(0, -1);
  }
  return null;
}

function describe(error) {
  const hint = S[`err_${error.error}`];
  return hint ? `${hint}: ${error.message}` : error.message || error.error || "";
}

function showFieldError(error) {
  const target = findField(error.field);
  if (!target) return null;
  target.classList.add("invalid");
  target.append(h("p", { class: "field-error", role: "alert", "data-error-field": error.field || "", text: describe(error) }));
  return target;
}

function showBanner(message, kind = "error", extra = []) {
  banner.className = `banner flash ${kind}`;
  banner.replaceChildren(h("span", { text: message }), ...extra);
  banner.hidden = false;
}

function hideBanner() {
  banner.hidden = true;
  banner.replaceChildren();
}

// --- live preview -------------------------------------------------------------------------------

let previewTimer = null;
let previewSeq = 0;
let previewController = null;

function schedulePreview() {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(runPreview, PREVIEW_DELAY_MS);
}

async function runPreview() {
  const seq = ++previewSeq;
  const item = collect();
  if (!item.content.stem && !previewController) {
    previewStatus.textContent = S.preview_empty;
    return;
  }
  if (!item.title) item.title = "…"; // the title is checked on saving; the preview is about content
  previewEl.setAttribute("aria-busy", "true");
  const result = await api(config.urls.preview, { method: "POST", json: item });
  if (seq !== previewSeq) return; // a newer preview is on its way
  previewEl.removeAttribute("aria-busy");
  clearFieldErrors();
  if (result.ok) {
    previewController = renderItem(previewEl, result.data.student_view, { interactive: true, strings: S });
    previewEl.classList.remove("stale");
    previewEl.dataset.state = "ok";
    const shuffled = item.content.body && item.content.body.shuffle === true;
    previewStatus.textContent = shuffled ? S.preview_shuffled : "";
    previewStatus.className = "preview-status muted";
  } else if (result.status === 401) {
    previewStatus.textContent = S.session_expired;
    previewStatus.className = "preview-status error";
  } else {
    showFieldError(result.data);
    previewEl.classList.toggle("stale", !!previewController);
    previewEl.dataset.state = "error";
    previewStatus.textContent = `${S.preview_failed} ${describe(result.data)}${previewController ? ` ${S.preview_stale}` : ""}`;
    previewStatus.className = "preview-status error";
  }
}

// --- saving, and keeping unsaved work -----------------------------------------------------------

const draftKey = `exam-bank-draft:${config.identifier || `new:${config.type}`}`;
let initialState = "";
let dirty = false;
let leaving = false;
let saving = false;
let draftTimer = null;

function state() {
  return JSON.stringify({ item: collect(), comment: commentInput ? commentInput.value : "" });
}

function storeDraft() {
  try {
    localStorage.setItem(draftKey, JSON.stringify({ saved_at: new Date().toISOString(), state: state() }));
  } catch { /* private mode or full: the page itself still holds the work */ }
}

function clearDraft() {
  try { localStorage.removeItem(draftKey); } catch { /* ignore */ }
}

function offerDraft() {
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(draftKey) || "null"); } catch { draft = null; }
  if (!draft || !draft.state || draft.state === initialState) return;
  const time = new Date(draft.saved_at).toLocaleString(document.documentElement.lang || undefined,
    { timeZone: document.body.dataset.timeZone || undefined, hourCycle: "h23" });   // the site's zone
  const restore = h("button", { type: "button", class: "button small", text: S.restore });
  const discard = h("button", { type: "button", class: "button subtle small", text: S.discard });
  restore.addEventListener("click", () => {
    const saved = JSON.parse(draft.state);
    load(saved.item);
    if (commentInput) commentInput.value = saved.comment || "";
    hideBanner();
    onEdit();
  });
  discard.addEventListener("click", () => { clearDraft(); hideBanner(); });
  showBanner(fmt(S.draft_found, { time }), "info", [" ", restore, " ", discard]);
}

function onEdit() {
  dirty = state() !== initialState;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => (dirty ? storeDraft() : clearDraft()), 500);
  schedulePreview();
}

async function save() {
  if (saving || !config.editable) return;
  saving = true;
  saveButton.disabled = true;
  saveStatus.textContent = S.saving;
  const item = collect();
  const isNew = !config.identifier;
  const payload = isNew ? item : { ...item, base_version: config.base_version, comment: commentInput ? commentInput.value.trim() : "" };
  const result = await api(isNew ? config.urls.create : config.urls.update, { method: isNew ? "POST" : "PUT", json: payload });
  if (result.ok) {
    clearTimeout(draftTimer);
    clearDraft();
    dirty = false;
    leaving = true;
    saveStatus.textContent = S.saved;
    window.location.assign(config.urls.view.replace("__ID__", encodeURIComponent(result.data.identifier)));
    return;
  }
  saving = false;
  saveButton.disabled = false;
  saveStatus.textContent = "";
  storeDraft();
  clearFieldErrors();
  if (result.status === 0) {
    showBanner(S.network_error);
  } else if (result.status === 401) {
    showBanner(S.session_expired);
  } else {
    showBanner(`${S.save_failed} ${describe(result.data)}`);
    const target = showFieldError(result.data);
    if (target) {
      target.scrollIntoView({ block: "center" });
      const focusable = target.querySelector("input:not([type=hidden]), textarea, select");
      if (focusable) focusable.focus({ preventScroll: true });
    } else {
      banner.scrollIntoView({ block: "center" });
    }
  }
}

// --- the stem's toolbar and image upload --------------------------------------------------------

function insertAround(textarea, before, after = "") {
  const { selectionStart: start, selectionEnd: end, value } = textarea;
  textarea.setRangeText(before + value.slice(start, end) + after, start, end, "end");
  if (start === end) textarea.setSelectionRange(start + before.length, start + before.length);
  textarea.focus();
  changed();
}

function wireToolbar() {
  for (const button of document.querySelectorAll(".toolbar [data-wrap]")) {
    button.addEventListener("click", () => insertAround(stemInput, `<${button.dataset.wrap}>`, `</${button.dataset.wrap}>`));
  }
  for (const button of document.querySelectorAll(".toolbar [data-math]")) {
    const display = button.dataset.math === "display";
    button.addEventListener("click", () => insertAround(stemInput, display ? "\\[ " : "\\( ", display ? " \\]" : " \\)"));
  }
  const fileInput = document.getElementById("e-image-file");
  document.getElementById("e-image-button").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) return;
    const data = new FormData();
    data.append("file", file);
    saveStatus.textContent = S.uploading;
    const result = await api(config.urls.media, { method: "POST", form: data });
    saveStatus.textContent = "";
    fileInput.value = "";
    if (result.ok && result.data.url) {
      const alt = file.name.replace(/\.[^.]*$/, "").replace(/["<>&]/g, "");
      insertAround(stemInput, `<img src="${result.data.url}" alt="${alt}">`);
    } else {
      showBanner(`${S.upload_failed} ${describe(result.data)}`);
    }
  });
}

// --- start --------------------------------------------------------------------------------------

load(config.item);
initialState = state();
wireToolbar();
form.addEventListener("input", onEdit);
form.addEventListener("change", onEdit);
form.addEventListener("submit", (event) => { event.preventDefault(); save(); });
window.addEventListener("beforeunload", (event) => {
  if (dirty && !leaving) {
    storeDraft();
    event.preventDefault();
    event.returnValue = S.confirm_leave || "";
  }
});
offerDraft();
if (config.item) runPreview();
else previewStatus.textContent = S.preview_empty;
form.dataset.ready = "true";
